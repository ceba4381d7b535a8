// Server-sent events for log streams: SseParser splits a byte stream into
// events; ParseLogEvent reads the hub's log payload
//   data: {"data": "<line>", "timestamp": "<ISO-8601>"}
// Chunks may split lines anywhere; "\n", "\r\n" and "\r" all end a line.
// Comment lines (":") and unknown fields are ignored; a line longer than
// kMaxLine is cut so a hostile server cannot grow memory without bound.
// Not thread safe (one parser per stream).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spaceport::cli {

struct SseEvent {
  std::string event;  // "message" unless the server named it
  std::string data;   // data lines joined with "\n"
};

class SseParser {
 public:
  static constexpr size_t kMaxLine = 1 << 20;
  // Returns the events completed by this chunk.
  std::vector<SseEvent> Feed(std::string_view chunk);

 private:
  void OnLine(std::string_view line, std::vector<SseEvent>& out);

  std::string line_;
  bool last_was_cr_ = false;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

struct LogEvent {
  std::string text;       // the log line without a trailing newline
  std::string timestamp;  // may be empty
};

// A JSON payload gives its "data"/"timestamp"; anything else is taken as text.
LogEvent ParseLogEvent(std::string_view data);

}  // namespace spaceport::cli
