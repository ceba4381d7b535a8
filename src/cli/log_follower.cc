#include "cli/log_follower.h"

namespace spaceport::cli {

void LogFollower::BeginConnection() {
  parser_ = SseParser();
  seen_at_last_ = 0;
}

// ISO-8601 UTC timestamps of one format compare correctly as strings.
bool LogFollower::IsNew(const std::string& timestamp) {
  if (timestamp.empty()) return true;
  if (timestamp < last_timestamp_) return false;
  if (timestamp == last_timestamp_) {
    if (++seen_at_last_ <= passed_at_last_) return false;
    ++passed_at_last_;
    return true;
  }
  last_timestamp_ = timestamp;
  passed_at_last_ = 1;
  seen_at_last_ = 1;
  return true;
}

std::vector<LogLine> LogFollower::Feed(std::string_view chunk) {
  std::vector<LogLine> out;
  for (SseEvent& ev : parser_.Feed(chunk)) {
    if (ev.event != "message") continue;
    LogEvent log = ParseLogEvent(ev.data);
    if (!IsNew(log.timestamp)) continue;
    out.push_back({std::move(log), std::move(ev.data)});
  }
  return out;
}

}  // namespace spaceport::cli
