#include "edge/edge_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <semaphore>
#include <thread>

#include "core/subprocess.h"
#include "core/testing/temp_dir.h"
#include "edge/admission.h"
#include "edge/local_exchange.h"
#include "http/client.h"
#include "http/parser.h"
#include "http/socket.h"

namespace spaceport::edge {
namespace {

using http::UniqueFd;
using spaceport::testing::TempDir;

// A blocking upstream app: one thread per connection, keep-alive.
class TestUpstream {
 public:
  explicit TestUpstream(std::string name) : name_(std::move(name)) {
    listen_ = std::move(http::ListenTcp("127.0.0.1", 0, false)).value();
    http::SetNonBlocking(listen_.get(), false).ok();
    port_ = http::LocalPort(listen_.get());
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestUpstream() {
    stopping_ = true;
    ::shutdown(listen_.get(), SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : conn_threads_) t.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }
  uint64_t upload_bytes() const { return upload_bytes_; }
  std::binary_semaphore sse_next{0};
  std::promise<void> first_mb;

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int c = ::accept(listen_.get(), nullptr, nullptr);
      if (c < 0) return;
      ++accepted_;
      std::lock_guard lock(mu_);
      open_.push_back(c);
      conn_threads_.emplace_back([this, c] { Serve(c); });
    }
  }

  bool Send(int fd, std::string_view s) { return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == (ssize_t)s.size(); }

  void Serve(int fd) {
    UniqueFd owned(fd);
    std::string buf;
    char tmp[65536];
    while (true) {
      http::HeadParser parser;
      http::Request req;
      http::ParseOutcome o;
      while ((o = parser.ParseRequest(buf, &req)) == http::ParseOutcome::kNeedMore) {
        ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0) return;
        buf.append(tmp, n);
      }
      if (o != http::ParseOutcome::kDone) return;
      std::string head = buf.substr(0, parser.head_size());
      buf.erase(0, parser.head_size());
      if (req.path == "/upload") {
        uint64_t want = std::stoull(std::string(*req.headers.Get("Content-Length")));
        uint64_t got = std::min<uint64_t>(buf.size(), want);
        buf.erase(0, got);
        bool signalled = false;
        while (got < want) {
          ssize_t n = ::recv(fd, tmp, std::min<uint64_t>(sizeof(tmp), want - got), 0);
          if (n <= 0) return;
          got += n;
          upload_bytes_ = got;
          if (!signalled && got >= (1 << 20)) {
            signalled = true;
            first_mb.set_value();
          }
        }
        std::string body = std::to_string(got);
        Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      } else if (req.path == "/sse") {
        Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 1; i <= 3; ++i) {
          std::string ev = "data: " + std::to_string(i) + "\n\n";
          char hex[16];
          snprintf(hex, sizeof(hex), "%zx\r\n", ev.size());
          Send(fd, std::string(hex) + ev + "\r\n");
          if (i < 3) sse_next.acquire();
        }
        Send(fd, "0\r\n\r\n");
      } else if (req.path == "/ws") {
        Send(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        if (!buf.empty()) Send(fd, buf);
        while (true) {
          ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
          if (n <= 0) return;
          Send(fd, std::string_view(tmp, n));
        }
      } else {
        std::string body = name_ + "\n" + head;
        Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body);
      }
    }
  }

  std::string name_;
  UniqueFd listen_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<uint64_t> upload_bytes_{0};
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> conn_threads_;
  std::thread accept_thread_;
};

// A body from a socket that another thread fills (for SendBody).
class SocketSource : public http::BodySource {
 public:
  SocketSource(int fd, uint64_t length) : fd_(fd), left_(length) { fcntl(fd, F_SETFL, O_NONBLOCK); }
  ~SocketSource() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t cap, bool* would_block) override {
    *would_block = false;
    ssize_t n = ::recv(fd_, buf, std::min<uint64_t>(cap, left_), 0);
    if (n < 0 && errno == EAGAIN) {
      *would_block = true;
      return size_t{0};
    }
    if (n < 0) return Status::Internal("recv failed");
    left_ -= static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
  int wait_fd() const override { return fd_; }
  uint64_t remaining() const override { return left_; }

 private:
  int fd_;
  uint64_t left_;
};

class HubStub : public http::Handler {
 public:
  ~HubStub() override {
    for (auto& t : feeders_) t.join();
  }
  std::string file_path;  // served by /file

