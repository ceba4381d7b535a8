// The package proxy against real sockets on loopback: a configured source is
// tunnelled, anything else (the hub's port, say) gets 403 and no connection.
#include "runtime/native/package_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace spaceport::runtime::native {
namespace {

// A loopback listener that answers "pong" to whoever connects, and counts them.
class PongServer {
 public:
  PongServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ++accepted_;
        (void)!write(c, "pong", 4);
        close(c);
      }
    });
  }
  ~PongServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Sends `request` to the proxy and returns everything it answers.
std::string Ask(int proxy_port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(proxy_port));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[1024];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

TEST(SourceOfUrlTest, HostAndPortOfASource) {
  EXPECT_EQ(*SourceOfUrl("https://registry.npmjs.org/"), "registry.npmjs.org:443");
  EXPECT_EQ(*SourceOfUrl("http://127.0.0.1:3141/simple"), "127.0.0.1:3141");
  EXPECT_EQ(*SourceOfUrl("https://user:pw@Mirror.Example:8443/pypi?x"), "mirror.example:8443");
  EXPECT_EQ(*SourceOfUrl("http://mirror.example"), "mirror.example:80");
  EXPECT_FALSE(SourceOfUrl("/opt/wheels").ok());
  EXPECT_FALSE(SourceOfUrl("https:///nohost").ok());
}

TEST(PackageProxyTest, TunnelsToASourceAndRefusesEverythingElse) {
  PongServer source, hub;
  auto proxy = PackageProxy::Start({"127.0.0.1:" + std::to_string(source.port())});
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  const int port = (*proxy)->port();

  std::string tunnelled = Ask(port, "CONNECT 127.0.0.1:" + std::to_string(source.port()) + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(tunnelled, "HTTP/1.1 200 Connection established\r\n\r\npong");
  EXPECT_EQ(source.accepted(), 1);

  std::string refused = Ask(port, "CONNECT 127.0.0.1:" + std::to_string(hub.port()) + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(refused.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << refused;
  EXPECT_NE(refused.find("127.0.0.1:" + std::to_string(hub.port()) + " is not a configured package source"),
            std::string::npos);
  std::string absolute = Ask(port, "GET http://127.0.0.1:" + std::to_string(hub.port()) + "/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(absolute.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << absolute;
  EXPECT_EQ(Ask(port, "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_EQ(hub.accepted(), 0);  // never reached

  // http sources get one exchange, marked Connection: close.
  std::string one = Ask(port, "GET http://127.0.0.1:" + std::to_string(source.port()) +
                                  "/simple/ HTTP/1.1\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(one, "pong");
  EXPECT_EQ(source.accepted(), 2);
}

}  // namespace
}  // namespace spaceport::runtime::native
