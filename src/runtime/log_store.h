// LogStore: per-Space build and run logs, kept on disk with rotation and
// streamed live (the hub's SSE endpoints follow them).
//
// Lines are numbered per (space, kind) with a sequence number that only grows,
// so a follower asks "everything after seq N" and never misses or repeats a
// line. Build logs are reset at the start of each build (Reset), run logs
// persist across restarts (with rotation past a size limit).
// Thread safety: all methods are safe from any thread; Wait blocks only the
// calling thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace spaceport::runtime {

enum class LogKind { kBuild, kRun };

struct LogLine {
  uint64_t seq = 0;
  int64_t unix_millis = 0;
  std::string text;  // one line, without its newline
};

class LogStore {
 public:
  virtual ~LogStore() = default;
  // Splits `text` into lines; a trailing partial line is kept until completed
  // or Flush()ed.
  virtual void Append(std::string_view space_id, LogKind kind, std::string_view text) = 0;
  virtual void Flush(std::string_view space_id, LogKind kind) = 0;
  virtual void Reset(std::string_view space_id, LogKind kind) = 0;
  // The last `max_lines` lines.
  virtual std::vector<LogLine> Tail(std::string_view space_id, LogKind kind, size_t max_lines) = 0;
  // Lines with seq > after_seq; waits up to `wait` for at least one.
  virtual std::vector<LogLine> Wait(std::string_view space_id, LogKind kind, uint64_t after_seq, Millis wait) = 0;
  virtual void Forget(std::string_view space_id) = 0;  // space deleted
};

// Files under `dir`/<owner>/<name>/{build,run}.log, rotated at `max_bytes`.
std::unique_ptr<LogStore> MakeFileLogStore(std::string dir, const Clock* clock, size_t max_bytes = 4 << 20);

}  // namespace spaceport::runtime
