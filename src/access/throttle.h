// SignInThrottle: slows down password guessing, per account and per client
// address, with exponential back-off.
//
// The first `free_failures` failures of a key cost nothing; after that each
// failure doubles the wait before the next attempt (base_delay, 2x, 4x...,
// capped at max_delay). A successful sign-in clears the account's counter
// (not the address's, so one attacker cannot reset it with an account of
// their own). Counters are forgotten `forget_after` after their last failure.
// State is in memory only (a restart forgets it) and bounded: past
// `max_keys` the stalest keys are dropped.
// Thread safety: all methods are safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "core/clock.h"

namespace spaceport::access {

struct ThrottleOptions {
  int free_failures = 5;
  Millis base_delay{1000};
  Millis max_delay{15 * 60 * 1000};
  Millis forget_after{60 * 60 * 1000};
  size_t max_keys = 100000;
};

class SignInThrottle {
 public:
  SignInThrottle(const Clock* clock, ThrottleOptions options = {}) : clock_(clock), options_(options) {}

  // How long the caller must wait before trying again; nullopt: go ahead.
  // `account` is compared case-insensitively.
  std::optional<Millis> RetryAfter(std::string_view account, std::string_view address);
  void RecordFailure(std::string_view account, std::string_view address);
  void RecordSuccess(std::string_view account);

 private:
  struct Entry {
    int failures = 0;
    SteadyTime last_failure{};
    SteadyTime blocked_until{};
  };
  std::optional<Millis> WaitFor(const std::string& key, SteadyTime now) SP_REQUIRES(mu_);
  void FailLocked(const std::string& key, SteadyTime now) SP_REQUIRES(mu_);
  void PruneLocked(SteadyTime now) SP_REQUIRES(mu_);

  const Clock* clock_;
  const ThrottleOptions options_;
  Mutex mu_;
  std::map<std::string, Entry> entries_ SP_GUARDED_BY(mu_);  // "a:<account>" and "ip:<address>"
};

}  // namespace spaceport::access
