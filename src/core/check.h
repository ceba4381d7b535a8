// Checks that stay in release builds (the default build is RelWithDebInfo,
// where assert() vanishes), after Envoy's RELEASE_ASSERT / ENVOY_BUG policy:
//
//   SP_RELEASE_ASSERT(cond, what)  an impossible state: misuse of an API, a
//     broken invariant. Logs `what` with file and line, then aborts: a core
//     dump and a restart beat serving from corrupt state.
//   SP_BUG(cond, what)  should not happen, but the process can go on: logs
//     "BUG" with `what` (once per call site, so a hot path cannot flood the
//     log) and evaluates to `cond`, so callers can take a safe way out.
//
// Untrusted input never reaches either: it gets a Status.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace spaceport::internal {

[[noreturn]] inline void ReleaseAssertFailed(const char* cond, const char* what, const char* file, int line) {
  std::fprintf(stderr, "FATAL %s:%d: assertion failed: %s (%s)\n", file, line, cond, what);
  std::fflush(stderr);
  std::abort();
}

inline void ReportBug(std::atomic<bool>& reported, const char* cond, const char* what, const char* file, int line) {
  if (reported.exchange(true, std::memory_order_relaxed)) return;
  std::fprintf(stderr, "BUG %s:%d: %s (%s); going on\n", file, line, what, cond);
}

}  // namespace spaceport::internal

#define SP_RELEASE_ASSERT(cond, what)                                                        \
  do {                                                                                       \
    if (!(cond)) [[unlikely]] ::spaceport::internal::ReleaseAssertFailed(#cond, what, __FILE__, __LINE__); \
  } while (false)

#define SP_BUG(cond, what)                                                                    \
  ([&]() -> bool {                                                                            \
    if (!(cond)) return false;                                                                \
    static std::atomic<bool> sp_bug_reported{false};                                          \
    ::spaceport::internal::ReportBug(sp_bug_reported, #cond, what, __FILE__, __LINE__);       \
    return true;                                                                              \
  }())
