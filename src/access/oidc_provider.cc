#include "access/oidc_provider.h"

#include <sodium.h>

#include <algorithm>

#include "core/strings.h"

namespace spaceport::access {
namespace {

constexpr std::string_view kAccessTokenType = "sp-oauth-access";

std::string Hmac(const std::string& key, std::string_view message) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

std::string S256(std::string_view verifier) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size());
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool IsValidVerifier(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

nlohmann::json CardOf(const std::string& card_json) {
  nlohmann::json card = nlohmann::json::parse(card_json, nullptr, /*allow_exceptions=*/false);
  return card.is_object() ? card : nlohmann::json::object();
}

// "openid profile" plus the card's hf_oauth_scopes, as Spaces do.
std::vector<std::string> AllowedScopes(const nlohmann::json& card) {
  std::vector<std::string> scopes = {"openid", "profile"};
  if (card.contains("hf_oauth_scopes") && card["hf_oauth_scopes"].is_array()) {
    for (const auto& s : card["hf_oauth_scopes"]) {
      if (s.is_string() && std::find(scopes.begin(), scopes.end(), s.get<std::string>()) == scopes.end()) {
        scopes.push_back(s.get<std::string>());
      }
    }
  }
  return scopes;
}

// hf_oauth_authorized_org: one organization name or a list of them.
std::vector<std::string> AuthorizedOrgs(const nlohmann::json& card) {
  std::vector<std::string> orgs;
  auto it = card.find("hf_oauth_authorized_org");
  if (it == card.end()) return orgs;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) orgs.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& org : *it) {
      if (org.is_string() && !org.get<std::string>().empty()) orgs.push_back(org.get<std::string>());
    }
  }
  return orgs;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The repo scopes tell the app which organizations the user is in, as HF's
// userinfo `orgs` does.
bool WantsOrgs(const std::vector<std::string>& scopes) {
  return Contains(scopes, "read-repos") || Contains(scopes, "write-repos") || Contains(scopes, "manage-repos");
}

nlohmann::json OrgsClaim(const std::vector<OrgClaim>& orgs) {
  nlohmann::json out = nlohmann::json::array();
  for (const OrgClaim& o : orgs) {
    out.push_back(
        {{"sub", std::to_string(o.id)}, {"name", o.name}, {"preferred_username", o.name}, {"roleInOrg", o.role}});
  }
  return out;
}

}  // namespace

nlohmann::json OidcProvider::Discovery() const {
  const std::string& iss = options_.issuer;
  return {{"issuer", iss},
          {"authorization_endpoint", iss + "/oauth/authorize"},
          {"token_endpoint", iss + "/oauth/token"},
          {"userinfo_endpoint", iss + "/oauth/userinfo"},
          {"jwks_uri", iss + "/.well-known/jwks.json"},
          {"response_types_supported", {"code"}},
          {"grant_types_supported", {"authorization_code"}},
          {"subject_types_supported", {"public"}},
          {"id_token_signing_alg_values_supported", {"EdDSA"}},
          {"code_challenge_methods_supported", {"S256"}},
          {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
          {"scopes_supported", {"openid", "profile"}},
          {"claims_supported", {"sub", "name", "preferred_username", "profile", "orgs"}}};
}

OAuthClient OidcProvider::ClientFor(const store::Space& space) const {
  std::string row = std::to_string(space.id) + ":" + std::to_string(space.created_at);
  return {space.subdomain + "-" + Hmac(options_.client_key, "client-id:" + row).substr(0, 12),
          Hmac(options_.client_key, "client-secret:" + row)};
}

std::string OidcProvider::SubdomainOf(std::string_view client_id) {
  size_t dash = client_id.rfind('-');
  return dash == std::string_view::npos ? "" : std::string(client_id.substr(0, dash));
}

std::map<std::string, std::string> OidcProvider::AppEnv(const store::Space& space, const std::string& card_json) const {
  nlohmann::json card = CardOf(card_json);
  if (!card.value("hf_oauth", false)) return {};
  OAuthClient client = ClientFor(space);
  return {{"OAUTH_CLIENT_ID", client.client_id},
          {"OAUTH_CLIENT_SECRET", client.client_secret},
          {"OAUTH_SCOPES", Join(AllowedScopes(card), " ")},
          {"OPENID_PROVIDER_URL", options_.issuer}};
}

bool OidcProvider::RedirectAllowed(const store::Space& space, std::string_view uri,
                                   const std::string& port_suffix) const {
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '#' || c == '\\') return false;
  }
  if (uri.find("/..") != std::string_view::npos || uri.find("%2e") != std::string_view::npos ||
      uri.find("%2E") != std::string_view::npos) {
    return false;
  }
  std::string host = space.subdomain + "." + options_.apps_domain;
  for (const std::string& prefix :
       {"http://" + host + port_suffix + "/", "https://" + host + "/", "https://" + host + port_suffix + "/",
        options_.issuer + "/spaces/" + space.full_id() + "/app/"}) {
    if (StartsWith(uri, prefix)) return true;
  }
  return false;
}

