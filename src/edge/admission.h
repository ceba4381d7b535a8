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
// - Behind a reverse proxy (TrustedProxies, `serve --trusted-proxies`): a
//   connection from a listed proxy stands for many clients, so it is not
//   counted against the per-address connection cap, and each request's
//   client address (for the per-address worker cap, sign-in throttling, logs
//   and what the app is told) is read from X-Forwarded-For: the rightmost
//   address that is not itself a trusted proxy, as nginx's real_ip module
//   with recursion does. From anyone else X-Forwarded-For is never believed.
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
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "http/message.h"

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

class TrustedProxies {
 public:
  // Comma-separated addresses and CIDR networks, IPv4 or IPv6
  // ("10.0.0.0/8, 127.0.0.1, fd00::/8"); empty: none.
  static Result<TrustedProxies> Parse(std::string_view list);
  bool empty() const { return nets_.empty(); }
  bool Contains(std::string_view ip) const;
  // The client a request from `peer` stands for: `peer`, unless it is
  // trusted; then X-Forwarded-For is walked from the right past trusted
  // hops to the first address that is not (the leftmost if all are; the
  // last good hop when an entry is no address).
  std::string ClientOf(const std::string& peer, const http::Headers& headers) const;

 private:
  struct Net {
    int family;  // AF_INET | AF_INET6
    unsigned char addr[16];
    int bits;
  };
  std::vector<Net> nets_;
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
