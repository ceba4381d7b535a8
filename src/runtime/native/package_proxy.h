// PackageProxy: the only way out of a build sandbox.
//
// A build runs in a network namespace of its own with nothing in it but its
// loopback, where an egress forwarder (forwarder.h) leads to this proxy on
// the host's loopback. The proxy opens connections only to the package
// sources the operator configured (--pip-index-url, --pip-find-links, the
// npm registry), given as host:port pairs: CONNECT tunnels for https, and
// absolute-form requests for http (forwarded with "Connection: close", so one
// client connection never reaches a second host). Anything else gets 403
// naming the refused target, which shows in the build log. The server's own
// ports and the host's network are therefore out of a build's reach unless
// the operator named them as a source.
//
// Ownership: owns its listener, accept thread and tunnel threads; the
// destructor closes everything and joins them.
// Thread safety: port() and allowed() are constant after Start.
// Failure: Start returns Unavailable when it cannot listen; a refused or
// unreachable target is an HTTP error to the client, never a crash.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "runtime/thread_set.h"

namespace spaceport::runtime::native {

// "https://registry.npmjs.org/" -> "registry.npmjs.org:443"; InvalidArgument
// for what is not an http(s) URL with a host.
Result<std::string> SourceOfUrl(std::string_view url);

class PackageProxy {
 public:
  // `allowed`: lower-case "host:port" entries (see SourceOfUrl).
  static Result<std::unique_ptr<PackageProxy>> Start(std::vector<std::string> allowed);
  ~PackageProxy();
  PackageProxy(const PackageProxy&) = delete;
  PackageProxy& operator=(const PackageProxy&) = delete;

  int port() const { return port_; }
  const std::vector<std::string>& allowed() const { return allowed_; }

 private:
  PackageProxy(int listen_fd, int port, int wake_read, int wake_write, std::vector<std::string> allowed);
  void AcceptLoop();
  void Serve(int client);
  bool Allowed(const std::string& target) const;
  bool Track(int fd);
  void Untrack(int fd);

  const int listen_fd_, port_, wake_read_, wake_write_;
  const std::vector<std::string> allowed_;
  std::thread accept_thread_;
  ThreadSet tunnels_;
  std::mutex mu_;
  bool stopping_ = false;  // guarded by mu_
  std::set<int> open_;     // guarded by mu_: shut down when stopping
};

}  // namespace spaceport::runtime::native
