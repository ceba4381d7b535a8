// LogFollower: turns SSE log streams into new log lines, across reconnects.
//
// The hub sends the tail of the log first and then follows, so a client that
// reconnects sees lines again. LogFollower remembers the newest timestamp it
// has passed on (and how many lines carried it) and drops what it has already
// seen. Lines without a timestamp cannot be matched and are always passed on.
// Call BeginConnection() before feeding a new connection's bytes.
// Not thread safe (one per log being followed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/sse.h"

namespace spaceport::cli {

struct LogLine {
  LogEvent event;
  std::string raw;  // the event's data as sent (for --json)
};

class LogFollower {
 public:
  void BeginConnection();
  std::vector<LogLine> Feed(std::string_view chunk);

 private:
  bool IsNew(const std::string& timestamp);

  SseParser parser_;
  std::string last_timestamp_;
  size_t passed_at_last_ = 0;  // lines passed on with last_timestamp_
  size_t seen_at_last_ = 0;    // lines with last_timestamp_ on this connection
};

}  // namespace spaceport::cli
