#include "http/client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "http/socket.h"

namespace spaceport::http {
namespace {

// Accepts one connection, reads the request head, then writes `reply` in the
// given pieces, waiting for the client's ack between pieces when asked.
class OneShotServer {
 public:
  explicit OneShotServer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
    auto fd = ListenTcp("127.0.0.1", 0, false);
    EXPECT_TRUE(fd.ok());
    listen_ = std::move(fd).value();
    SetNonBlocking(listen_.get(), false).ok();
    port_ = LocalPort(listen_.get());
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() { thread_.join(); }
  int port() const { return port_; }
  std::string request() const { return request_; }
  // Lets the server send the next piece (for streaming tests).
  void Release() { released_.release(); }

 private:
  void Serve() {
    UniqueFd c(::accept(listen_.get(), nullptr, nullptr));
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c.get(), buf, sizeof(buf), 0);
      if (n <= 0) return;
      request_.append(buf, n);
    }
    for (size_t i = 0; i < pieces_.size(); ++i) {
      if (i > 0) released_.acquire();
      ::send(c.get(), pieces_[i].data(), pieces_[i].size(), MSG_NOSIGNAL);
    }
  }

  std::vector<std::string> pieces_;
  UniqueFd listen_;
  int port_ = 0;
  std::string request_;
  std::binary_semaphore released_{0};
  std::thread thread_;
};

ClientRequest Get(const std::string& url, Millis timeout = Millis(30000)) {
  ClientRequest r;
  r.url = url;
  r.timeout = timeout;
  return r;
}

TEST(ClientTest, FetchContentLength) {
  OneShotServer server({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello"});
  ClientRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/p?q=1";
  req.body = "";
  auto resp = Fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello");
  EXPECT_EQ(resp->headers.Get("x-a").value(), "b");
  EXPECT_NE(server.request().find("POST /p?q=1 HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(server.request().find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(ClientTest, FetchChunkedAndCloseDelimited) {
  OneShotServer chunked({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"});
  auto r1 = Fetch(Get("http://127.0.0.1:" + std::to_string(chunked.port()) + "/"));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->body, "abc");
  OneShotServer until_close({"HTTP/1.0 404 Not Found\r\n\r\nnot here"});
  auto r2 = Fetch(Get("http://127.0.0.1:" + std::to_string(until_close.port()) + "/"));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, 404);
  EXPECT_EQ(r2->body, "not here");
}

TEST(ClientTest, FetchStreamDeliversChunksAsTheyArrive) {
  OneShotServer server({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nevent1\n\r\n",
                        "7\r\nevent2\n\r\n", "0\r\n\r\n"});
  std::vector<std::string> chunks;
  int status = 0;
  Status s = FetchStream(
      Get("http://127.0.0.1:" + std::to_string(server.port()) + "/s"),
      [&](const ClientResponse& head) { status = head.status; },
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        server.Release();  // the next piece is only sent after this one arrived
        return true;
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(chunks, (std::vector<std::string>{"event1\n", "event2\n"}));
}

TEST(ClientTest, ErrorsAreStatuses) {
  EXPECT_EQ(Fetch(Get("ftp://x/")).status().code(), StatusCode::kInvalidArgument);
  auto listener = ListenTcp("127.0.0.1", 0, false);
  int port = LocalPort(listener->get());
  listener->reset();  // nothing listens there now
  EXPECT_EQ(Fetch(Get("http://127.0.0.1:" + std::to_string(port) + "/")).status().code(),
            StatusCode::kUnavailable);
}

TEST(ClientTest, TimesOut) {
  auto listener = ListenTcp("127.0.0.1", 0, false);  // accepts (backlog) but never answers
  ClientRequest req = Get("http://127.0.0.1:" + std::to_string(LocalPort(listener->get())) + "/", Millis(100));
  EXPECT_EQ(Fetch(req).status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace spaceport::http
