// Clock: the only way Spaceport code asks what time it is.
//
// Inject a Clock wherever time matters (timeouts, idle timers, token expiry)
// so tests use FakeClock and never sleep. RealClock (real_clock.cc) is the one
// place that reads the system clocks. Thread safety: all methods are safe to
// call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace spaceport {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for durations and deadlines.
  virtual SteadyTime Now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for records.
  virtual int64_t UnixMillis() const = 0;
};

std::unique_ptr<Clock> MakeRealClock();

// A clock that moves only when told. Starts at an arbitrary fixed instant.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t unix_millis = 1'700'000'000'000) : unix_ms_(unix_millis) {}
  SteadyTime Now() const override { return SteadyTime(Millis(steady_ms_.load())); }
  int64_t UnixMillis() const override { return unix_ms_.load(); }
  void Advance(Millis d) {
    steady_ms_ += d.count();
    unix_ms_ += d.count();
  }

 private:
  std::atomic<int64_t> steady_ms_{1'000'000};
  std::atomic<int64_t> unix_ms_;
};

// ISO-8601 UTC with milliseconds, e.g. 2026-11-23T18:26:00.000Z (HF's format).
std::string FormatIsoTime(int64_t unix_millis);

}  // namespace spaceport
