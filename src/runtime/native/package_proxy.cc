#include "runtime/native/package_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/strings.h"
#include "runtime/native/forwarder.h"

namespace spaceport::runtime::native {
namespace {

constexpr size_t kMaxHead = 16 << 10;
constexpr int kHeadTimeoutMs = 10000;
constexpr int kConnectTimeoutMs = 15000;

void Reply(int fd, const std::string& status, const std::string& why) {
  std::string body = "spaceport build sandbox: " + why + "\n";
  std::string text = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)WriteAll(fd, text.data(), text.size());
}

// Reads up to the end of the request head; what came after it stays in `head`.
bool ReadHead(int fd, std::string& head, size_t& head_end) {
  char buf[4096];
  while (head.size() < kMaxHead) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kHeadTimeoutMs) <= 0) return false;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    head.append(buf, static_cast<size_t>(n));
    size_t end = head.find("\r\n\r\n");
    if (end != std::string::npos) {
      head_end = end + 4;
      return true;
    }
  }
  return false;
}

// A TCP connection to host:port, or -1.
int ConnectTo(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      rc = poll(&p, 1, kConnectTimeoutMs) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0
               ? 0
               : -1;
    }
    if (rc != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// Splits "host:port" ("[v6]:port" too); false when malformed.
bool SplitTarget(const std::string& target, std::string& host, std::string& port) {
  size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= target.size()) return false;
  host = target.substr(0, colon);
  port = target.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto n = ParseInt(port);
  return n && *n > 0 && *n < 65536 && !host.empty();
}

// The head of an absolute-form request rewritten for one exchange: the
// client's Connection and Proxy-* headers dropped, "Connection: close" added.
std::string OneShotHead(std::string_view head) {
  std::vector<std::string> lines = Split(head.substr(0, head.size() - 4), '\n');
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string lower = ToLower(line);
    if (i > 0 && (StartsWith(lower, "connection:") || StartsWith(lower, "proxy-"))) continue;
    out += line + "\r\n";
  }
  return out + "Connection: close\r\n\r\n";
}

}  // namespace

Result<std::string> SourceOfUrl(std::string_view url) {
  std::string u = ToLower(Trim(url));
  std::string port;
  if (StartsWith(u, "https://")) {
    u = u.substr(8);
    port = "443";
  } else if (StartsWith(u, "http://")) {
    u = u.substr(7);
    port = "80";
  } else {
    return Status::InvalidArgument("not an http(s) URL: " + std::string(url));
  }
  u = u.substr(0, u.find_first_of("/?#"));
  if (size_t at = u.rfind('@'); at != std::string::npos) u = u.substr(at + 1);  // user:pass@
  if (u.empty()) return Status::InvalidArgument("no host in " + std::string(url));
  size_t colon = u.rfind(':');
  if (colon != std::string::npos && u.find(']', colon) == std::string::npos) return u;  // has a port
  return u + ":" + port;
}

Result<std::unique_ptr<PackageProxy>> PackageProxy::Start(std::vector<std::string> allowed) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Status failed = Status::Unavailable(std::string("package proxy cannot listen: ") + strerror(errno));
    close(fd);
    return failed;
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return Status::Internal(std::string("pipe: ") + strerror(errno));
  }
  for (std::string& a : allowed) a = ToLower(a);
  std::unique_ptr<PackageProxy> proxy(new PackageProxy(fd, ntohs(addr.sin_port), wake[0], wake[1], std::move(allowed)));
  proxy->accept_thread_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

PackageProxy::PackageProxy(int listen_fd, int port, int wake_read, int wake_write, std::vector<std::string> allowed)
    : listen_fd_(listen_fd), port_(port), wake_read_(wake_read), wake_write_(wake_write), allowed_(std::move(allowed)) {}

PackageProxy::~PackageProxy() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    char b = 1;
    (void)!write(wake_write_, &b, 1);
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  tunnels_.JoinAll();
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

bool PackageProxy::Allowed(const std::string& target) const {
  return std::find(allowed_.begin(), allowed_.end(), ToLower(target)) != allowed_.end();
}

bool PackageProxy::Track(int fd) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  open_.insert(fd);
  return true;
}

void PackageProxy::Untrack(int fd) {
  std::lock_guard lock(mu_);
  open_.erase(fd);
}

void PackageProxy::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    if (fds[0].revents == 0) continue;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    if (!Track(client)) {
      close(client);
      break;
    }
    tunnels_.Spawn([this, client] { Serve(client); });
  }
}

void PackageProxy::Serve(int client) {
  std::string head;
  size_t head_end = 0;
  int upstream = -1;
  if (ReadHead(client, head, head_end)) {
    std::string_view line(head.data(), head.find("\r\n"));
    std::vector<std::string> parts = Split(line, ' ');
    std::string target, host, port;
    bool tunnel = parts.size() == 3 && parts[0] == "CONNECT";
    if (tunnel) {
      target = parts[1];
    } else if (parts.size() == 3) {
      auto source = SourceOfUrl(parts[1]);
      if (source.ok() && StartsWith(ToLower(parts[1]), "http://")) target = *source;
    }
    if (target.empty() || !SplitTarget(target, host, port)) {
      Reply(client, "400 Bad Request", "only CONNECT host:port or an absolute http:// request is proxied");
    } else if (!Allowed(target)) {
      SP_LOG(kInfo) << "build sandbox: refused a connection to " << target << " (not a package source)";
      Reply(client, "403 Forbidden", target + " is not a configured package source");
    } else if ((upstream = ConnectTo(host, port)) < 0 || !Track(upstream)) {
      Reply(client, "502 Bad Gateway", "cannot reach " + target);
    } else if (tunnel) {
      static constexpr char kOk[] = "HTTP/1.1 200 Connection established\r\n\r\n";
      std::string early = head.substr(head_end);
      if (WriteAll(client, kOk, sizeof kOk - 1) && WriteAll(upstream, early.data(), early.size())) {
        PumpBetween(client, upstream);
      }
    } else {
      std::string first = OneShotHead(std::string_view(head).substr(0, head_end)) + head.substr(head_end);
      if (WriteAll(upstream, first.data(), first.size())) PumpBetween(client, upstream);
    }
  } else {
    Reply(client, "400 Bad Request", "no request head");
  }
  if (upstream >= 0) {
    Untrack(upstream);
    close(upstream);
  }
  Untrack(client);
  close(client);
}

}  // namespace spaceport::runtime::native
