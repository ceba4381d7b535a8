// The one file that reads the system clocks (see clock.h).
#include <ctime>
#include <string>

#include "core/clock.h"

namespace spaceport {
namespace {

class RealClock : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  int64_t UnixMillis() const override {
    return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

std::unique_ptr<Clock> MakeRealClock() { return std::make_unique<RealClock>(); }

std::string FormatIsoTime(int64_t unix_millis) {
  time_t secs = static_cast<time_t>(unix_millis / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[40];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_millis % 1000));
  return buf;
}

}  // namespace spaceport