  void Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) override {
    if (request.path == "/file") {  // left to the event loop
      int fd = ::open(file_path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      ::fstat(fd, &st);
      http::Headers h;
      h.Set("Content-Length", std::to_string(st.st_size));
      out.Start(200, h).ok();
      out.SendBody(http::FileBodySource(fd, 0, static_cast<uint64_t>(st.st_size))).ok();
      return;
    }
    if (request.path == "/trickle") {  // 2,000,000 bytes that come in 20 pieces
      int sv[2];
      ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
      {
        std::lock_guard lock(feeders_mu_);
        feeders_.emplace_back([w = sv[1]] {
          std::string piece(100000, 't');
          for (int i = 0; i < 20; ++i) {
            std::string_view rest = piece;
            while (!rest.empty()) {
              ssize_t n = ::send(w, rest.data(), rest.size(), MSG_NOSIGNAL);
              if (n <= 0) break;
              rest.remove_prefix(static_cast<size_t>(n));
            }
            usleep(5000);
          }
          ::close(w);
        });
      }
      http::Headers h;
      h.Set("Content-Length", "2000000");
      out.Start(200, h).ok();
      out.SendBody(std::make_unique<SocketSource>(sv[0], 2000000)).ok();
      return;
    }
    auto data = body.ReadAll(1 << 20);
    if (request.path == "/big") {  // more than the sockets buffer: the worker waits on the client
      out.Send(http::Response::Text(200, std::string(64 << 20, 'b'))).ok();
      return;
    }
    if (request.path == "/medium") {  // under the edge's spool: the worker need not wait
      std::string body(200 * 1024, 'm');
      for (size_t i = 0; i < body.size(); i += 1000) body[i] = static_cast<char>('a' + (i / 1000) % 26);
      out.Send(http::Response::Text(200, body)).ok();
      return;
    }
    if (request.path == "/whoami") {
      out.Send(http::Response::Text(200, request.remote_addr)).ok();
      return;
    }
    out.Send(http::Response::Text(200, "hub:" + request.path + ":" + (data.ok() ? *data : "?"))).ok();
  }

 private:
  std::mutex feeders_mu_;
  std::vector<std::thread> feeders_;
};

class EdgeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::AppRoute route;
    route.space_id = "alice/app";
    route.subdomain = "alice-app";
    route.stage = runtime::Stage::kRunning;
    route.upstream_host = "127.0.0.1";
    route.upstream_port = upstream_.port();
    route.generation = 1;
    routes_.Publish(route);
    runtime::AppRoute sleeping;
    sleeping.space_id = "bob/down";
    sleeping.subdomain = "bob-down";
    sleeping.stage = runtime::Stage::kBuildError;
    sleeping.error_message = "pip failed";
    routes_.Publish(sleeping);
    EdgeOptions options;
    options.listen_port = 0;
    options.threads = 1;
    auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::string Url(std::string_view path) { return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path); }

  Result<http::ClientResponse> Get(std::string_view path, std::string host = "", http::Headers extra = {}) {
    http::ClientRequest r;
    r.url = Url(path);
    r.headers = std::move(extra);
    if (!host.empty()) r.headers.Set("Host", host);
    r.timeout = Millis(10000);
    return http::Fetch(r);
  }

  UniqueFd Connect() { return std::move(http::ConnectTcp("127.0.0.1", server_->port(), 5000)).value(); }

  static void SendAll(int fd, std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      s.remove_prefix(n);
    }
  }
  // Reads one Content-Length response from a keep-alive socket.
  static std::string ReadResponse(int fd) {
    std::string buf;
    char tmp[4096];
    while (true) {
      http::HeadParser p;
      http::ResponseHead head;
      if (p.ParseResponse(buf, &head) == http::ParseOutcome::kDone) {
        size_t len = std::stoul(std::string(head.headers.Get("Content-Length").value_or("0")));
        while (buf.size() < p.head_size() + len) {
          ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
          if (n <= 0) return buf;
          buf.append(tmp, n);
        }
        return buf;
      }
      ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
      if (n <= 0) return buf;
      buf.append(tmp, n);
    }
  }

  FakeClock clock_;
  TestUpstream upstream_{"v1"};
  runtime::RouteTable routes_;
  HubStub hub_;
  std::unique_ptr<EdgeServer> server_;
};

// Fail closed: an edge wired without its access rules never serves, open or
// otherwise; only the explicit allow-all of the bare-proxy tests runs without.
TEST_F(EdgeServerTest, RefusesToStartWithoutItsAccessTable) {
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  auto bare = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess{});
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(bare.status().message().find("access table"), std::string::npos) << bare.status().message();
  access::AccessTable table;  // a table alone is not enough: the caller cache and sessions decide too
  auto partial = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess{.table = &table});
  EXPECT_EQ(partial.status().code(), StatusCode::kFailedPrecondition);
  // The fixture's edge runs only because it said allow-all.
  EXPECT_EQ(Get("/", "alice-app.localhost:8080")->status, 200);
}

