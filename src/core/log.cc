#include "core/log.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace spaceport {
namespace {

LogLevel ThresholdFromEnv() {
  const char* v = getenv("SPACEPORT_LOG");
  if (v == nullptr) return LogLevel::kInfo;
  if (strcmp(v, "debug") == 0) return LogLevel::kDebug;
  if (strcmp(v, "warn") == 0) return LogLevel::kWarn;
  if (strcmp(v, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "D";
    case LogLevel::kInfo: return "I";
    case LogLevel::kWarn: return "W";
    case LogLevel::kError: return "E";
  }
  return "?";
}

}  // namespace

bool LogEnabled(LogLevel level) {
  static const LogLevel threshold = ThresholdFromEnv();
  return level >= threshold;
}

LogLine::LogLine(LogLevel level, const char* file, int line) {
  const char* base = strrchr(file, '/');
  out_ << LevelName(level) << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogLine::~LogLine() {
  out_ << '\n';
  std::string s = out_.str();
  ssize_t ignored = write(2, s.data(), s.size());
  (void)ignored;
}

}  // namespace spaceport
