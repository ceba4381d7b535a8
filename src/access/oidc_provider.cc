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
          {"claims_supported", {"sub", "name", "preferred_username", "profile"}}};
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

Result<std::string> OidcProvider::Authorize(const store::Space& space, const AuthorizeRequest& req,
                                            const Caller& caller, const std::string& card_json,
                                            const std::string& app_port_suffix) {
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
  std::vector<std::string> allowed = AllowedScopes(card);
  std::vector<std::string> granted;
  for (const std::string& s : Split(req.scope.empty() ? "openid profile" : req.scope, ' ')) {
    if (s.empty()) continue;
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      return Status::InvalidArgument("scope '" + s + "' is not offered to this Space");
    }
    granted.push_back(s);
  }
  int64_t ttl_s =
      card.contains("hf_oauth_expiration_minutes") && card["hf_oauth_expiration_minutes"].is_number_integer()
          ? card["hf_oauth_expiration_minutes"].get<int64_t>() * 60
          : options_.default_token_ttl.count() / 1000;
  std::string code = RandomHex(24);
  {
    std::lock_guard lock(mu_);
    SteadyTime now = clock_->Now();
    for (auto it = codes_.begin(); it != codes_.end();)
      it = it->second.expires <= now ? codes_.erase(it) : std::next(it);
    codes_[Sha256Hex(code)] = {
        req.client_id, req.redirect_uri,       req.code_challenge, Join(granted, " "), req.nonce, caller,
        ttl_s,         now + options_.code_ttl};
  }
  std::string sep = req.redirect_uri.find('?') == std::string::npos ? "?" : "&";
  std::string location = req.redirect_uri + sep + "code=" + code;
  if (!req.state.empty()) location += "&state=" + UrlEncode(req.state);
  return location;
}

Result<nlohmann::json> OidcProvider::Token(const store::Space& space, const TokenRequest& req) {
  OAuthClient client = ClientFor(space);
  if (req.client_id != client.client_id || !ConstantTimeEquals(req.client_secret, client.client_secret)) {
    return Status::PermissionDenied("client authentication failed");
  }
  PendingCode pending;
  {
    std::lock_guard lock(mu_);
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

Result<nlohmann::json> OidcProvider::UserInfo(std::string_view access_token) const {
  ASSIGN_OR_RETURN(nlohmann::json claims, VerifyJwt(access_token, keys_->PublicKeys(), clock_->UnixMillis() / 1000));
  if (claims.value("typ", "") != kAccessTokenType || claims.value("iss", "") != options_.issuer) {
    return Status::Unauthenticated("not an access token of this provider");
  }
  std::string name = claims.value("preferred_username", "");
  return nlohmann::json{{"sub", claims.value("sub", "")},
                        {"name", claims.value("name", name)},
                        {"preferred_username", name},
                        {"profile", options_.issuer + "/" + name},
                        {"scope", claims.value("scope", "")}};
}

}  // namespace spaceport::access
