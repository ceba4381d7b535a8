#include "edge/activation_filter.h"

#include <gtest/gtest.h>

#include <functional>

#include <optional>

#include "edge/filters.h"

namespace spaceport::edge {
namespace {

class RecordingCallbacks : public FilterCallbacks {
 public:
  void ContinueDecoding() override { ++continued; }
  void ContinueDecodingWith(std::function<FilterStatus(RequestContext&)>) override { ++continued; }
  void SendLocalReply(http::Response r) override {
    ++replies;
    reply = std::move(r);
  }
  int continued = 0;
  int replies = 0;
  std::optional<http::Response> reply;
};

// Records wakes; the test answers them. `answer_now` answers inside Wake.
class FakeWaker : public runtime::Waker {
 public:
  void Wake(const std::string& space_id, std::function<void(runtime::WakeResult)> done) override {
    woken.push_back(space_id);
    if (answer_now) return done(*answer_now);
    waiting.push_back(std::move(done));
  }
  void AnswerAll(runtime::WakeResult r) {
    auto all = std::move(waiting);
    waiting.clear();
    for (auto& done : all) done(r);
  }
  std::vector<std::string> woken;
  std::vector<std::function<void(runtime::WakeResult)>> waiting;
  std::optional<runtime::WakeResult> answer_now;
};

class ActivationFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    activity_ = std::make_shared<runtime::SpaceActivity>();
    Publish(runtime::Rung::kFrozen, 9001, "RUNNING");
    ActivationOptions options;
    options.wake_page_after = Millis(1000);
    filter_ = std::make_unique<ActivationFilter>(&waker_, &routes_, &timers_, &clock_, options);
  }

  void Publish(runtime::Rung rung, int port, const std::string& stage) {
    activity_->SetRung(rung);
    runtime::AppRoute r;
    r.space_id = "alice/app";
    r.subdomain = "alice-app";
    r.stage = runtime::ParseStage(stage).value();
    r.upstream_host = "127.0.0.1";
    r.upstream_port = port;
    r.activity = activity_;
    r.wakeable = port == 0;
    r.wake_timeout_ms = 30000;
    routes_.Publish(r);
  }

  std::unique_ptr<RequestContext> Request(RecordingCallbacks* cb, bool browser = false) {
    auto ctx = std::make_unique<RequestContext>();
    ctx->request.method = "GET";
    ctx->request.path = "/predict";
    ctx->request.headers.Add("Host", "alice-app.localhost");
    if (browser) ctx->request.headers.Add("Accept", "text/html,application/xhtml+xml");
    ctx->callbacks = cb;
    ctx->kind = RouteKind::kAppProxy;
    ctx->route = routes_.FindBySpaceId("alice/app");
    return ctx;
  }

  void Advance(Millis d) {
    clock_.Advance(d);
    timers_.RunDue();
  }

  FakeClock clock_;
  runtime::ManualScheduler timers_{&clock_};
  runtime::RouteTable routes_;
  FakeWaker waker_;
  std::shared_ptr<runtime::SpaceActivity> activity_;
  std::unique_ptr<ActivationFilter> filter_;
};

TEST_F(ActivationFilterTest, RunningAppPassesAndCountsAsInFlightUntilTheRequestEnds) {
  Publish(runtime::Rung::kRunning, 9001, "RUNNING");
  RecordingCallbacks cb;
  auto ctx = Request(&cb);
  EXPECT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kContinue);
  EXPECT_TRUE(waker_.woken.empty());
  EXPECT_EQ(activity_->in_flight(), 1);
  EXPECT_EQ(activity_->requests(), 1u);
  ctx.reset();
  EXPECT_EQ(activity_->in_flight(), 0);
}

TEST_F(ActivationFilterTest, HubAndStaticRequestsAreNotMarked) {
  RecordingCallbacks cb;
  auto ctx = Request(&cb);
  ctx->kind = RouteKind::kAppStatic;
  EXPECT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kContinue);
  ctx->kind = RouteKind::kHub;
  ctx->route = nullptr;
  EXPECT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kContinue);
  EXPECT_EQ(activity_->requests(), 0u);
}

TEST_F(ActivationFilterTest, HeldRequestsContinueWithTheRefreshedRouteAfterTheWake) {
  Publish(runtime::Rung::kStopped, 0, "SLEEPING");
  std::vector<RecordingCallbacks> cbs(50);
  std::vector<std::unique_ptr<RequestContext>> ctxs;
  for (auto& cb : cbs) {
    ctxs.push_back(Request(&cb));
    EXPECT_EQ(filter_->OnRequestHeaders(*ctxs.back()), FilterStatus::kStop);
  }
  EXPECT_EQ(waker_.woken.size(), 50u);  // the Waker coalesces them (supervisor_sleep_test)
  EXPECT_EQ(activity_->in_flight(), 50);
  Publish(runtime::Rung::kRunning, 9002, "RUNNING");
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 12});
  for (size_t i = 0; i < cbs.size(); ++i) {
    EXPECT_EQ(cbs[i].continued, 1);
    EXPECT_EQ(cbs[i].replies, 0);
    EXPECT_EQ(ctxs[i]->route->upstream_port, 9002);
    EXPECT_EQ(ctxs[i]->kind, RouteKind::kAppProxy);
  }
  Advance(Millis(60000));  // the timers of completed requests do nothing
  for (auto& cb : cbs) EXPECT_EQ(cb.replies, 0);
}

