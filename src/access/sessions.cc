#include "access/sessions.h"

#include "core/strings.h"

namespace spaceport::access {
namespace {

constexpr std::string_view kSessionPrefix = "ss_";
constexpr size_t kSessionRandomBytes = 32;

}  // namespace

bool IsWellFormedSessionId(std::string_view id) {
  return id.size() == kSessionPrefix.size() + 2 * kSessionRandomBytes && StartsWith(id, kSessionPrefix) &&
         IsLowerHex(id.substr(kSessionPrefix.size()));
}

std::string HashSessionId(std::string_view id) { return Sha256Hex(id); }

Result<IssuedSession> SessionManager::Issue(int64_t user_id) {
  ASSIGN_OR_RETURN(store::User user, store_->GetUser(user_id));
  int64_t now = clock_->UnixMillis();
  IssuedSession issued{std::string(kSessionPrefix) + RandomHex(kSessionRandomBytes), RandomHex(32),
                       now + options_.lifetime.count()};
  store::Session row{HashSessionId(issued.id), user_id, issued.csrf_token, now, issued.expires_at, now};
  RETURN_IF_ERROR(store_->CreateSession(row));
  bool sweep = false;
  {
    MutexLock lock(mu_);
    if (now - last_sweep_ >= options_.sweep_every.count()) {
      last_sweep_ = now;
      sweep = true;
    }
  }
  if (sweep) (void)store_->DeleteExpiredSessions(now);  // housekeeping: a failure only delays it
  MutexLock lock(mu_);
  CacheLocked(SessionIdentity{std::move(user), row.id_hash, row.csrf_secret, row.expires_at, now});
  return issued;
}

Result<IssuedSession> SessionManager::Rotate(std::string_view old_session_id, int64_t user_id) {
  if (!old_session_id.empty()) RETURN_IF_ERROR(Revoke(old_session_id));
  return Issue(user_id);
}

std::optional<SessionIdentity> SessionDirectory::FindCached(std::string_view session_id) const {
  if (!IsWellFormedSessionId(session_id)) return std::nullopt;
  return FindCachedByHash(HashSessionId(session_id));
}

Result<std::optional<SessionIdentity>> SessionDirectory::Lookup(std::string_view session_id) {
  if (!IsWellFormedSessionId(session_id)) return std::optional<SessionIdentity>();
  return LookupByHash(HashSessionId(session_id));
}

Result<std::optional<SessionIdentity>> SessionManager::LookupByHash(std::string_view id_hash) {
  if (id_hash.size() != 64 || !IsLowerHex(id_hash)) return std::optional<SessionIdentity>();
  std::string hash(id_hash);
  int64_t now = clock_->UnixMillis();
  // The store is the truth (another process, e.g. `spaceport user password`,
  // may have revoked the session); the cache follows it.
  auto row = store_->GetSession(hash, now);
  if (row.status().code() == StatusCode::kNotFound) {
    MutexLock lock(mu_);
    cache_.erase(hash);
    return std::optional<SessionIdentity>();
  }
  RETURN_IF_ERROR(row.status());
  std::optional<SessionIdentity> found =
      SessionIdentity{row->second, hash, row->first.csrf_secret, row->first.expires_at, row->first.last_seen_at};
  if (now - found->last_touched >= options_.touch_every.count()) {
    // Best effort: a failed touch must not sign the visitor out.
    (void)store_->TouchSession(hash, now, found->expires_at);
    found->last_touched = now;
  }
  MutexLock lock(mu_);
  CacheLocked(*found);
  return found;
}

Status SessionManager::Revoke(std::string_view session_id) {
  if (!IsWellFormedSessionId(session_id)) return Status::Ok();
  std::string hash = HashSessionId(session_id);
  {
    MutexLock lock(mu_);
    cache_.erase(hash);
  }
  return store_->DeleteSession(hash);
}

void SessionManager::ForgetCached(std::string_view id_hash) {
  MutexLock lock(mu_);
  cache_.erase(std::string(id_hash));
}

Status SessionManager::RevokeAll(int64_t user_id) {
  {
    MutexLock lock(mu_);
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.user.id == user_id ? cache_.erase(it) : std::next(it);
    }
  }
  return store_->DeleteUserSessions(user_id);
}

const SessionIdentity* SessionManager::LiveLocked(std::string_view id_hash) const {
  auto it = cache_.find(id_hash);
  return it == cache_.end() || it->second.expires_at <= clock_->UnixMillis() ? nullptr : &it->second;
}

std::optional<SessionIdentity> SessionManager::FindCachedByHash(std::string_view id_hash) const {
  MutexLock lock(mu_);
  const SessionIdentity* live = LiveLocked(id_hash);
  return live == nullptr ? std::nullopt : std::optional<SessionIdentity>(*live);
}

std::optional<int64_t> SessionManager::CachedUserOf(std::string_view id_hash) const {
  MutexLock lock(mu_);
  const SessionIdentity* live = LiveLocked(id_hash);
  return live == nullptr ? std::nullopt : std::optional<int64_t>(live->user.id);
}

void SessionManager::CacheLocked(const SessionIdentity& identity) {
  if (cache_.size() >= options_.max_cached && !cache_.contains(identity.id_hash)) {
    // Full: forget everything expired; if still full, start over (lookups
    // fall back to the store, so this costs queries, not correctness).
    int64_t now = clock_->UnixMillis();
    std::erase_if(cache_, [now](const auto& kv) { return kv.second.expires_at <= now; });
    if (cache_.size() >= options_.max_cached) cache_.clear();
  }
  cache_[identity.id_hash] = identity;
}

std::optional<std::string> SessionIdFromCookies(const http::Headers& headers) {
  for (const auto& [name, value] : headers.fields()) {
    if (!EqualsIgnoreCase(name, "Cookie")) continue;
    for (const std::string& part : Split(value, ';')) {
      std::string_view pair = Trim(part);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos || Trim(pair.substr(0, eq)) != kSessionCookieName) continue;
      std::string_view id = Trim(pair.substr(eq + 1));
      if (IsWellFormedSessionId(id)) return std::string(id);
    }
  }
  return std::nullopt;
}

std::string SessionCookie(std::string_view session_id, int64_t max_age_seconds, bool secure) {
  return std::string(kSessionCookieName) + "=" + std::string(session_id) +
         "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age_seconds) + (secure ? "; Secure" : "");
}

std::string ClearedSessionCookie(bool secure) {
  return std::string(kSessionCookieName) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (secure ? "; Secure" : "");
}

bool CsrfTokenMatches(std::string_view expected, std::string_view given) {
  if (expected.empty() || given.empty()) return false;
  return ConstantTimeEquals(expected, given);
}

}  // namespace spaceport::access
