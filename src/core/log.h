// Diagnostic logging to stderr: SP_LOG(kInfo) << "text";
//
// For the operator's eyes only (app logs go through runtime/log_store.h).
// Never log secrets or tokens. The threshold comes from SPACEPORT_LOG
// (debug|info|warn|error, default info), read once. Thread safe: each
// statement is written with one write(2).
#pragma once

#include <sstream>
#include <string_view>

namespace spaceport {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

bool LogEnabled(LogLevel level);

class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  template <typename T>
  LogLine& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  std::ostringstream out_;
};

}  // namespace spaceport

#define SP_LOG(level)                                                    \
  if (!::spaceport::LogEnabled(::spaceport::LogLevel::level)) {          \
  } else                                                                 \
    ::spaceport::LogLine(::spaceport::LogLevel::level, __FILE__, __LINE__)