TEST_F(EdgeServerTest, ProxiesByHostAndByPathWithForwardedHeaders) {
  http::Headers extra;
  extra.Add("X-Spaceport-User", "mallory");
  extra.Add("X_Spaceport_User", "mallory");  // what WSGI apps read as X-Spaceport-User too
  extra.Add("X-Forwarded-For", "10.0.0.9");
  auto r = Get("/hello?x=1", "alice-app.localhost:8080", extra);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("v1\nGET /hello?x=1 HTTP/1.1"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("mallory"), std::string::npos);
  EXPECT_NE(r->body.find("X-Forwarded-For: 10.0.0.9, 127.0.0.1"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("X-Forwarded-Proto: http"), std::string::npos);
  EXPECT_NE(r->body.find("X-Forwarded-Host: alice-app.localhost:8080"), std::string::npos);
  EXPECT_EQ(r->body.find("Connection: close"), std::string::npos);  // hop-by-hop stripped

  auto p = Get("/spaces/alice/app/app/page?q=2");
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->body.find("GET /page?q=2 HTTP/1.1"), std::string::npos) << p->body;
  EXPECT_NE(p->body.find("X-Forwarded-Prefix: /spaces/alice/app/app"), std::string::npos);
}

TEST_F(EdgeServerTest, RedirectsNotFoundUnavailableAndDotDot) {
  auto redirect = Get("/spaces/alice/app/app?x=1");
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->headers.Get("Location").value(), "/spaces/alice/app/app/?x=1");
  auto unknown = Get("/", "nobody-here.localhost");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(unknown->body.find("\"error\""), std::string::npos);
  auto down = Get("/", "bob-down.localhost");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(down->headers.Get("Retry-After").value(), "5");
  EXPECT_NE(down->body.find("BUILD_ERROR"), std::string::npos);
  EXPECT_NE(down->body.find("pip failed"), std::string::npos);
  http::Headers html;
  html.Add("Accept", "text/html");
  auto down_html = Get("/", "bob-down.localhost", html);
  EXPECT_NE(down_html->headers.Get("Content-Type")->find("text/html"), std::string::npos);
  for (const char* path : {"/a/../b", "/a/%2e%2E/b", "/spaces/alice/app/app/..%2fx", "/a\\..\\b"}) {
    auto bad = Get(path);
    ASSERT_TRUE(bad.ok());
    EXPECT_EQ(bad->status, 400) << path;
    EXPECT_EQ(bad->body, R"({"error":"path contains '..'"})");
  }
  auto hub = Get("/api/whoami-v2");
  ASSERT_TRUE(hub.ok());
  EXPECT_EQ(hub->body, "hub:/api/whoami-v2:");
}

