#include "access/app_sessions.h"

#include <algorithm>

#include "core/strings.h"

namespace spaceport::access {
namespace {

constexpr std::string_view kCodeType = "sp-handoff";
constexpr std::string_view kSessionType = "sp-app-session";
constexpr std::string_view kIdentityType = "sp-identity";
constexpr std::string_view kEmbedType = "sp-embed-session";

std::string StringClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json CallerClaims(const Caller& caller, std::string_view typ, std::string_view space_id,
                            const std::string& issuer, int64_t now_s, Millis ttl) {
  return {
      {"typ", typ},      {"iss", issuer}, {"sub", std::to_string(caller.user_id)}, {"preferred_username", caller.name},
      {"aud", space_id}, {"iat", now_s},  {"exp", now_s + ttl.count() / 1000}};
}

}  // namespace

std::string AppSessions::MintCode(const Caller& caller, std::string_view space_id,
                                  std::string_view session_hash) const {
  nlohmann::json claims =
      CallerClaims(caller, kCodeType, space_id, issuer_, clock_->UnixMillis() / 1000, options_.code_ttl);
  claims["jti"] = RandomHex(16);
  if (!session_hash.empty()) claims["sid"] = session_hash;
  return keys_->Sign(claims);
}

Result<nlohmann::json> AppSessions::Verify(std::string_view token, std::string_view typ,
                                           std::string_view space_id) const {
  ASSIGN_OR_RETURN(nlohmann::json claims, VerifyJwt(token, keys_->PublicKeys(), clock_->UnixMillis() / 1000));
  if (StringClaim(claims, "typ") != typ || StringClaim(claims, "aud") != space_id ||
      StringClaim(claims, "iss") != issuer_ || !claims["exp"].is_number_integer()) {
    return Status::Unauthenticated("token is not meant for this Space");
  }
  if (!claims["sub"].is_string() || !claims["preferred_username"].is_string()) {
    return Status::Unauthenticated("token names no user");
  }
  return claims;
}

Result<std::string> AppSessions::Redeem(std::string_view code, std::string_view space_id) {
  ASSIGN_OR_RETURN(nlohmann::json claims, Verify(code, kCodeType, space_id));
  std::string jti = claims.value("jti", "");
  if (jti.empty()) return Status::Unauthenticated("sign-in code has no id");
  const int64_t now_s = clock_->UnixMillis() / 1000;
  {
    MutexLock lock(mu_);
    for (auto it = redeemed_.begin(); it != redeemed_.end();) {
      it = it->second < now_s - 60 ? redeemed_.erase(it) : std::next(it);
    }
    if (!redeemed_.emplace(jti, claims["exp"].get<int64_t>()).second) {
      return Status::Unauthenticated("sign-in code was already used");
    }
  }
  Caller caller{ParseInt(claims["sub"].get<std::string>()).value_or(0), claims["preferred_username"]};
  nlohmann::json session = CallerClaims(caller, kSessionType, space_id, issuer_, now_s, options_.session_ttl);
  if (std::string sid = StringClaim(claims, "sid"); !sid.empty()) session["sid"] = sid;
  return keys_->Sign(session);
}

std::optional<AppSessions::CookieHolder> AppSessions::RememberedCookie(std::string_view value,
                                                                       std::string_view space_id) const {
  const int64_t now_s = clock_->UnixMillis() / 1000;
  MutexLock lock(cookies_mu_);
  auto it = cookies_.find(value);
  if (it == cookies_.end()) return std::nullopt;
  if (it->second.exp <= now_s) {
    cookies_.erase(it);
    return std::nullopt;
  }
  if (it->second.aud != space_id || it->second.ended) return CookieHolder{};
  return it->second.holder;
}

void AppSessions::RememberCookie(std::string_view value, VerifiedCookie verified) const {
  MutexLock lock(cookies_mu_);
  if (cookies_.size() >= 100000) cookies_.clear();  // a crude bound; refilled on demand
  cookies_.insert_or_assign(std::string(value), std::move(verified));
}

void AppSessions::EndCookie(std::string_view cookie_value) const {
  MutexLock lock(cookies_mu_);
  if (auto it = cookies_.find(cookie_value); it != cookies_.end()) it->second.ended = true;
}

std::optional<AppSessions::VerifiedCookie> AppSessions::VerifyCookie(std::string_view value,
                                                                     std::string_view space_id) const {
  cookie_signature_checks_.fetch_add(1, std::memory_order_relaxed);
  Result<nlohmann::json> claims = VerifyJwt(value, keys_->PublicKeys(), clock_->UnixMillis() / 1000);
  if (!claims.ok() || StringClaim(*claims, "aud") != space_id || StringClaim(*claims, "iss") != issuer_ ||
      !(*claims)["exp"].is_number_integer()) {
    return std::nullopt;
  }
  VerifiedCookie verified;
  verified.aud = std::string(space_id);
  verified.exp = (*claims)["exp"].get<int64_t>();
  const std::string typ = StringClaim(*claims, "typ");
  if (typ == kSessionType) {
    std::optional<int64_t> id = ParseInt(StringClaim(*claims, "sub"));
    std::string name = StringClaim(*claims, "preferred_username");
    if (!id || *id <= 0 || name.empty()) return std::nullopt;
    verified.holder.caller = Caller{*id, std::move(name)};
    verified.holder.session_hash = StringClaim(*claims, "sid");
  } else if (typ == kEmbedType) {
    std::string link_id = StringClaim(*claims, "lid");
    if (link_id.empty()) return std::nullopt;
    verified.holder.embed_link = std::move(link_id);
  } else {
    return std::nullopt;  // a sign-in code or an identity token is no cookie
  }
  return verified;
}

AppSessions::CookieHolder AppSessions::ReadCookie(std::string_view cookie_value, std::string_view space_id) const {
  if (std::optional<CookieHolder> known = RememberedCookie(cookie_value, space_id)) return std::move(*known);
  std::optional<VerifiedCookie> verified = VerifyCookie(cookie_value, space_id);
  if (!verified) return {};
  CookieHolder holder = verified->holder;
  RememberCookie(cookie_value, std::move(*verified));
  return holder;
}

AppSessions::EmbedCookie AppSessions::EmbedSession(std::string_view space_id, const EmbedGrant& grant) const {
  const int64_t now_ms = clock_->UnixMillis();
  const int64_t until_ms = std::min(grant.expires_at_ms, now_ms + options_.session_ttl.count());
  const int64_t now_s = now_ms / 1000;
  nlohmann::json claims = {{"typ", kEmbedType},    {"iss", issuer_}, {"aud", space_id},
                           {"lid", grant.link_id}, {"iat", now_s},   {"exp", until_ms / 1000}};
  return {keys_->Sign(claims), Millis(std::max<int64_t>(until_ms - now_ms, 0))};
}

std::string AppSessions::IdentityToken(const Caller& caller, std::string_view space_id, std::string_view plan) const {
  const int64_t now_s = clock_->UnixMillis() / 1000;
  std::string key = std::to_string(caller.user_id) + "/" + std::string(space_id) + "/" + std::string(plan);
  {
    MutexLock lock(identities_mu_);
    auto it = identities_.find(key);
    if (it != identities_.end() && it->second.reuse_until > now_s) return it->second.token;
  }
  nlohmann::json claims = CallerClaims(caller, kIdentityType, space_id, issuer_, now_s, options_.identity_ttl);
  if (!plan.empty()) claims["plan"] = std::string(plan);
  std::string token = keys_->Sign(claims);
  MutexLock lock(identities_mu_);
  if (identities_.size() >= 100000) identities_.clear();  // a crude bound; refilled on demand
  identities_[key] = {token, now_s + options_.identity_ttl.count() / 2000};
  return token;
}

}  // namespace spaceport::access
