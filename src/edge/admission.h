// Admission: which accepted connections the edge keeps, so that exhaustion
// sheds load with a clean refusal instead of spinning or starving everyone.
//
// - Descriptors: out of descriptors (EMFILE, ENFILE), a level-triggered
//   listener would be woken for the same waiting connection again and again
//   and never take it. Each listener holds one descriptor in reserve
//   (FdReserve): it lets that one go, accepts the connection, answers it 503
//   and closes it, then takes the reserve back. Without its reserve it stops
//   accepting for a moment rather than spin.
// - Per client address (ClientCounts): at most `max_per_client` connections
//   from one IP at once; more are answered 429 and closed. 0: no cap.
//
// The process's own descriptor limit is raised to its hard limit at start
// (RaiseOpenFileLimit): the usual soft limit of 1,024 is reached by about a
// thousand idle sockets.
//
// Thread safety: ClientCounts is shared by the loop threads (a short mutex,
// no I/O under it); an FdReserve belongs to one listener's loop thread.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"
#include "core/status.h"

namespace spaceport::edge {

class ClientCounts {
 public:
  explicit ClientCounts(int max_per_client) : max_(max_per_client) {}
  // Counts a new connection from `ip`; false (not counted) past the cap.
  bool Admit(const std::string& ip);
  void Release(const std::string& ip);
  int Count(const std::string& ip);

 private:
  const int max_;
  Mutex mu_;
  std::unordered_map<std::string, int> counts_ SP_GUARDED_BY(mu_);
};

class FdReserve {
 public:
  FdReserve();
  ~FdReserve();
  FdReserve(const FdReserve&) = delete;
  FdReserve& operator=(const FdReserve&) = delete;
  bool held() const { return fd_ >= 0; }
  void Release();
  // Takes the reserve back; false while the process is still out of descriptors.
  bool Retake();

 private:
  int fd_ = -1;
};

// Answers a just-accepted socket with a short complete response (best
// effort: it is non-blocking and nothing was read) and closes it.
void RefuseConnection(int fd, int status, std::string_view why);

// Raises RLIMIT_NOFILE's soft limit to the hard limit; the new soft limit.
Result<long> RaiseOpenFileLimit();

}  // namespace spaceport::edge