TEST_F(EdgeServerTest, KeepAliveReusesClientAndUpstreamConnections) {
  UniqueFd c = Connect();
  for (int i = 0; i < 5; ++i) {
    SendAll(c.get(), "GET /k HTTP/1.1\r\nHost: alice-app.localhost\r\n\r\n");
    std::string resp = ReadResponse(c.get());
    EXPECT_NE(resp.find("HTTP/1.1 200"), std::string::npos) << resp;
  }
  // Hub requests on the same connection go through a worker and come back.
  SendAll(c.get(), "POST /hub HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_NE(ReadResponse(c.get()).find("hub:/hub:abc"), std::string::npos);
  SendAll(c.get(), "GET /k HTTP/1.1\r\nHost: alice-app.localhost\r\n\r\n");
  EXPECT_NE(ReadResponse(c.get()).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(upstream_.accepted(), 1);
  std::string metrics;
  server_->AppendMetrics(&metrics);
  EXPECT_NE(metrics.find("spaceport_edge_requests_total{route=\"app_proxy\",code=\"2xx\"} 6"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("spaceport_edge_open_connections 1"), std::string::npos);
}

TEST_F(EdgeServerTest, SmugglingAndOversizedHeadsRejected) {
  UniqueFd c = Connect();
  SendAll(c.get(), "POST / HTTP/1.1\r\nHost: alice-app.localhost\r\nContent-Length: 4\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_NE(ReadResponse(c.get()).find("HTTP/1.1 400"), std::string::npos);
  UniqueFd big = Connect();
  SendAll(big.get(), "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(70000, 'a') + "\r\n\r\n");
  EXPECT_NE(ReadResponse(big.get()).find("HTTP/1.1 431"), std::string::npos);
  EXPECT_EQ(upstream_.accepted(), 0);
}

TEST_F(EdgeServerTest, HeaderTimeoutClosesSlowClients) {
  UniqueFd c = Connect();
  SendAll(c.get(), "GET / HTTP/1.1\r\nHo");
  // The edge may read the bytes after an advance; keep advancing until it answers.
  pollfd p{c.get(), POLLIN, 0};
  for (int i = 0; i < 50 && ::poll(&p, 1, 100) == 0; ++i) clock_.Advance(Millis(16000));
  std::string resp = ReadResponse(c.get());  // returns when the edge closes
  EXPECT_NE(resp.find("408"), std::string::npos) << resp;
  // An idle keep-alive connection is closed silently after idle_timeout.
  UniqueFd idle = Connect();
  pollfd q{idle.get(), POLLIN, 0};
  for (int i = 0; i < 50 && ::poll(&q, 1, 100) == 0; ++i) clock_.Advance(Millis(80000));
  char b;
  EXPECT_EQ(::recv(idle.get(), &b, 1, 0), 0);
}

TEST_F(EdgeServerTest, StreamsLargeUploadWithBoundedBuffers) {
  constexpr uint64_t kTotal = 50ull << 20;
  UniqueFd c = Connect();
  SendAll(c.get(), "POST /upload HTTP/1.1\r\nHost: alice-app.localhost\r\nContent-Length: " + std::to_string(kTotal) +
                       "\r\n\r\n");
  std::string block(1 << 20, 'x');
  // Send 4 MB, then require the app to have seen data before sending the rest.
  for (int i = 0; i < 4; ++i) SendAll(c.get(), block);
  auto first = upstream_.first_mb.get_future();
  ASSERT_EQ(first.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_LT(upstream_.upload_bytes(), kTotal);
  for (uint64_t sent = 4 << 20; sent < kTotal; sent += block.size()) SendAll(c.get(), block);
  std::string resp = ReadResponse(c.get());
  EXPECT_NE(resp.find("\r\n\r\n" + std::to_string(kTotal)), std::string::npos) << resp;
}

TEST_F(EdgeServerTest, ServerSentEventsArriveOneByOne) {
  std::vector<std::string> chunks;
  http::ClientRequest r;
  r.url = Url("/sse");
  r.headers.Add("Host", "alice-app.localhost");
  r.timeout = Millis(10000);
  Status s = http::FetchStream(
      r, [](const http::ClientResponse&) {},
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        upstream_.sse_next.release();  // the app sends the next event only now
        return true;
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(chunks, (std::vector<std::string>{"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"}));
}

TEST_F(EdgeServerTest, WebSocketUpgradeBecomesTunnel) {
  UniqueFd c = Connect();
  SendAll(c.get(), "GET /ws HTTP/1.1\r\nHost: alice-app.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                   "Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string buf;
  char tmp[4096];
  while (buf.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(c.get(), tmp, sizeof(tmp), 0);
    ASSERT_GT(n, 0);
    buf.append(tmp, n);
  }
  EXPECT_EQ(buf.substr(0, 12), "HTTP/1.1 101");
  EXPECT_NE(buf.find("Upgrade: websocket"), std::string::npos);
  for (std::string msg : {"ping-1", "ping-2-longer"}) {
    SendAll(c.get(), msg);
    std::string echo;
    while (echo.size() < msg.size()) {
      ssize_t n = ::recv(c.get(), tmp, sizeof(tmp), 0);
      ASSERT_GT(n, 0);
      echo.append(tmp, n);
    }
    EXPECT_EQ(echo, msg);
  }
}

TEST_F(EdgeServerTest, StaticRouteServedByWorkerWithKeepAlive) {
  std::string root = "/tmp/sp-edge-static-" + std::to_string(::getpid());
  ::mkdir(root.c_str(), 0755);
  { std::ofstream(root + "/index.html") << "<p>static</p>"; }
  runtime::AppRoute route;
  route.space_id = "dave/site";
  route.subdomain = "dave-site";
  route.stage = runtime::Stage::kRunning;
  route.static_root = root;
  routes_.Publish(route);
  UniqueFd c = Connect();
  for (int i = 0; i < 2; ++i) {
    SendAll(c.get(), "GET /spaces/dave/site/app/ HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string resp = ReadResponse(c.get());
    EXPECT_NE(resp.find("HTTP/1.1 200"), std::string::npos) << resp;
    EXPECT_NE(resp.find("<p>static</p>"), std::string::npos);
  }
  SendAll(c.get(), "GET /nope HTTP/1.1\r\nHost: dave-site.localhost\r\n\r\n");
  EXPECT_NE(ReadResponse(c.get()).find("HTTP/1.1 404"), std::string::npos);
  ::unlink((root + "/index.html").c_str());
  ::rmdir(root.c_str());
}

// A Space's frame-ancestors (disable_embedding, spaceport.embed.allow) go
// with every answer of its app, proxied or static; without it, no CSP.
TEST_F(EdgeServerTest, FrameAncestorsGoWithEveryAnswerOfTheApp) {
  const std::string sources = "'self' http://hub.test:8080 https://blog.example.com https://*.example.org";
  auto r = Get("/", "alice-app.localhost");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->headers.Has("Content-Security-Policy")) << "embeddable anywhere by default";

  runtime::AppRoute proxied = *routes_.FindBySpaceId("alice/app");
  proxied.content_security_policy = "frame-ancestors " + sources;
  routes_.Publish(proxied);
  auto framed = Get("/page", "alice-app.localhost");
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  EXPECT_EQ(framed->status, 200);
  EXPECT_EQ(framed->headers.Get("Content-Security-Policy"), "frame-ancestors " + sources);

  std::string root = "/tmp/sp-edge-frame-" + std::to_string(::getpid());
  ::mkdir(root.c_str(), 0755);
  { std::ofstream(root + "/index.html") << "<p>static</p>"; }
  runtime::AppRoute site;
  site.space_id = "dave/site";
  site.subdomain = "dave-site";
  site.stage = runtime::Stage::kRunning;
  site.static_root = root;
  site.content_security_policy = "frame-ancestors 'self' http://hub.test:8080";
  routes_.Publish(site);
  auto page = Get("/", "dave-site.localhost");
  auto missing = Get("/nope", "dave-site.localhost");
  ::unlink((root + "/index.html").c_str());
  ::rmdir(root.c_str());
  ASSERT_TRUE(page.ok() && missing.ok());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers.Get("Content-Security-Policy"), "frame-ancestors 'self' http://hub.test:8080");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers.Get("Content-Security-Policy"), "frame-ancestors 'self' http://hub.test:8080");
}

TEST_F(EdgeServerTest, UpstreamDownIs502) {
  runtime::AppRoute route;
  route.space_id = "carol/gone";
  route.subdomain = "carol-gone";
  route.stage = runtime::Stage::kRunning;
  route.upstream_host = "127.0.0.1";
  auto l = http::ListenTcp("127.0.0.1", 0, false);
  route.upstream_port = http::LocalPort(l->get());
  l->reset();
  routes_.Publish(route);
  auto r = Get("/", "carol-gone.localhost");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
}

TEST_F(EdgeServerTest, GenerationSwitchWhileRequestsFlow) {
  TestUpstream v2("v2");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread load([&] {
    UniqueFd c = Connect();
    while (!stop) {
      SendAll(c.get(), "GET /k HTTP/1.1\r\nHost: alice-app.localhost\r\n\r\n");
      if (ReadResponse(c.get()).find("HTTP/1.1 200") == std::string::npos) ++failures;
    }
  });
  auto r1 = Get("/", "alice-app.localhost");
  EXPECT_EQ(r1->body.substr(0, 3), "v1\n");
  runtime::AppRoute route = *routes_.FindBySpaceId("alice/app");
  route.upstream_port = v2.port();
  route.generation = 2;
  routes_.Publish(route);
  bool switched = false;
  for (int i = 0; i < 100 && !switched; ++i) {
    auto r = Get("/", "alice-app.localhost");
    switched = r.ok() && r->body.substr(0, 3) == "v2\n";
  }
  stop = true;
  load.join();
  EXPECT_TRUE(switched);
  EXPECT_EQ(failures, 0);
}

TEST_F(EdgeServerTest, Http10ClientGetsCloseDelimitedSse) {
  UniqueFd c = Connect();
  SendAll(c.get(), "GET /sse HTTP/1.0\r\nHost: alice-app.localhost\r\n\r\n");
  upstream_.sse_next.release();
  upstream_.sse_next.release();
  std::string all;
  char tmp[4096];
  ssize_t n;
  while ((n = ::recv(c.get(), tmp, sizeof(tmp), 0)) > 0) all.append(tmp, n);
  EXPECT_NE(all.find("\r\n\r\ndata: 1\n\ndata: 2\n\ndata: 3\n\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("Transfer-Encoding"), std::string::npos);
}

}  // namespace
}  // namespace spaceport::edge

namespace spaceport::edge {
namespace {

// Reads until the peer closes or `timeout` passes without a byte.
std::string ReadUntilClosed(int fd, int timeout_ms) {
  std::string out;
  char buf[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return out;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// One client address may hold only so many connections; the next is told
// 429 and closed, and a freed slot admits again.
TEST_F(EdgeServerTest, CapsConnectionsPerClientAddress) {
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 2;
  options.max_connections_per_client = 3;
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  std::vector<UniqueFd> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect());
    SendAll(held.back().get(), "GET /x HTTP/1.1\r\nHost: alice-app.localhost\r\n\r\n");
    EXPECT_NE(ReadResponse(held.back().get()).find("200 OK"), std::string::npos);  // admitted and kept open
  }
  UniqueFd extra = Connect();
  std::string refused = ReadUntilClosed(extra.get(), 5000);
  EXPECT_EQ(refused.rfind("HTTP/1.1 429 ", 0), 0u) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
  held.pop_back();  // closes one
  // The edge sees the close a moment later.
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    UniqueFd again = Connect();
    SendAll(again.get(), "GET /x HTTP/1.1\r\nHost: alice-app.localhost\r\nConnection: close\r\n\r\n");
    admitted = ReadUntilClosed(again.get(), 5000).rfind("HTTP/1.1 200 ", 0) == 0;
    if (!admitted) usleep(100 * 1000);
  }
  EXPECT_TRUE(admitted);
  std::string metrics;
  server_->AppendMetrics(&metrics);
  const std::string counter = "spaceport_edge_refused_connections_total{reason=\"client_cap\"} ";
  size_t at = metrics.find(counter);
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GE(std::stoi(metrics.substr(at + counter.size())), 1) << metrics;
}

// A hub request whose body comes slowly holds a connection, not a worker:
// with one worker, other hub requests are answered meanwhile; the slow one
// gets its answer once the body is in, or 408 when it never comes.
TEST_F(EdgeServerTest, SlowRequestBodiesDoNotHoldWorkers) {
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_local_handler_threads = 1;
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  std::vector<UniqueFd> slow;
  for (int i = 0; i < 5; ++i) {
    slow.push_back(Connect());
    SendAll(slow.back().get(), "POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab");
  }
  usleep(200 * 1000);
  http::ClientRequest quick;
  quick.url = Url("/healthz");
  quick.timeout = Millis(3000);
  auto r = http::Fetch(quick);
  ASSERT_TRUE(r.ok()) << "a hub request waited behind slow bodies: " << r.status().ToString();
  EXPECT_EQ(r->body, "hub:/healthz:");
  // The rest of a body arrives: that request is served with all of it.
  SendAll(slow[0].get(), "cdefghij");
  EXPECT_NE(ReadResponse(slow[0].get()).find("hub:/api/x:abcdefghij"), std::string::npos);
  // A body that never comes: 408 once its time is up.
  pollfd p{slow[1].get(), POLLIN, 0};
  for (int i = 0; i < 50 && ::poll(&p, 1, 100) == 0; ++i) clock_.Advance(Millis(60000));
  EXPECT_NE(ReadResponse(slow[1].get()).find("HTTP/1.1 408"), std::string::npos);
}

// A client that does not read its answer holds a worker; one address gets
// only so many of them, the next request is told 429 until one is free.
TEST_F(EdgeServerTest, CapsWorkerRequestsPerClientAddress) {
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_local_per_client = 1;
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  UniqueFd hog = Connect();
  SendAll(hog.get(), "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
  usleep(300 * 1000);  // its worker now waits for the client to read
  auto refused = Get("/healthz");
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, 429);
  EXPECT_NE(refused->body.find("too many requests in progress"), std::string::npos) << refused->body;
  EXPECT_EQ(ReadResponse(hog.get()).size() > (64u << 20), true);  // it reads after all
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto again = Get("/healthz");
    served = again.ok() && again->status == 200;
    if (!served) usleep(100 * 1000);
  }
  EXPECT_TRUE(served);
}

// A connection whose client reads nothing (a tiny receive window).
UniqueFd ConnectNotReading(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return UniqueFd(fd);
}

// An answer that the socket's buffers and the spool take does not make the
// worker wait for the client: with one worker, a client that reads nothing
// does not hold up the next request, and gets its whole answer (and the
// pipelined next one, in order) once it reads.
TEST_F(EdgeServerTest, SmallAnswersFreeTheWorkerAtOnce) {
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_local_handler_threads = 1;
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  UniqueFd idle = ConnectNotReading(server_->port());
  SendAll(idle.get(), "GET /medium HTTP/1.1\r\nHost: h\r\n\r\nGET /whoami HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  usleep(300 * 1000);
  http::ClientRequest quick;
  quick.url = Url("/healthz");
  quick.timeout = Millis(3000);
  auto r = http::Fetch(quick);
  ASSERT_TRUE(r.ok()) << "the worker waited on a client that does not read: " << r.status().ToString();
  EXPECT_EQ(r->body, "hub:/healthz:");
  // The idle client reads at last: the whole answer, then the pipelined one.
  std::string all = ReadUntilClosed(idle.get(), 5000);
  size_t body_at = all.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_NE(all.substr(0, body_at).find("Content-Length: 204800"), std::string::npos) << all.substr(0, body_at);
  std::string body = all.substr(body_at + 4, 200 * 1024);
  ASSERT_EQ(body.size(), 200u * 1024);
  EXPECT_EQ(body[0], 'a');
  EXPECT_EQ(body[199 * 1000], static_cast<char>('a' + 199 % 26));
  EXPECT_EQ(body[body.size() - 1], 'm');
  std::string second = all.substr(body_at + 4 + 200 * 1024);
  EXPECT_EQ(second.rfind("HTTP/1.1 200 ", 0), 0u) << second.substr(0, 200);
  EXPECT_TRUE(second.ends_with("\r\n\r\n127.0.0.1")) << second.substr(0, 300);
}

// What the socket does not take at once is spooled and handed back for the
// event loop to send, so the handler does not wait: on a socket with tiny
// buffers, most of a 200 KB answer comes back unsent, and what was sent
// plus what is left is the whole answer.
TEST(LocalExchangeTest, SpoolsWhatTheSocketDoesNotTake) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd server(sv[0]), client(sv[1]);
  int small = 4096;
  ::setsockopt(server.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  http::Request request;
  request.method = "GET";
  request.version_minor = 1;
  const std::string body(200 * 1024, 's');
  auto started = std::chrono::steady_clock::now();
  LocalResult result = RunLocalExchange(server.get(), request, http::BodyFraming{}, "", true, SendPace{},
                                        [&](http::BodyReader&, http::ResponseWriter& out) {
                                          out.Send(http::Response::Text(200, body)).ok();
                                        });
  EXPECT_LT(std::chrono::steady_clock::now() - started, Millis(2000));  // it did not wait on the client
  EXPECT_TRUE(result.keep_alive);
  EXPECT_EQ(result.status, 200);
  EXPECT_GT(result.unsent.size(), 100u * 1024);
  EXPECT_FALSE(result.body);
  std::string sent;
  char buf[65536];
  while (true) {
    pollfd p{client.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) break;
    ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    sent.append(buf, static_cast<size_t>(n));
  }
  std::string all = sent + result.unsent;
  EXPECT_EQ(all.rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_TRUE(all.ends_with("\r\n\r\n" + body)) << all.size();
}

// A bigger answer makes the worker wait on the client, but only while the
// client keeps up the minimum rate: one that reads nothing is dropped after
// the grace, and the worker serves others again.
TEST_F(EdgeServerTest, AClientThatStopsReadingLosesItsWorker) {
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_local_handler_threads = 1;
  options.send_grace = Millis(1000);
  options.min_send_rate = 1 << 30;  // no answer of this test comes close
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  UniqueFd idle = ConnectNotReading(server_->port());
  SendAll(idle.get(), "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
  auto started = std::chrono::steady_clock::now();
  http::ClientRequest quick;
  quick.url = Url("/healthz");
  quick.timeout = Millis(10000);
  auto r = http::Fetch(quick);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "hub:/healthz:");
  EXPECT_GE(std::chrono::steady_clock::now() - started, Millis(900));  // it did wait for the grace
  // The idle client's connection was closed short of the answer.
  std::string got = ReadUntilClosed(idle.get(), 5000);
  EXPECT_LT(got.size(), 64u << 20);
}

// A body handed to the event loop (SendBody): the worker is free at once,
// whatever the client does, and the bytes arrive whole, from a file or from
// a source that has to be waited on.
TEST_F(EdgeServerTest, BodiesLeftToTheLoopDoNotHoldAWorker) {
  TempDir dir;
  std::string content(8 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  hub_.file_path = dir.path() + "/big.bin";
  std::ofstream(hub_.file_path, std::ios::binary) << content;
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_local_handler_threads = 1;
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  UniqueFd idle = ConnectNotReading(server_->port());
  SendAll(idle.get(), "GET /file HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  usleep(300 * 1000);
  http::ClientRequest quick;
  quick.url = Url("/healthz");
  quick.timeout = Millis(3000);
  auto r = http::Fetch(quick);
  ASSERT_TRUE(r.ok()) << "a worker waited on a client that does not read: " << r.status().ToString();
  EXPECT_EQ(r->body, "hub:/healthz:");
  std::string all = ReadUntilClosed(idle.get(), 5000);
  size_t body_at = all.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_NE(all.substr(0, body_at).find("Content-Length: 8388608"), std::string::npos);
  EXPECT_TRUE(all.substr(body_at + 4) == content) << "got " << all.size() - body_at - 4 << " bytes";
  // A source that has to be waited on, twice on one keep-alive connection.
  UniqueFd c = Connect();
  for (int round = 0; round < 2; ++round) {
    SendAll(c.get(), "GET /trickle HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string got = ReadResponse(c.get());
    size_t at = got.find("\r\n\r\n");
    ASSERT_NE(at, std::string::npos);
    EXPECT_TRUE(got.substr(at + 4) == std::string(2000000, 't')) << "round " << round;
  }
}

// While its body streams, the client keeps its per-address worker slot; a
// client that takes nothing for client_stall_timeout is dropped, and the
// slot comes free.
TEST_F(EdgeServerTest, AStalledStreamIsDroppedAndItsSlotFreed) {
  TempDir dir;
  hub_.file_path = dir.path() + "/big.bin";
  std::ofstream(hub_.file_path, std::ios::binary) << std::string(16 << 20, 'z');
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_local_per_client = 1;
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  UniqueFd idle = ConnectNotReading(server_->port());
  SendAll(idle.get(), "GET /file HTTP/1.1\r\nHost: h\r\n\r\n");
  usleep(300 * 1000);
  auto held = Get("/healthz");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->status, 429);  // the stream still holds the address's one slot
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    clock_.Advance(Millis(30000));
    usleep(300 * 1000);  // a sweep or so
    auto again = Get("/healthz");
    served = again.ok() && again->status == 200;
  }
  EXPECT_TRUE(served);
  EXPECT_LT(ReadUntilClosed(idle.get(), 5000).size(), 16u << 20);  // cut short
}

// Behind a trusted proxy, the client address comes from X-Forwarded-For
// (the rightmost hop that is not a trusted proxy); from anyone else the
// header is not believed. Caps per address count the forwarded clients.
TEST_F(EdgeServerTest, TrustedProxiesNameTheClient) {
  auto whoami = [&](std::string xff) {
    http::Headers h;
    if (!xff.empty()) h.Add("X-Forwarded-For", xff);
    auto r = Get("/whoami", "", h);
    return r.ok() ? r->body : r.status().ToString();
  };
  EXPECT_EQ(whoami("6.6.6.6"), "127.0.0.1");  // not a trusted proxy: ignored
  server_.reset();
  EdgeOptions options;
  options.listen_port = 0;
  options.threads = 1;
  options.max_connections_per_client = 2;
  options.trusted_proxies = TrustedProxies::Parse("127.0.0.0/8, 10.1.0.0/16").value();
  auto server = EdgeServer::Start(options, &routes_, &hub_, &clock_, EdgeAccess::AllowAllForTests());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
  EXPECT_EQ(whoami("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(whoami("6.6.6.6, 203.0.113.7, 10.1.2.3"), "203.0.113.7");  // past the trusted hop only
  EXPECT_EQ(whoami("[2001:db8::1]:4711"), "2001:db8::1");
  EXPECT_EQ(whoami("not-an-address"), "127.0.0.1");
  EXPECT_EQ(whoami(""), "127.0.0.1");
  // The proxy's connections are not capped per address (it carries many clients).
  std::vector<UniqueFd> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(Connect());
    SendAll(held.back().get(), "GET /whoami HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n");
    EXPECT_NE(ReadResponse(held.back().get()).find("198.51.100.1"), std::string::npos);
  }
}

TEST(TrustedProxiesTest, ParsesNetworksAndMatches) {
  auto p = TrustedProxies::Parse(" 10.0.0.0/8,192.168.1.1, fd00::/8 ,::1");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->Contains("10.200.3.4"));
  EXPECT_FALSE(p->Contains("11.0.0.1"));
  EXPECT_TRUE(p->Contains("192.168.1.1"));
  EXPECT_FALSE(p->Contains("192.168.1.2"));
  EXPECT_TRUE(p->Contains("fd12:3456::1"));
  EXPECT_FALSE(p->Contains("fe80::1"));
  EXPECT_TRUE(p->Contains("::1"));
  EXPECT_TRUE(p->Contains("::ffff:10.1.1.1"));  // IPv4 as the dual-stack socket writes it
  EXPECT_FALSE(p->Contains("garbage"));
  EXPECT_TRUE(TrustedProxies::Parse("").value().empty());
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(TrustedProxies::Parse("example.com").ok());
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/x").ok());
  http::Headers h;
  h.Add("X-Forwarded-For", "1.1.1.1, 10.0.0.5");
  h.Add("X-Forwarded-For", "192.168.1.1");
  EXPECT_EQ(p->ClientOf("10.9.9.9", h), "1.1.1.1");
  EXPECT_EQ(p->ClientOf("8.8.8.8", h), "8.8.8.8");  // an untrusted peer is the client
  http::Headers all_trusted;
  all_trusted.Add("X-Forwarded-For", "10.0.0.1, 10.0.0.2");
  EXPECT_EQ(p->ClientOf("10.9.9.9", all_trusted), "10.0.0.1");
}

TEST(RaiseOpenFileLimitTest, SoftLimitReachesTheHardLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_max, 256);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  Result<long> raised = RaiseOpenFileLimit();
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(raised.ok()) << raised.status().ToString();
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  EXPECT_EQ(static_cast<rlim_t>(*raised), saved.rlim_max);
  if (low.rlim_cur < saved.rlim_max) {
    EXPECT_EQ(ChildOpenFileLimit(), low.rlim_cur);  // apps get the old one back
  }
  SetChildOpenFileLimit(0);
}

}  // namespace
}  // namespace spaceport::edge
