#include "runtime/native/forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace spaceport::runtime::native {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

namespace {

// A listening socket on 127.0.0.1:port in the calling thread's namespace.
Result<int> ListenLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = Loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0) {
    const std::string why = "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + strerror(errno);
    // AlreadyExists: the port was taken since it was picked; another may do.
    Status failed = errno == EADDRINUSE ? Status::AlreadyExists(why) : Status::Unavailable(why);
    close(fd);
    return failed;
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<LoopbackForwarder>> LoopbackForwarder::Listen(int port, int inner_port) {
  ASSIGN_OR_RETURN(int fd, ListenLoopback(port));
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return Status::Internal(std::string("pipe: ") + strerror(errno));
  }
  return std::unique_ptr<LoopbackForwarder>(
      new LoopbackForwarder(fd, wake[0], wake[1], port, inner_port > 0 ? inner_port : port));
}

Result<std::unique_ptr<LoopbackForwarder>> LoopbackForwarder::Egress(int port) {
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + strerror(errno));
  return std::unique_ptr<LoopbackForwarder>(new LoopbackForwarder(-1, wake[0], wake[1], port, port));
}

LoopbackForwarder::LoopbackForwarder(int listen_fd, int wake_read, int wake_write, int port, int inner_port)
    : listen_fd_(listen_fd), wake_read_(wake_read), wake_write_(wake_write), port_(port), inner_port_(inner_port),
      listening_(listen_fd >= 0 ? 1 : 0) {}

LoopbackForwarder::~LoopbackForwarder() {
  Stop();
  if (listen_fd_ >= 0) close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

void LoopbackForwarder::Start(int netns_fd) {
  accept_thread_ = std::thread([this, netns_fd] { AcceptLoop(netns_fd); });
}

void LoopbackForwarder::StartDialing(std::function<int()> dial) {
  dial_ = std::move(dial);
  accept_thread_ = std::thread([this] { ServeConnections(); });
}

void LoopbackForwarder::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      char b = 1;
      (void)!write(wake_write_, &b, 1);
    }
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
  }
  if (accept_thread_.joinable() && accept_thread_.get_id() != std::this_thread::get_id()) accept_thread_.join();
  pumps_.JoinAll();
}

bool LoopbackForwarder::Track(int fd) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  open_.insert(fd);
  return true;
}

void LoopbackForwarder::Untrack(int fd) {
  std::lock_guard lock(mu_);
  open_.erase(fd);
}

bool LoopbackForwarder::WaitListening(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  listening_cv_.wait_for(lock, timeout, [this] { return listening_ != 0; });
  return listening_ == 1;
}

void LoopbackForwarder::AcceptLoop(int netns_fd) {
  if (listen_fd_ < 0) {
    bool bound = ListenInside(netns_fd);
    {
      std::lock_guard lock(mu_);
      listening_ = bound ? 1 : -1;
    }
    listening_cv_.notify_all();
    if (bound) ServeConnections();
    return;
  }
  // Network namespaces are per thread: sockets this thread creates from now
  // on live in the app's namespace; the listener stays in the host's.
  bool entered = setns(netns_fd, CLONE_NEWNET) == 0;
  if (!entered) {
    SP_LOG(kError) << "forwarder cannot enter the app's network namespace: " << strerror(errno);
  }
  close(netns_fd);
  if (entered) ServeConnections();
}

bool LoopbackForwarder::ListenInside(int netns_fd) {
  int host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  bool ok = host >= 0 && setns(netns_fd, CLONE_NEWNET) == 0;
  close(netns_fd);
  if (ok) {
    Result<int> fd = ListenLoopback(port_);
    // Back home first, whatever happened: connections must be opened on the host.
    bool home = setns(host, CLONE_NEWNET) == 0;
    if (fd.ok() && home) listen_fd_ = *fd;
    if (fd.ok() && !home) close(*fd);
    if (!fd.ok()) {
      SP_LOG(kWarn) << "egress to the hub unavailable: " << fd.status().message();
    }
    ok = fd.ok() && home;
  } else {
    SP_LOG(kError) << "egress forwarder cannot enter the app's network namespace: " << strerror(errno);
  }
  if (host >= 0) close(host);
  return ok;
}

void LoopbackForwarder::ServeConnections() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    if (fds[0].revents == 0) continue;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    if (dial_) {
      if (!Track(client)) {
        close(client);
        continue;
      }
      pumps_.Spawn([this, client] {
        int upstream = dial_();
        if (upstream < 0 || !Track(upstream)) {
          if (upstream >= 0) close(upstream);
          Untrack(client);
          close(client);
          return;
        }
        int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Pump(client, upstream);
      });
      continue;
    }
    int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(inner_port_);
    if (upstream < 0 || connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || !Track(client) ||
        !Track(upstream)) {
      Untrack(client);
      if (upstream >= 0) close(upstream);
      close(client);
      continue;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pumps_.Spawn([this, client, upstream] { Pump(client, upstream); });
  }
}

void LoopbackForwarder::Pump(int client, int upstream) {
  PumpBetween(client, upstream);
  Untrack(client);
  Untrack(upstream);
  close(client);
  close(upstream);
}

void PumpBetween(int a, int b) {
  char buf[65536];
  int fds_[2] = {a, b};
  bool open_in[2] = {true, true};  // reading from fds_[i] still possible
  while (open_in[0] || open_in[1]) {
    pollfd p[2];
    int n = 0, which[2];
    for (int i = 0; i < 2; ++i) {
      if (open_in[i]) {
        which[n] = i;
        p[n++] = {fds_[i], POLLIN, 0};
      }
    }
    if (poll(p, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    bool failed = false;
    for (int k = 0; k < n; ++k) {
      if (p[k].revents == 0) continue;
      int from = fds_[which[k]], to = fds_[1 - which[k]];
      ssize_t got = recv(from, buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got > 0) {
        failed = failed || !WriteAll(to, buf, static_cast<size_t>(got));
      } else {
        open_in[which[k]] = false;  // EOF or error: pass the half-close on
        shutdown(to, SHUT_WR);
        failed = failed || got < 0;
      }
    }
    if (failed) break;
  }
}

}  // namespace spaceport::runtime::native
