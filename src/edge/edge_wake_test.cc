// The activation filter inside the real edge: requests held on the event
// loop, resumed from another thread when the wake is answered, proxied to the
// app; a client that hangs up while held is forgotten safely.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "edge/edge_server.h"
#include "http/client.h"
#include "http/socket.h"
#include "runtime/testing/test_util.h"

namespace spaceport::edge {
namespace {

using runtime::testing::WaitUntil;

// Answers every connection with one "woken" response and closes it.
class OneShotUpstream {
 public:
  OneShotUpstream() {
    listen_ = std::move(http::ListenTcp("127.0.0.1", 0, false)).value();
    http::SetNonBlocking(listen_.get(), false).ok();
    port_ = http::LocalPort(listen_.get());
    thread_ = std::thread([this] {
      while (true) {
        int c = ::accept(listen_.get(), nullptr, nullptr);
        if (c < 0) return;
        http::UniqueFd fd(c);
        char buf[4096];
        (void)::recv(c, buf, sizeof(buf), 0);
        std::string_view resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nwoken";
        (void)::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      }
    });
  }
  ~OneShotUpstream() {
    ::shutdown(listen_.get(), SHUT_RDWR);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  http::UniqueFd listen_;
  int port_ = 0;
  std::thread thread_;
};

class HoldingWaker : public runtime::Waker {
 public:
  void Wake(const std::string&, std::function<void(runtime::WakeResult)> done) override {
    std::lock_guard lock(mu_);
    waiting_.push_back(std::move(done));
  }
  size_t waiting() {
    std::lock_guard lock(mu_);
    return waiting_.size();
  }
  void AnswerAll(const runtime::WakeResult& r) {
    std::vector<std::function<void(runtime::WakeResult)>> all;
    {
      std::lock_guard lock(mu_);
      all.swap(waiting_);
    }
    for (auto& done : all) done(r);
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void(runtime::WakeResult)>> waiting_;
};

class EdgeWakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    activity_ = std::make_shared<runtime::SpaceActivity>();
    Publish(runtime::Rung::kStopped, 0);
    EdgeOptions options;
    options.listen_port = 0;
    options.threads = 1;
    options.waker = &waker_;
    options.wake_page_after = Millis(60000);
    auto server = EdgeServer::Start(options, &routes_, nullptr, &clock_, EdgeAccess::AllowAllForTests());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    waker_.AnswerAll({Status::Unavailable("test over"), runtime::Stage::kSleeping, 0});
    server_->Stop();
  }

  void Publish(runtime::Rung rung, int port) {
    activity_->SetRung(rung);
    runtime::AppRoute r;
    r.space_id = "alice/app";
    r.subdomain = "alice-app";
    r.stage = port > 0 ? runtime::Stage::kRunning : runtime::Stage::kSleeping;
    r.upstream_host = "127.0.0.1";
    r.upstream_port = port;
    r.activity = activity_;
    r.wakeable = port == 0;
    routes_.Publish(r);
  }

  std::future<Result<http::ClientResponse>> GetAsync() {
    return std::async(std::launch::async, [this] {
      http::ClientRequest r;
      r.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/predict";
      r.headers.Set("Host", "alice-app.localhost");
      r.timeout = Millis(20000);
      return http::Fetch(r);
    });
  }

  FakeClock clock_;  // no timer is due: held requests end only by the wake's answer
  runtime::RouteTable routes_;
  HoldingWaker waker_;
  std::shared_ptr<runtime::SpaceActivity> activity_;
  std::unique_ptr<EdgeServer> server_;
  OneShotUpstream upstream_;
};

TEST_F(EdgeWakeTest, HeldRequestsReachTheAppOnceItIsAwake) {
  std::vector<std::future<Result<http::ClientResponse>>> answers;
  for (int i = 0; i < 10; ++i) answers.push_back(GetAsync());
  ASSERT_TRUE(WaitUntil([&] { return waker_.waiting() == 10; }));
  EXPECT_EQ(activity_->in_flight(), 10);
  Publish(runtime::Rung::kRunning, upstream_.port());
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 3});
  for (auto& a : answers) {
    Result<http::ClientResponse> r = a.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "woken");
  }
  EXPECT_TRUE(WaitUntil([&] { return activity_->in_flight() == 0; }));
}

TEST_F(EdgeWakeTest, AClientThatHangsUpWhileHeldIsForgotten) {
  {
    http::UniqueFd fd = std::move(http::ConnectTcp("127.0.0.1", server_->port(), 5000)).value();
    std::string_view req = "GET / HTTP/1.1\r\nHost: alice-app.localhost\r\n\r\n";
    ASSERT_EQ(::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    ASSERT_TRUE(WaitUntil([&] { return waker_.waiting() == 1; }));
  }  // closed while held
  Publish(runtime::Rung::kRunning, upstream_.port());
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 3});
  // The edge still serves, and the abandoned request is no longer in flight.
  Result<http::ClientResponse> r = GetAsync().get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "woken");
  EXPECT_TRUE(WaitUntil([&] { return activity_->in_flight() == 0; }));
}

TEST_F(EdgeWakeTest, AFailedWakeAnswers503) {
  auto answer = GetAsync();
  ASSERT_TRUE(WaitUntil([&] { return waker_.waiting() == 1; }));
  waker_.AnswerAll({Status::Unavailable("app exited with code 3"), runtime::Stage::kRuntimeError, 0});
  Result<http::ClientResponse> r = answer.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("app exited with code 3"), std::string::npos) << r->body;
  EXPECT_TRUE(WaitUntil([&] { return activity_->in_flight() == 0; }));
}

}  // namespace
}  // namespace spaceport::edge
