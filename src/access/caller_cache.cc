#include "access/caller_cache.h"

namespace spaceport::access {

std::optional<CallerCache::Answer> CallerCache::Peek(std::string_view authorization) const {
  std::string key = HashToken(authorization);
  MutexLock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires <= clock_->Now()) return std::nullopt;
  return it->second.answer;
}

CallerCache::Answer CallerCache::Lookup(std::string_view authorization) {
  http::Headers headers;
  headers.Add("Authorization", std::string(authorization));
  Result<std::optional<Principal>> who = authenticator_->Authenticate(headers);
  Answer answer = Status::Unauthenticated("invalid token");
  if (who.ok() && *who) {
    answer = Caller{(*who)->user.id, (*who)->user.name};
  } else if (!who.ok() && who.status().code() != StatusCode::kUnauthenticated) {
    return who.status();  // the store failed: say so, remember nothing
  }
  std::string key = HashToken(authorization);
  MutexLock lock(mu_);
  // A crude bound: a full map is dropped and refilled by the next lookups.
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_.insert_or_assign(std::move(key), Entry{answer, clock_->Now() + ttl_});
  return answer;
}

void CallerCache::ForgetAll() {
  MutexLock lock(mu_);
  entries_.clear();
}

}  // namespace spaceport::access