Result<ValidAuthorize> OidcProvider::CheckAuthorize(const store::Space& space, const AuthorizeRequest& req,
                                                    const std::string& card_json,
                                                    const std::string& app_port_suffix) const {
  // Each of these may end up in a token or a JSON answer: text only.
  for (const auto& [what, value] : {std::pair<const char*, const std::string&>{"client_id", req.client_id},
                                    {"redirect_uri", req.redirect_uri}, {"scope", req.scope}, {"state", req.state},
                                    {"nonce", req.nonce}, {"code_challenge", req.code_challenge}}) {
    RETURN_IF_ERROR(CheckJsonText(what, value));
  }
  nlohmann::json card = CardOf(card_json);
  if (!card.value("hf_oauth", false) || req.client_id != ClientFor(space).client_id) {
    return Status::PermissionDenied("unknown client_id");
  }
  if (!RedirectAllowed(space, req.redirect_uri, app_port_suffix)) {
    return Status::InvalidArgument("redirect_uri must be on the Space's own host");
  }
  if (req.code_challenge.size() != 43 || req.code_challenge_method != "S256") {
    return Status::InvalidArgument("PKCE is required: code_challenge with code_challenge_method=S256");
  }
  ValidAuthorize valid;
  valid.request = req;
  valid.authorized_orgs = AuthorizedOrgs(card);
  std::vector<std::string> allowed = AllowedScopes(card);
  for (const std::string& s : Split(req.scope.empty() ? "openid profile" : req.scope, ' ')) {
    if (s.empty() || Contains(valid.scopes, s)) continue;
    if (!Contains(allowed, s)) return Status::InvalidArgument("scope '" + s + "' is not offered to this Space");
    valid.scopes.push_back(s);
  }
  valid.token_ttl_s =
      card.contains("hf_oauth_expiration_minutes") && card["hf_oauth_expiration_minutes"].is_number_integer()
          ? card["hf_oauth_expiration_minutes"].get<int64_t>() * 60
          : options_.default_token_ttl.count() / 1000;
  return valid;
}

Status OidcProvider::CheckAuthorizedOrg(const ValidAuthorize& request, const std::vector<std::string>& member_of) {
  if (request.authorized_orgs.empty()) return Status::Ok();
  for (const std::string& org : request.authorized_orgs) {
    for (const std::string& mine : member_of) {
      if (EqualsIgnoreCase(org, mine)) return Status::Ok();  // organization names are case-insensitive
    }
  }
  std::string names = Join(request.authorized_orgs, ", ");
  return Status::PermissionDenied(request.authorized_orgs.size() == 1
                                      ? "this app is only for members of the organization " + names
                                      : "this app is only for members of one of the organizations " + names);
}

std::string OidcProvider::IssueCode(const ValidAuthorize& valid, const Caller& caller, std::vector<OrgClaim> orgs) {
  std::string scope = Join(valid.scopes, " ");
  if (!WantsOrgs(valid.scopes)) orgs.clear();
  std::string code = RandomHex(24);
  {
    MutexLock lock(mu_);
    SteadyTime now = clock_->Now();
    for (auto it = codes_.begin(); it != codes_.end();)
      it = it->second.expires <= now ? codes_.erase(it) : std::next(it);
    codes_[Sha256Hex(code)] = {valid.request.client_id,
                               valid.request.redirect_uri,
                               valid.request.code_challenge,
                               scope,
                               valid.request.nonce,
                               caller,
                               std::move(orgs),
                               valid.token_ttl_s,
                               now + options_.code_ttl};
  }
  return Redirect(valid.request, "code=" + code);
}

std::string OidcProvider::DeniedRedirect(const AuthorizeRequest& request) {
  return Redirect(request, "error=access_denied&error_description=" + UrlEncode("the user denied access"));
}

std::string OidcProvider::Redirect(const AuthorizeRequest& req, const std::string& params) {
  std::string sep = req.redirect_uri.find('?') == std::string::npos ? "?" : "&";
  std::string location = req.redirect_uri + sep + params;
  if (!req.state.empty()) location += "&state=" + UrlEncode(req.state);
  return location;
}

bool OidcProvider::GrantCovers(std::string_view granted, const std::vector<std::string>& requested) {
  std::vector<std::string> have = Split(std::string(granted), ' ');
  for (const std::string& s : requested) {
    if (!Contains(have, s)) return false;
  }
  return true;
}

std::string OidcProvider::MergeScopes(std::string_view granted, const std::vector<std::string>& requested) {
  std::vector<std::string> merged;
  for (const std::string& s : Split(std::string(granted), ' ')) {
    if (!s.empty() && !Contains(merged, s)) merged.push_back(s);
  }
  for (const std::string& s : requested) {
    if (!Contains(merged, s)) merged.push_back(s);
  }
  return Join(merged, " ");
}

