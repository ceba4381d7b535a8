// AppSessions: signed-in visitors on app hosts, without a database.
//
// An app host ({owner}-{name}.{apps-domain}) is another origin than the hub,
// so the hub's session cookie never reaches it. The hand-off: the hub, which
// knows the visitor, mints a short-lived single-use code for one Space
// (MintCode) and redirects the browser to the app host's
// /.spaceport/login?code=...; the edge redeems the code (Redeem) and sets the
// app host's own cookie, whose value is a signed app-session token read back
// with FromCookie on each request. Both are EdDSA JWTs from SigningKeys with
// a "typ" of their own, so neither can stand in for the other or for the
// identity token apps receive; "aud" pins them to one Space.
//
// Thread safety: safe from any thread; mutexes guard the set of redeemed
// codes and the signed identities (no I/O under them).
// Failure: Redeem returns Unauthenticated for bad, expired, foreign or
// already used codes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "access/caller_cache.h"
#include "access/signing_keys.h"
#include "core/clock.h"

namespace spaceport::access {

struct AppSessionOptions {
  Millis code_ttl{60000};
  Millis session_ttl{Millis(12LL * 3600 * 1000)};
  Millis identity_ttl{300000};  // X-Spaceport-Identity tokens
};

class AppSessions {
 public:
  AppSessions(const SigningKeys* keys, const Clock* clock, std::string issuer = "", AppSessionOptions options = {})
      : keys_(keys), clock_(clock), issuer_(std::move(issuer)), options_(options) {}

  std::string MintCode(const Caller& caller, std::string_view space_id) const;
  // The app-session cookie value for a valid, unused code of this Space.
  Result<std::string> Redeem(std::string_view code, std::string_view space_id);
  std::optional<Caller> FromCookie(std::string_view cookie_value, std::string_view space_id) const;
  // The identity handed to the app in X-Spaceport-Identity. Signed once per
  // (user, Space) and reused for the first half of its lifetime: the edge
  // asks on every request of a signed-in visitor.
  std::string IdentityToken(const Caller& caller, std::string_view space_id) const;

  Millis session_ttl() const { return options_.session_ttl; }
  // The hub's public URL ("iss"), known only once the listener is bound: set
  // it before any route is published (no request can reach an app earlier).
  void SetIssuer(std::string issuer) { issuer_ = std::move(issuer); }
  const std::string& issuer() const { return issuer_; }

 private:
  Result<nlohmann::json> Verify(std::string_view token, std::string_view typ, std::string_view space_id) const;

  const SigningKeys* const keys_;
  const Clock* const clock_;
  std::string issuer_;
  const AppSessionOptions options_;
  std::mutex mu_;
  std::map<std::string, int64_t> redeemed_;  // code id -> expiry (unix seconds)
  struct SignedIdentity {
    std::string token;
    int64_t reuse_until = 0;  // unix seconds
  };
  mutable std::mutex identities_mu_;
  mutable std::unordered_map<std::string, SignedIdentity> identities_;  // "user id/space id"
};

}  // namespace spaceport::access
