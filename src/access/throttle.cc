#include "access/throttle.h"

#include <algorithm>
#include <vector>

#include "core/strings.h"

namespace spaceport::access {
namespace {
std::string AccountKey(std::string_view account) { return "a:" + ToLower(account); }
std::string AddressKey(std::string_view address) { return "ip:" + std::string(address); }
}  // namespace

std::optional<Millis> SignInThrottle::WaitFor(const std::string& key, SteadyTime now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.blocked_until <= now) return std::nullopt;
  return std::chrono::duration_cast<Millis>(it->second.blocked_until - now);
}

std::optional<Millis> SignInThrottle::RetryAfter(std::string_view account, std::string_view address) {
  MutexLock lock(mu_);
  SteadyTime now = clock_->Now();
  std::optional<Millis> a = WaitFor(AccountKey(account), now);
  std::optional<Millis> b = WaitFor(AddressKey(address), now);
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

void SignInThrottle::FailLocked(const std::string& key, SteadyTime now) {
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure >= options_.forget_after) e = Entry{};
  ++e.failures;
  e.last_failure = now;
  int over = e.failures - options_.free_failures;
  if (over <= 0) return;
  Millis delay = options_.base_delay;
  for (int i = 1; i < over && delay < options_.max_delay; ++i) delay *= 2;
  e.blocked_until = now + std::min(delay, options_.max_delay);
}

void SignInThrottle::RecordFailure(std::string_view account, std::string_view address) {
  MutexLock lock(mu_);
  SteadyTime now = clock_->Now();
  if (entries_.size() >= options_.max_keys) PruneLocked(now);
  FailLocked(AccountKey(account), now);
  FailLocked(AddressKey(address), now);
}

void SignInThrottle::RecordSuccess(std::string_view account) {
  MutexLock lock(mu_);
  entries_.erase(AccountKey(account));
}

void SignInThrottle::PruneLocked(SteadyTime now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool stale = now - it->second.last_failure >= options_.forget_after && it->second.blocked_until <= now;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < options_.max_keys) return;
  // Still full of live keys: drop the oldest half rather than grow without bound.
  std::vector<std::pair<SteadyTime, std::string>> by_age;
  for (const auto& [key, e] : entries_) by_age.emplace_back(e.last_failure, key);
  std::sort(by_age.begin(), by_age.end());
  for (size_t i = 0; i < by_age.size() / 2; ++i) entries_.erase(by_age[i].second);
}

}  // namespace spaceport::access
