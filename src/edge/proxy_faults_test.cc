// Proxy path under faults: apps that do not accept, stay silent, stream
// slowly or drop pooled connections, and clients that stop reading. Time is
// a FakeClock: the tests advance it and the edge's sweep reacts.
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <semaphore>
#include <thread>

#include "edge/edge_server.h"
#include "http/parser.h"
#include "http/socket.h"

namespace spaceport::edge {
namespace {

using http::UniqueFd;

bool SendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

// Reads one request head from fd into *req; false on EOF or error.
bool ReadRequestHead(int fd, std::string* buf, http::Request* req) {
  http::HeadParser parser;
  char tmp[4096];
  while (parser.ParseRequest(*buf, req) == http::ParseOutcome::kNeedMore) {
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf->append(tmp, n);
  }
  buf->erase(0, parser.head_size());
  return true;
}

// An app whose every connection runs `serve` on a thread of its own.
class ScriptedUpstream {
 public:
  explicit ScriptedUpstream(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    listen_ = std::move(http::ListenTcp("127.0.0.1", 0, false)).value();
    http::SetNonBlocking(listen_.get(), false).ok();
    port_ = http::LocalPort(listen_.get());
    accept_thread_ = std::thread([this] {
      while (true) {
        int c = ::accept(listen_.get(), nullptr, nullptr);
        if (c < 0) return;
        ++accepted_;
        std::lock_guard lock(mu_);
        open_.push_back(c);
        threads_.emplace_back([this, c] {
          serve_(c);
          std::lock_guard lock(mu_);
          std::erase(open_, c);
          ::close(c);
        });
      }
    });
  }
  ~ScriptedUpstream() {
    ::shutdown(listen_.get(), SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  std::function<void(int)> serve_;
  UniqueFd listen_;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

class ProxyFaultsTest : public ::testing::Test {
 protected:
  void StartEdge() {
    EdgeOptions options;
    options.listen_port = 0;
    options.threads = 1;
    auto server = EdgeServer::Start(options, &routes_, nullptr, &clock_, EdgeAccess::AllowAllForTests());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void Route(int port) {
    runtime::AppRoute route;
    route.space_id = "carol/app";
    route.subdomain = "carol-app";
    route.stage = runtime::Stage::kRunning;
    route.upstream_host = "127.0.0.1";
    route.upstream_port = port;
    route.generation = 1;
    routes_.Publish(route);
  }
  UniqueFd Connect() { return std::move(http::ConnectTcp("127.0.0.1", server_->port(), 5000)).value(); }

  // Advances the clock by `step` until fd has something to read or hung up;
  // returns how many steps that took (or -1).
  int AdvanceUntilReadable(int fd, Millis step, short events = POLLIN) {
    pollfd p{fd, events, 0};
    for (int i = 0; i < 50; ++i) {
      if (::poll(&p, 1, 100) > 0) return i;
      clock_.Advance(step);
    }
    return -1;
  }

  // Reads until the edge closes; the response head and body as one string.
  static std::string ReadToEnd(int fd) {
    std::string all;
    char tmp[65536];
    ssize_t n;
    while ((n = ::recv(fd, tmp, sizeof(tmp), 0)) > 0) all.append(tmp, n);
    return all;
  }

  FakeClock clock_;
  runtime::RouteTable routes_;
  std::unique_ptr<EdgeServer> server_;
};

TEST_F(ProxyFaultsTest, AppThatDoesNotAcceptGets504NamingTheSpace) {
  // A listener with a full accept queue: further SYNs are dropped, so the
  // edge's connect stays in progress.
  UniqueFd full = std::move(http::ListenTcp("127.0.0.1", 0, false, 0)).value();
  int port = http::LocalPort(full.get());
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 3; ++i) {
    auto c = http::ConnectTcpNonBlocking("127.0.0.1", port);
    ASSERT_TRUE(c.ok());
    fillers.push_back(std::move(c).value());
    pollfd p{fillers.back().get(), POLLOUT, 0};
    ::poll(&p, 1, 200);
  }
  Route(port);
  StartEdge();
  UniqueFd c = Connect();
  ASSERT_TRUE(SendAll(c.get(), "GET / HTTP/1.1\r\nHost: carol-app.localhost\r\nConnection: close\r\n\r\n"));
  ASSERT_GE(AdvanceUntilReadable(c.get(), Millis(2000)), 1);  // nothing before the clock moves
  std::string resp = ReadToEnd(c.get());
  EXPECT_EQ(resp.substr(0, 12), "HTTP/1.1 504") << resp;
  EXPECT_NE(resp.find("Space carol/app did not accept a connection within 5000 ms"), std::string::npos) << resp;
}

TEST_F(ProxyFaultsTest, SilentAppGets504AfterReadTimeout) {
  std::promise<void> got_request;
  ScriptedUpstream app([&](int fd) {
    std::string buf;
    http::Request req;
    if (ReadRequestHead(fd, &buf, &req)) got_request.set_value();
    char b;
    while (::recv(fd, &b, 1, 0) > 0) {
    }
  });
  Route(app.port());
  StartEdge();
  UniqueFd c = Connect();
  ASSERT_TRUE(SendAll(c.get(), "GET /think HTTP/1.1\r\nHost: carol-app.localhost\r\n\r\n"));
  ASSERT_EQ(got_request.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // Nine minutes of silence are fine; the response comes only past ten.
  clock_.Advance(Millis(9 * 60000));
  pollfd p{c.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 300), 0);
  ASSERT_GE(AdvanceUntilReadable(c.get(), Millis(4 * 60000)), 0);
  char tmp[4096];
  ssize_t n = ::recv(c.get(), tmp, sizeof(tmp), 0);
  ASSERT_GT(n, 0);
  std::string resp(tmp, n);
  EXPECT_EQ(resp.substr(0, 12), "HTTP/1.1 504") << resp;
  EXPECT_NE(resp.find("Space carol/app sent nothing for 600000 ms"), std::string::npos) << resp;
}

TEST_F(ProxyFaultsTest, StreamingResponseKeepsResettingReadTimeout) {
  std::counting_semaphore<8> next{0};
  ScriptedUpstream app([&](int fd) {
    std::string buf;
    http::Request req;
    if (!ReadRequestHead(fd, &buf, &req)) return;
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 1; i <= 4; ++i) {
      if (i > 1) next.acquire();
      SendAll(fd, "9\r\ndata: " + std::to_string(i) + "\n\n\r\n");
    }
    next.acquire();
    SendAll(fd, "0\r\n\r\n");
  });
  struct ReleaseOnExit {  // lets the app thread finish if an assertion ends the test early
    std::counting_semaphore<8>& s;
    ~ReleaseOnExit() { s.release(4); }
  } release_on_exit{next};
  Route(app.port());
  StartEdge();
  UniqueFd c = Connect();
  ASSERT_TRUE(SendAll(c.get(), "GET /events HTTP/1.1\r\nHost: carol-app.localhost\r\n\r\n"));
  std::string got;
  char tmp[4096];
  for (int i = 1; i <= 4; ++i) {
    std::string want = "data: " + std::to_string(i) + "\n\n";
    while (got.find(want) == std::string::npos) {
      ssize_t n = ::recv(c.get(), tmp, sizeof(tmp), 0);
      ASSERT_GT(n, 0) << "stream cut before event " << i << ":\n" << got;
      got.append(tmp, n);
    }
    // Six minutes between events: 24 in all, each gap under the 10-minute limit.
    clock_.Advance(Millis(6 * 60000));
    next.release();
  }
  while (got.find("0\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(c.get(), tmp, sizeof(tmp), 0);
    ASSERT_GT(n, 0) << got;
    got.append(tmp, n);
  }
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 200");
}

TEST_F(ProxyFaultsTest, ClientThatStopsReadingIsResetAndAppReleased) {
  constexpr uint64_t kTotal = 64ull << 20;
  std::promise<void> app_cut_off;
  ScriptedUpstream app([&](int fd) {
    std::string buf;
    http::Request req;
    if (!ReadRequestHead(fd, &buf, &req)) return;
    std::string block(1 << 20, 'z');
    bool ok = SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kTotal) + "\r\n\r\n");
    for (uint64_t sent = 0; ok && sent < kTotal; sent += block.size()) ok = SendAll(fd, block);
    if (!ok) app_cut_off.set_value();
  });
  Route(app.port());
  StartEdge();
  UniqueFd c = Connect();
  ASSERT_TRUE(SendAll(c.get(), "GET /big HTTP/1.1\r\nHost: carol-app.localhost\r\n\r\n"));
  // Read nothing. Steps of 61 s: the 60 s client limit must strike long
  // before the app's 10-minute read limit could.
  int steps = AdvanceUntilReadable(c.get(), Millis(61000), 0);
  ASSERT_GE(steps, 1);
  EXPECT_LE(steps, 5);
  uint64_t received = 0;
  char tmp[65536];
  ssize_t n;
  while ((n = ::recv(c.get(), tmp, sizeof(tmp), 0)) > 0) received += n;
  EXPECT_LT(received, kTotal);
  EXPECT_EQ(app_cut_off.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST_F(ProxyFaultsTest, IdempotentRequestRetriedOnceWhenPooledConnectionIsDead) {
  // The app answers one request per connection, keep-alive, then drops the
  // connection when the next request arrives on it: the pooled connection
  // is dead before any response byte.
  ScriptedUpstream app([](int fd) {
    std::string buf;
    http::Request req;
    if (!ReadRequestHead(fd, &buf, &req)) return;
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    http::Request next;
    ReadRequestHead(fd, &buf, &next);
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  });
  Route(app.port());
  StartEdge();
  auto exchange = [&](std::string_view method) {
    UniqueFd c = Connect();
    SendAll(c.get(), std::string(method) + " / HTTP/1.1\r\nHost: carol-app.localhost\r\nConnection: close\r\n\r\n");
    return ReadToEnd(c.get());
  };
  EXPECT_EQ(exchange("GET").substr(0, 12), "HTTP/1.1 200");
  EXPECT_EQ(app.accepted(), 1);
  // Pooled connection dead: a GET is retried once on a fresh connection.
  EXPECT_EQ(exchange("GET").substr(0, 12), "HTTP/1.1 200");
  EXPECT_EQ(app.accepted(), 2);
  // A POST is not idempotent: the same failure is the client's 502.
  std::string post = exchange("POST");
  EXPECT_EQ(post.substr(0, 12), "HTTP/1.1 502") << post;
  EXPECT_NE(post.find("Space carol/app is not reachable"), std::string::npos) << post;
  EXPECT_EQ(app.accepted(), 2);
}

}  // namespace
}  // namespace spaceport::edge