std::string OidcProvider::DescribeScope(std::string_view scope) {
  static const std::map<std::string, std::string, std::less<>> kWords = {
      {"openid", "Sign you in with your Spaceport account (your user id)"},
      {"profile", "See your username and profile page"},
      {"email", "See your email address"},
      {"read-repos", "Read your Spaces and see which organizations you belong to"},
      {"write-repos", "Read and change your Spaces, and see which organizations you belong to"},
      {"manage-repos", "Create, change and delete your Spaces, and see which organizations you belong to"},
      {"inference-api", "Call inference on your behalf"},
      {"read-billing", "See whether you have a payment method set up"},
      {"write-discussions", "Open discussions and comment on your behalf"},
  };
  auto it = kWords.find(scope);
  return it != kWords.end() ? it->second : "Use the permission \"" + std::string(scope) + "\"";
}

Result<nlohmann::json> OidcProvider::Token(const store::Space& space, const TokenRequest& req) {
  OAuthClient client = ClientFor(space);
  if (req.client_id != client.client_id || !ConstantTimeEquals(req.client_secret, client.client_secret)) {
    return Status::PermissionDenied("client authentication failed");
  }
  PendingCode pending;
  {
    MutexLock lock(mu_);
    auto it = codes_.find(Sha256Hex(req.code));
    if (it == codes_.end()) return Status::Unauthenticated("unknown, used or expired code");
    pending = it->second;
    codes_.erase(it);  // single use, whatever happens next
  }
  if (pending.expires <= clock_->Now()) return Status::Unauthenticated("unknown, used or expired code");
  if (pending.client_id != req.client_id || pending.redirect_uri != req.redirect_uri) {
    return Status::Unauthenticated("code was issued for another client or redirect_uri");
  }
  if (!IsValidVerifier(req.code_verifier) || !ConstantTimeEquals(S256(req.code_verifier), pending.challenge)) {
    return Status::Unauthenticated("code_verifier does not match the code_challenge");
  }
  const int64_t now_s = clock_->UnixMillis() / 1000;
  nlohmann::json access = {{"typ", kAccessTokenType},
                           {"iss", options_.issuer},
                           {"sub", std::to_string(pending.caller.user_id)},
                           {"preferred_username", pending.caller.name},
                           {"name", pending.caller.name},
                           {"aud", req.client_id},
                           {"scope", pending.scope},
                           {"iat", now_s},
                           {"exp", now_s + pending.token_ttl_s}};
  if (!pending.orgs.empty()) access["orgs"] = OrgsClaim(pending.orgs);
  nlohmann::json out = {{"access_token", keys_->Sign(access)},
                        {"token_type", "Bearer"},
                        {"expires_in", pending.token_ttl_s},
                        {"scope", pending.scope}};
  nlohmann::json id = {{"iss", options_.issuer},
                       {"sub", std::to_string(pending.caller.user_id)},
                       {"aud", req.client_id},
                       {"iat", now_s},
                       {"auth_time", now_s},
                       {"exp", now_s + pending.token_ttl_s},
                       {"preferred_username", pending.caller.name},
                       {"name", pending.caller.name},
                       {"profile", options_.issuer + "/" + pending.caller.name}};
  if (!pending.nonce.empty()) id["nonce"] = pending.nonce;
  if ((" " + pending.scope + " ").find(" openid ") != std::string::npos) out["id_token"] = keys_->Sign(id);
  return out;
}

Result<OidcProvider::AccessToken> OidcProvider::CheckAccessToken(std::string_view access_token) const {
  ASSIGN_OR_RETURN(nlohmann::json claims, VerifyJwt(access_token, keys_->PublicKeys(), clock_->UnixMillis() / 1000));
  auto text = [&](const char* key) {
    auto it = claims.find(key);
    return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::optional<int64_t> user_id = ParseInt(text("sub"));
  auto iat = claims.find("iat");
  if (text("typ") != kAccessTokenType || text("iss") != options_.issuer || !user_id || text("aud").empty() ||
      iat == claims.end() || !iat->is_number_integer()) {
    return Status::Unauthenticated("not an access token of this provider");
  }
  std::string name = text("preferred_username");
  nlohmann::json info = {{"sub", text("sub")},
                         {"name", claims.value("name", name)},
                         {"preferred_username", name},
                         {"profile", options_.issuer + "/" + name},
                         {"scope", text("scope")}};
  std::vector<std::string> scopes = Split(info["scope"].get<std::string>(), ' ');
  if (WantsOrgs(scopes)) info["orgs"] = claims.contains("orgs") ? claims["orgs"] : nlohmann::json::array();
  return AccessToken{*user_id, text("aud"), iat->get<int64_t>(), std::move(info)};
}

}  // namespace spaceport::access
