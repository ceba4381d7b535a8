#include "cli/fake_hub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/strings.h"

namespace spaceport::cli::testing {
namespace {

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string RecordedRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

FakeHub::FakeHub() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listen_fd_, 16) != 0) {
    abort();  // a test fixture without a socket cannot do anything useful
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeHub::~FakeHub() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

void FakeHub::Route(const std::string& method, const std::string& target, std::vector<CannedResponse> responses) {
  std::lock_guard lock(mu_);
  routes_[method + " " + target] = std::move(responses);
  served_[method + " " + target] = 0;
}

void FakeHub::SetDefault(CannedResponse response) {
  std::lock_guard lock(mu_);
  default_ = std::move(response);
}

std::vector<RecordedRequest> FakeHub::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<RecordedRequest> FakeHub::RequestsTo(const std::string& method, const std::string& target) const {
  std::vector<RecordedRequest> out;
  for (const RecordedRequest& r : Requests()) {
    if (r.method == method && r.target == target) out.push_back(r);
  }
  return out;
}

CannedResponse FakeHub::Next(const std::string& method, const std::string& target) {
  std::lock_guard lock(mu_);
  auto it = routes_.find(method + " " + target);
  if (it == routes_.end() || it->second.empty()) {
    if (default_) return *default_;
    return {404, R"({"error":"no route )" + method + " " + target + R"("})"};
  }
  size_t& n = served_[it->first];
  const CannedResponse& r = it->second[std::min(n, it->second.size() - 1)];
  ++n;
  return r;
}

void FakeHub::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    HandleConnection(fd);
    close(fd);
  }
}

void FakeHub::HandleConnection(int fd) {
  std::string data;
  char buf[4096];
  size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
  }
  RecordedRequest req;
  std::vector<std::string> lines = Split(data.substr(0, head_end), '\n');
  std::vector<std::string> first = Split(std::string(Trim(lines[0])), ' ');
  if (first.size() < 2) return;
  req.method = first[0];
  req.target = first[1];
  size_t content_length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string name(Trim(lines[i].substr(0, colon)));
    std::string value(Trim(lines[i].substr(colon + 1)));
    if (EqualsIgnoreCase(name, "content-length")) content_length = static_cast<size_t>(ParseInt(value).value_or(0));
    req.headers.emplace_back(name, value);
  }
  req.body = data.substr(head_end + 4);
  while (req.body.size() < content_length) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    req.body.append(buf, static_cast<size_t>(n));
  }
  {
    std::lock_guard lock(mu_);
    requests_.push_back(req);
  }
  CannedResponse resp = Next(req.method, req.target);
  std::string head = "HTTP/1.1 " + std::to_string(resp.status) + " X\r\nContent-Type: " + resp.content_type +
                     "\r\nConnection: close\r\n";
  if (resp.hold_ms == 0) head += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
  WriteAll(fd, head + "\r\n" + resp.body);
  if (resp.hold_ms > 0) usleep(static_cast<useconds_t>(resp.hold_ms) * 1000);
}

}  // namespace spaceport::cli::testing