TEST_F(ActivationFilterTest, AnAnswerInsideWakeContinuesAtOnce) {
  waker_.answer_now = runtime::WakeResult{Status::Ok(), runtime::Stage::kRunning, 0};
  RecordingCallbacks cb;
  auto ctx = Request(&cb);
  EXPECT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kContinue);
  EXPECT_EQ(cb.continued, 0);
  EXPECT_EQ(ctx->route->upstream_port, 9001);
  Advance(Millis(60000));
  EXPECT_EQ(cb.replies, 0);
}

TEST_F(ActivationFilterTest, BrowsersGetTheWaitingPageOnlyAfterTheThreshold) {
  RecordingCallbacks cb;
  auto ctx = Request(&cb, /*browser=*/true);
  ASSERT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kStop);
  Advance(Millis(999));
  EXPECT_EQ(cb.replies, 0);
  Advance(Millis(1));
  ASSERT_EQ(cb.replies, 1);
  EXPECT_EQ(cb.reply->status, 503);
  EXPECT_NE(cb.reply->body.find("/.spaceport/status"), std::string::npos);
  EXPECT_NE(cb.reply->body.find("Waking alice/app"), std::string::npos);
  EXPECT_EQ(cb.reply->headers.Get("Retry-After").value_or(""), "1");
  // The wake still finishes; the request was answered already.
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 1500});
  EXPECT_EQ(cb.continued, 0);
  EXPECT_EQ(cb.replies, 1);
}

TEST_F(ActivationFilterTest, AFastWakeNeverShowsThePage) {
  RecordingCallbacks cb;
  auto ctx = Request(&cb, /*browser=*/true);
  ASSERT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kStop);
  Advance(Millis(5));
  Publish(runtime::Rung::kRunning, 9001, "RUNNING");
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 5});
  Advance(Millis(5000));
  EXPECT_EQ(cb.continued, 1);
  EXPECT_EQ(cb.replies, 0);
}

TEST_F(ActivationFilterTest, ApiClientsAreHeldUpToTheStartupTimeoutThenGet503WithRetryAfter) {
  RecordingCallbacks cb;
  auto ctx = Request(&cb);
  ASSERT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kStop);
  Advance(Millis(29999));
  EXPECT_EQ(cb.replies, 0);
  Advance(Millis(1));
  ASSERT_EQ(cb.replies, 1);
  EXPECT_EQ(cb.reply->status, 503);
  EXPECT_TRUE(cb.reply->headers.Get("Retry-After").has_value());
  EXPECT_NE(cb.reply->body.find("did not wake within 30 s"), std::string::npos) << cb.reply->body;
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 31000});
  EXPECT_EQ(cb.continued, 0);
}

TEST_F(ActivationFilterTest, AFailedWakeGives503WithTheStageAndError) {
  RecordingCallbacks cb;
  auto ctx = Request(&cb);
  ASSERT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kStop);
  waker_.AnswerAll({Status::Unavailable("Space alice/app failed to start: app exited with code 1"), runtime::Stage::kRuntimeError});
  ASSERT_EQ(cb.replies, 1);
  EXPECT_EQ(cb.reply->status, 503);
  EXPECT_NE(cb.reply->body.find("RUNTIME_ERROR"), std::string::npos);
  EXPECT_NE(cb.reply->body.find("app exited with code 1"), std::string::npos);
  EXPECT_TRUE(cb.reply->headers.Get("Retry-After").has_value());
}

TEST_F(ActivationFilterTest, ARequestThatEndedBeforeTheWakeIsNeverTouched) {
  RecordingCallbacks cb;
  auto ctx = Request(&cb, /*browser=*/true);
  ASSERT_EQ(filter_->OnRequestHeaders(*ctx), FilterStatus::kStop);
  ctx.reset();  // the connection closed
  EXPECT_EQ(activity_->in_flight(), 0);
  waker_.AnswerAll({Status::Ok(), runtime::Stage::kRunning, 1});
  Advance(Millis(60000));
  EXPECT_EQ(cb.continued + cb.replies, 0);
}

TEST_F(ActivationFilterTest, RouteFilterPassesASleepingAppOnAndAnswersItsStatus) {
  Publish(runtime::Rung::kStopped, 0, "SLEEPING");
  RouteFilter route_filter(&routes_, "localhost");
  RecordingCallbacks cb;
  RequestContext ctx;
  ctx.request.method = "GET";
  ctx.request.path = "/";
  ctx.request.headers.Add("Host", "alice-app.localhost");
  ctx.callbacks = &cb;
  EXPECT_EQ(route_filter.OnRequestHeaders(ctx), FilterStatus::kContinue);
  EXPECT_EQ(ctx.kind, RouteKind::kAppProxy);

  RequestContext status;
  status.request.method = "GET";
  status.request.path = std::string(kAppStatusPath);
  status.request.headers.Add("Host", "alice-app.localhost");
  status.callbacks = &cb;
  EXPECT_EQ(route_filter.OnRequestHeaders(status), FilterStatus::kContinue);
  EXPECT_EQ(AppStateFilter().OnRequestHeaders(status), FilterStatus::kStop);
  ASSERT_TRUE(cb.reply.has_value());
  EXPECT_EQ(cb.reply->status, 200);
  EXPECT_NE(cb.reply->body.find(R"("stage":"SLEEPING")"), std::string::npos) << cb.reply->body;
  EXPECT_NE(cb.reply->body.find(R"("rung":"stopped")"), std::string::npos) << cb.reply->body;
  EXPECT_EQ(activity_->requests(), 0u);  // status polls do not count as use
}

}  // namespace
}  // namespace spaceport::edge
