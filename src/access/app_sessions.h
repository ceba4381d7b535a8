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
// identity token apps receive; "aud" pins them to one Space, and "sid" (the
// hash of the hub session the visitor signed in with) lets the edge end the
// app-host session when the hub session ends.
// Embed viewers (visitors who came through an embed link, embed_links.h) get
// a cookie of a third "typ" (EmbedSession): no user, the link's id, and an
// expiry no later than the link's; the edge also checks on every request
// that the link is still live, so a revoked link ends it at once.
//
// Thread safety: safe from any thread; mutexes guard the set of redeemed
// codes and the signed identities (no I/O under them).
// Failure: Redeem returns Unauthenticated for bad, expired, foreign or
// already used codes.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"
#include "access/caller_cache.h"
#include "access/embed_links.h"
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

  // `session_hash`: the hub session the visitor signed in with
  // (HashSessionId), carried into the app-host cookie so that signing out of
  // the hub ends it too; empty for a hand-off made with an API token.
  std::string MintCode(const Caller& caller, std::string_view space_id, std::string_view session_hash = "") const;
  // The app-session cookie value for a valid, unused code of this Space.
  Result<std::string> Redeem(std::string_view code, std::string_view space_id);
  // What an app-host cookie of this Space stands for: a signed-in visitor,
  // an embed viewer (whether the link is still live is for the AccessTable
  // entry to say), or neither (bad, expired, another Space's). One signature
  // check per cookie value, whichever kind it is.
  struct CookieHolder {
    std::optional<Caller> caller;
    std::string session_hash;  // with `caller`: the hub session it hangs on (empty: none)
    std::optional<std::string> embed_link;
  };
  CookieHolder ReadCookie(std::string_view cookie_value, std::string_view space_id) const;
  std::optional<Caller> FromCookie(std::string_view cookie_value, std::string_view space_id) const {
    return ReadCookie(cookie_value, space_id).caller;
  }
  // The identity handed to the app in X-Spaceport-Identity. Signed once per
  // (user, Space) and reused for the first half of its lifetime: the edge
  // asks on every request of a signed-in visitor.
  // `plan`, when given, is the caller's plan on the Space (billing): the
  // token then carries it as the claim "plan".
  std::string IdentityToken(const Caller& caller, std::string_view space_id, std::string_view plan = "") const;

  // The app-host cookie of an embed viewer who opened a live link of this
  // Space, and how long it lasts: until the link expires, at most session_ttl.
  struct EmbedCookie {
    std::string value;
    Millis ttl{0};
  };
  EmbedCookie EmbedSession(std::string_view space_id, const EmbedGrant& grant) const;
  std::optional<std::string> EmbedLinkFromCookie(std::string_view cookie_value, std::string_view space_id) const {
    return ReadCookie(cookie_value, space_id).embed_link;
  }
  // The hub session an app-session cookie hangs on has ended: from now on
  // the cookie stands for nobody, answered from memory (a session id never
  // comes back, so neither does the cookie). No-op for a cookie not in memory.
  void EndCookie(std::string_view cookie_value) const;
  // Signature checks spent on cookies so far (a remembered cookie costs none).
  uint64_t cookie_signature_checks() const { return cookie_signature_checks_.load(std::memory_order_relaxed); }
  int64_t UnixMillis() const { return clock_->UnixMillis(); }

  Millis session_ttl() const { return options_.session_ttl; }
  // The hub's public URL ("iss"), known only once the listener is bound: set
  // it before any route is published (no request can reach an app earlier).
  void SetIssuer(std::string issuer) { issuer_ = std::move(issuer); }
  const std::string& issuer() const { return issuer_; }

 private:
  // Signature, expiry, typ, aud, iss and a user (sub).
  Result<nlohmann::json> Verify(std::string_view token, std::string_view typ, std::string_view space_id) const;

  const SigningKeys* const keys_;
  const Clock* const clock_;
  std::string issuer_;
  const AppSessionOptions options_;
  Mutex mu_;
  std::map<std::string, int64_t> redeemed_ SP_GUARDED_BY(mu_);  // code id -> expiry (unix seconds)
  struct SignedIdentity {
    std::string token;
    int64_t reuse_until = 0;  // unix seconds
  };
  mutable Mutex identities_mu_;
  mutable std::unordered_map<std::string, SignedIdentity> identities_ SP_GUARDED_BY(identities_mu_);  // "user id/space id"

  // Cookies already verified, by their exact value: a signed-in visitor's
  // requests cost one signature check per cookie, not one per request. Only
  // a value whose signature checked out gets an entry; its Space and expiry
  // are still compared on every hit.
  struct VerifiedCookie {
    std::string aud;
    int64_t exp = 0;      // unix seconds
    CookieHolder holder;  // what it stands for (a visitor or an embed viewer)
    bool ended = false;   // EndCookie: stands for nobody
  };
  // What a remembered, unexpired cookie stands for on `space_id`; nullopt
  // when `value` is not in memory.
  std::optional<CookieHolder> RememberedCookie(std::string_view value, std::string_view space_id) const;
  // The claims of a cookie of either kind for this Space, checking its signature.
  std::optional<VerifiedCookie> VerifyCookie(std::string_view value, std::string_view space_id) const;
  mutable std::atomic<uint64_t> cookie_signature_checks_{0};
  void RememberCookie(std::string_view value, VerifiedCookie verified) const;
  mutable Mutex cookies_mu_;
  mutable std::map<std::string, VerifiedCookie, std::less<>> cookies_ SP_GUARDED_BY(cookies_mu_);
};

}  // namespace spaceport::access
