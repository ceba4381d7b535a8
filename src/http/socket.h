// Thin POSIX socket helpers for the HTTP server, proxy and client.
//
// UniqueFd owns a file descriptor and closes it once. The helpers return
// Status/Result instead of errno. Thread safety: free functions; a UniqueFd
// is owned by one thread at a time. Failure: Unavailable for connect/bind
// errors, Internal for unexpected syscall failures.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace spaceport::http {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A listening TCP socket on host:port (port 0 = any), non-blocking.
Result<UniqueFd> ListenTcp(const std::string& host, int port, bool reuse_port, int backlog = 1024);
// Starts a non-blocking connect to a numeric or resolvable host. The socket
// is writable once connected; check SocketError() then.
Result<UniqueFd> ConnectTcpNonBlocking(const std::string& host, int port);
// Blocking connect with a timeout in milliseconds.
Result<UniqueFd> ConnectTcp(const std::string& host, int port, int timeout_ms);
// Pending error of a socket (SO_ERROR), 0 if none.
int SocketError(int fd);
Status SetNonBlocking(int fd, bool on);
void SetNoDelay(int fd);
int LocalPort(int fd);
std::string PeerAddress(int fd);

}  // namespace spaceport::http
