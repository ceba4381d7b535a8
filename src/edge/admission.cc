#include "edge/admission.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http/error_response.h"

namespace spaceport::edge {

bool ClientCounts::Admit(const std::string& ip) {
  MutexLock lock(mu_);
  int& n = counts_[ip];
  if (max_ > 0 && n >= max_) {
    if (n == 0) counts_.erase(ip);
    return false;
  }
  ++n;
  return true;
}

void ClientCounts::Release(const std::string& ip) {
  MutexLock lock(mu_);
  auto it = counts_.find(ip);
  if (it == counts_.end()) return;
  if (--it->second <= 0) counts_.erase(it);
}

int ClientCounts::Count(const std::string& ip) {
  MutexLock lock(mu_);
  auto it = counts_.find(ip);
  return it == counts_.end() ? 0 : it->second;
}

FdReserve::FdReserve() { Retake(); }

FdReserve::~FdReserve() { Release(); }

void FdReserve::Release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool FdReserve::Retake() {
  if (fd_ < 0) fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd_ >= 0;
}

void RefuseConnection(int fd, int status, std::string_view why) {
  http::Response r = http::ProtocolErrorResponse(status, std::string(why));
  std::string text = "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(http::ReasonPhrase(r.status)) + "\r\n";
  for (const auto& [name, value] : r.headers.fields()) text += name + ": " + value + "\r\n";
  text += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n";
  text += r.body;
  (void)!send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close(fd);
}

Result<long> RaiseOpenFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return Status::Internal(std::string("getrlimit: ") + strerror(errno));
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      return Status::Internal(std::string("setrlimit RLIMIT_NOFILE: ") + strerror(errno));
    }
    lim = raised;
  }
  return static_cast<long>(lim.rlim_cur);
}

}  // namespace spaceport::edge
