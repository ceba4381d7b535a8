// Browser sessions: issue, look up, rotate and revoke; the session cookie;
// CSRF tokens.
//
// A session id is "ss_" + 64 hex characters of fresh randomness, sent to the
// browser in an HttpOnly cookie and never stored: the store keeps its SHA-256
// (store::Session). Each session has its own CSRF secret, which forms carry
// and the hub compares in constant time (CsrfTokenMatches). Sessions live for
// `lifetime` from sign-in (no sliding renewal); last_seen_at is written at
// most every `touch_every`. Expired rows are swept from the store by Issue,
// at most every `sweep_every`.
//
// SessionDirectory is the read side the edge uses: FindCached answers from
// memory only (never the database), so a request path can ask "who is this
// cookie?" without I/O; on a miss the edge calls Lookup once from a worker
// thread. SessionManager keeps that memory exact for sessions it issued or
// looked up, and drops them on revoke; Lookup (also the hub's path) always
// asks the store, so a revocation by another process (an offline command) is
// seen by the next hub lookup of that session. See docs/access.md.
// Ownership: borrows the store and clock. Thread safety: all methods are safe
// from any thread. Failure: store errors come back as they are; an unknown,
// malformed or expired session id is not an error (nullopt).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"
#include "core/clock.h"
#include "core/status.h"
#include "http/message.h"
#include "store/account_store.h"

namespace spaceport::access {

constexpr std::string_view kSessionCookieName = "spaceport_session";

struct SessionOptions {
  Millis lifetime{14LL * 24 * 60 * 60 * 1000};
  Millis touch_every{5 * 60 * 1000};
  Millis sweep_every{60 * 60 * 1000};  // expired rows are deleted on sign-in at most this often
  size_t max_cached = 100000;
};

struct IssuedSession {
  std::string id;          // the cookie value; shown once, never stored
  std::string csrf_token;  // the session's CSRF secret
  int64_t expires_at = 0;  // unix millis
};

// What a session says about its visitor.
struct SessionIdentity {
  store::User user;
  std::string id_hash;
  std::string csrf_secret;
  int64_t expires_at = 0;
  int64_t last_touched = 0;  // last write of last_seen_at
};

class SessionDirectory {
 public:
  virtual ~SessionDirectory() = default;
  // From memory only: nullopt when the id is malformed, unknown here, expired
  // or revoked.
  std::optional<SessionIdentity> FindCached(std::string_view session_id) const;
  // From the store (blocking: never on an event loop), refreshing the
  // memory. nullopt: no valid session; errors are the store's.
  Result<std::optional<SessionIdentity>> Lookup(std::string_view session_id);
  // The same by the id's hash (HashSessionId), which app-host cookies carry
  // instead of the id itself.
  virtual std::optional<SessionIdentity> FindCachedByHash(std::string_view id_hash) const = 0;
  // Only the user id of a session live in memory (no copy of the identity:
  // the edge asks on every request of an app-host cookie made from it).
  virtual std::optional<int64_t> CachedUserOf(std::string_view id_hash) const = 0;
  virtual Result<std::optional<SessionIdentity>> LookupByHash(std::string_view id_hash) = 0;
};

class SessionManager : public SessionDirectory {
 public:
  SessionManager(store::AccountStore* store, const Clock* clock, SessionOptions options = {})
      : store_(store), clock_(clock), options_(options) {}

  Result<IssuedSession> Issue(int64_t user_id);
  // Sign-in: whatever session the browser had is revoked and a new id issued,
  // so an id planted before sign-in (session fixation) never gains rights.
  Result<IssuedSession> Rotate(std::string_view old_session_id, int64_t user_id);
  Result<std::optional<SessionIdentity>> LookupByHash(std::string_view id_hash) override;
  Status Revoke(std::string_view session_id);  // idempotent
  Status RevokeAll(int64_t user_id);           // every session of the user
  // Another node revoked the session with this id hash: drop it from memory
  // (the store row is gone already).
  void ForgetCached(std::string_view id_hash);

  std::optional<SessionIdentity> FindCachedByHash(std::string_view id_hash) const override;
  std::optional<int64_t> CachedUserOf(std::string_view id_hash) const override;
  const SessionOptions& options() const { return options_; }

 private:
  void CacheLocked(const SessionIdentity& identity) SP_REQUIRES(mu_);
  // The cached, unexpired session with this id hash, or null.
  const SessionIdentity* LiveLocked(std::string_view id_hash) const SP_REQUIRES(mu_);

  store::AccountStore* store_;
  const Clock* clock_;
  const SessionOptions options_;
  mutable Mutex mu_;
  struct HashView {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, SessionIdentity, HashView, std::equal_to<>> cache_ SP_GUARDED_BY(mu_);  // by id hash
  int64_t last_sweep_ SP_GUARDED_BY(mu_) = 0;
};

bool IsWellFormedSessionId(std::string_view id);
std::string HashSessionId(std::string_view id);

// The session id in the request's Cookie headers, if any.
std::optional<std::string> SessionIdFromCookies(const http::Headers& headers);
// Set-Cookie values: HttpOnly, SameSite=Lax, Path=/, Secure when `secure`.
std::string SessionCookie(std::string_view session_id, int64_t max_age_seconds, bool secure);
std::string ClearedSessionCookie(bool secure);

// Constant-time; an empty expected or given token never matches.
bool CsrfTokenMatches(std::string_view expected, std::string_view given);

}  // namespace spaceport::access
