#include "edge/admission.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/strings.h"
#include "core/subprocess.h"
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

namespace {

// An address as the kernel or a proxy writes it: "1.2.3.4", "::1",
// "::ffff:1.2.3.4" (as IPv4), and in X-Forwarded-For also "1.2.3.4:567",
// "[::1]" and "[::1]:567". False when it is none of these.
bool ParseAddress(std::string_view text, int* family, unsigned char out[16]) {
  text = Trim(text);
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    text = text.substr(1, close - 1);
  } else if (text.find(':') != std::string_view::npos && text.find(':') == text.rfind(':') &&
             text.find('.') != std::string_view::npos) {
    text = text.substr(0, text.find(':'));  // IPv4 with a port
  }
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out, kMapped, 12) == 0) {
    std::memmove(out, out + 12, 4);
    *family = AF_INET;
    return true;
  }
  *family = AF_INET6;
  return true;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  for (const std::string& raw : Split(std::string(list), ',')) {
    std::string_view item = Trim(raw);
    if (item.empty()) continue;
    Net net{};
    std::string_view addr = item;
    std::optional<int64_t> bits;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      addr = item.substr(0, slash);
      bits = ParseInt(item.substr(slash + 1));
      if (!bits) return Status::InvalidArgument("trusted proxy '" + std::string(item) + "': bad prefix length");
    }
    if (addr.find('[') != std::string_view::npos || !ParseAddress(addr, &net.family, net.addr)) {
      return Status::InvalidArgument("trusted proxy '" + std::string(item) + "' is no IP address or network");
    }
    int max = net.family == AF_INET ? 32 : 128;
    net.bits = static_cast<int>(bits.value_or(max));
    if (net.bits < 0 || net.bits > max) {
      return Status::InvalidArgument("trusted proxy '" + std::string(item) + "': prefix length out of range");
    }
    out.nets_.push_back(net);
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view ip) const {
  if (nets_.empty()) return false;
  int family = 0;
  unsigned char addr[16];
  if (!ParseAddress(ip, &family, addr)) return false;
  for (const Net& n : nets_) {
    if (n.family != family) continue;
    int whole = n.bits / 8, rest = n.bits % 8;
    if (std::memcmp(addr, n.addr, static_cast<size_t>(whole)) != 0) continue;
    if (rest != 0) {
      unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((addr[whole] & mask) != (n.addr[whole] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string TrustedProxies::ClientOf(const std::string& peer, const http::Headers& headers) const {
  if (!Contains(peer)) return peer;
  std::vector<std::string> hops;
  for (const auto& [name, value] : headers.fields()) {
    if (!http::NameEquals(name, "X-Forwarded-For")) continue;
    for (const std::string& hop : Split(value, ',')) hops.emplace_back(Trim(hop));
  }
  std::string client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    int family = 0;
    unsigned char addr[16];
    if (!ParseAddress(*it, &family, addr)) break;
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, addr, text, sizeof text);
    client = text;
    if (!Contains(client)) break;
  }
  return client;
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
    SetChildOpenFileLimit(lim.rlim_cur);  // apps and builds get the usual one back
    lim = raised;
  }
  return static_cast<long>(lim.rlim_cur);
}

}  // namespace spaceport::edge
