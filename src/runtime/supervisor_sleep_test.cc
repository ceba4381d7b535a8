// The sleep ladder and wakes of the Supervisor, on a FakeClock and a
// ManualScheduler: real app processes (the process driver, wrapped to add a
// switchable freezer and fault injection), no waiting for time to pass. The
// only waits are for threads and processes (WaitUntil).
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "runtime/process/process_driver.h"
#include "runtime/supervisor.h"
#include "runtime/testing/test_util.h"

namespace spaceport::runtime {
namespace {

using testing::TempDir;
using testing::WaitUntil;

constexpr char kApp[] = R"PY(
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
)PY";

// The process driver plus a freezer that only records (the processes keep
// running) and switches that make Freeze/Thaw fail; counts every call.
class SleepyDriver : public RuntimeDriver {
 public:
  Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) override {
    starts++;
    return inner_->Start(spec, std::move(on_exit));
  }
  Status Stop(InstanceId id, Millis grace) override {
    stops++;
    return inner_->Stop(id, grace);
  }
  DriverCapabilities Capabilities() const override { return {.freeze = can_freeze}; }
  Status Freeze(InstanceId id) override {
    freezes++;
    if (during_freeze) during_freeze();
    if (fail_freeze) return Status::Internal("freezer broke");
    return Status::Ok();
  }
  Status Thaw(InstanceId id) override {
    thaws++;
    if (fail_thaw) return Status::Internal("thaw broke");
    return Status::Ok();
  }
  Result<int64_t> MemoryBytes(InstanceId id) override {
    if (!measurable) return Status::FailedPrecondition("no");
    return memory_per_instance.load();
  }

  std::atomic<int> starts{0}, stops{0}, freezes{0}, thaws{0};
  std::atomic<bool> fail_freeze{false}, fail_thaw{false}, measurable{true};
  std::atomic<int64_t> memory_per_instance{100 << 20};
  bool can_freeze = true;
  std::function<void()> during_freeze;

 private:
  std::unique_ptr<RuntimeDriver> inner_ = MakeProcessDriver();
};

class AppBuilder : public build::Builder {
 public:
  Result<build::LaunchSpec> Build(const build::BuildRequest& req, const std::function<void(std::string_view)>&) override {
    if (before) before(req);
    std::filesystem::create_directories(req.work_dir);
    build::LaunchSpec spec = base;
    spec.sdk = "process";
    spec.argv = {"/usr/bin/python3", "-c", kApp};
    spec.cwd = req.work_dir;
    return spec;
  }
  build::LaunchSpec base;
  std::function<void(const build::BuildRequest&)> before;  // runs first; may block
};

class SleepLadderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::Open({"sqlite::memory:", std::string(32, 'k')});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->CreateUser("alice", false, clock_.UnixMillis()).ok());
    logs_ = MakeFileLogStore(dir_.path() + "/logs", &clock_);
    options_.data_dir = dir_.path() + "/data";
    options_.stop_grace = Millis(3000);
    options_.health_interval = Millis(20);
    options_.freeze_after = Millis(60000);
  }
  void TearDown() override {
    if (sup_) sup_->Shutdown();
  }

  void MakeSupervisor() {
    sup_ = std::make_unique<Supervisor>(store_.get(), &builder_, &driver_, &routes_, logs_.get(), &clock_, options_,
                                        &scheduler_);
  }

  store::Space CreateSpace(const std::string& name, int64_t sleep_seconds) {
    store::Space space;
    space.owner = "alice";
    space.name = name;
    space.subdomain = "alice-" + name;
    space.sdk = "process";
    space.sleep_time_seconds = sleep_seconds;
    return store_->CreateSpace(space, clock_.UnixMillis()).value();
  }

  // Creates and deploys a Space and waits until it serves.
  void Deploy(const std::string& name, int64_t sleep_seconds) {
    if (!sup_) MakeSupervisor();
    sup_->OnPush(CreateSpace(name, sleep_seconds), "sha1");
    ASSERT_TRUE(WaitUntil([&] { return Stage(name) == "RUNNING"; })) << Stage(name);
    // The route shows RUNNING from inside the supervisor's critical section
    // that also arms the sleep timer; Info takes the same lock, so once it
    // answers the timer is armed and a clock advance will find it.
    (void)sup_->Info(Id(name));
  }

  std::string Id(const std::string& name) { return "alice/" + name; }
  std::shared_ptr<const AppRoute> Route(const std::string& name) { return routes_.FindBySpaceId(Id(name)); }
  std::string Stage(const std::string& name) {
    auto r = Route(name);
    return r ? std::string(StageName(r->stage)) : "<no route>";
  }
  std::string RungOf(const std::string& name) { return sup_->Info(Id(name)).value().rung; }
  void Advance(Millis d) {
    clock_.Advance(d);
    scheduler_.RunDue();
  }

  // Wakes and waits for the answer.
  WakeResult WakeAndWait(const std::string& name) {
    auto result = std::make_shared<std::optional<WakeResult>>();
    auto mu = std::make_shared<std::mutex>();
    sup_->Wake(Id(name), [result, mu](WakeResult r) {
      std::lock_guard lock(*mu);
      *result = std::move(r);
    });
    EXPECT_TRUE(WaitUntil([&] {
      std::lock_guard lock(*mu);
      return result->has_value();
    }));
    std::lock_guard lock(*mu);
    return result->value_or(WakeResult{Status::Internal("no answer"), std::nullopt, 0});
  }

  TempDir dir_;
  FakeClock clock_;
  ManualScheduler scheduler_{&clock_};
  RouteTable routes_;
  AppBuilder builder_;
  SleepyDriver driver_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<LogStore> logs_;
  SupervisorOptions options_;
  std::unique_ptr<Supervisor> sup_;
};

// Deploying in bulk: while more builds wait, a Space nobody has asked for is
// stopped after its first healthy answer; sleep time -1 keeps one running,
// and the last of a batch (nothing waits any more) keeps running too.
TEST_F(SleepLadderTest, BulkDeploysNobodyAskedForSleepAfterTheirHealthCheck) {
  options_.max_concurrent_builds = 2;
  options_.bulk_queue_threshold = 1;  // q3 alone waits
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  // Opened on every way out, or a failed assertion would leave the build workers waiting.
  std::shared_ptr<void> opener(nullptr, [&](void*) {
    if (gate.wait_for(std::chrono::seconds(0)) != std::future_status::ready) open_gate.set_value();
  });
  builder_.before = [gate](const build::BuildRequest& req) {
    if (req.space_id.starts_with("alice/q")) gate.wait();
  };
  MakeSupervisor();
  sup_->OnPush(CreateSpace("first", 600), "sha1");
  sup_->OnPush(CreateSpace("never", -1), "sha1");
  for (const char* q : {"q1", "q2", "q3"}) sup_->OnPush(CreateSpace(q, 600), "sha1");  // q3 waits in the queue
  ASSERT_TRUE(WaitUntil([&] { return Stage("first") == "SLEEPING"; })) << Stage("first");
  EXPECT_EQ(RungOf("first"), "stopped");
  ASSERT_TRUE(WaitUntil([&] { return Stage("never") == "RUNNING"; })) << Stage("never");
  EXPECT_EQ(RungOf("never"), "running");
  EXPECT_EQ(driver_.starts, 2);
  EXPECT_EQ(driver_.stops, 1);

  WakeResult woken = WakeAndWait("first");  // the first request brings it back
  EXPECT_TRUE(woken.status.ok()) << woken.status.ToString();
  EXPECT_EQ(RungOf("first"), "running");

  opener.reset();
  ASSERT_TRUE(WaitUntil([&] { return Stage("q3") == "RUNNING" || Stage("q3") == "SLEEPING"; })) << Stage("q3");
  EXPECT_EQ(Stage("q3"), "RUNNING") << "the last of the batch: nothing waited behind it";
}

TEST_F(SleepLadderTest, IdleAppIsFrozenThenStoppedAndWakesWithOneColdStart) {
  Deploy("demo", 600);
  EXPECT_EQ(RungOf("demo"), "running");
  Advance(Millis(59000));
  EXPECT_EQ(driver_.freezes, 0);
  Advance(Millis(1000));
  EXPECT_EQ(driver_.freezes, 1);
  EXPECT_EQ(RungOf("demo"), "frozen");
  EXPECT_TRUE(Route("demo")->serving());  // a frozen app keeps its upstream: the wake is a thaw
  Advance(Millis(539000));
  EXPECT_EQ(RungOf("demo"), "frozen");
  Advance(Millis(1000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "SLEEPING"; })) << Stage("demo");
  EXPECT_EQ(RungOf("demo"), "stopped");
  EXPECT_FALSE(Route("demo")->serving());
  EXPECT_TRUE(Route("demo")->wakeable);
  EXPECT_EQ(store_->GetSpace("alice", "demo")->stage, "SLEEPING");

  // 50 concurrent wakes share one cold start.
  std::atomic<int> ok{0}, answered{0};
  for (int i = 0; i < 50; ++i) {
    sup_->Wake(Id("demo"), [&](WakeResult r) {
      // The route serves by the time a wake is answered: held requests continue with it.
      if (r.status.ok() && Route("demo")->serving() && !Route("demo")->activity->NeedsWake()) ok++;
      answered++;
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return answered == 50; }));
  EXPECT_EQ(ok, 50);
  EXPECT_EQ(driver_.starts, 2);
  EXPECT_EQ(Stage("demo"), "RUNNING");
  EXPECT_EQ(RungOf("demo"), "running");
  EXPECT_TRUE(Route("demo")->serving());
  EXPECT_GE(sup_->Info(Id("demo"))->last_wake_ms, 0);
}

TEST_F(SleepLadderTest, WakeFromFrozenThawsWithoutRestart) {
  Deploy("demo", 600);
  Advance(Millis(60000));
  ASSERT_EQ(RungOf("demo"), "frozen");
  std::atomic<bool> served_when_answered{false};
  sup_->Wake(Id("demo"), [&](WakeResult) { served_when_answered = Route("demo")->serving(); });
  WakeResult r = WakeAndWait("demo");
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(served_when_answered);
  EXPECT_EQ(driver_.thaws, 1);
  EXPECT_EQ(driver_.starts, 1);
  EXPECT_EQ(RungOf("demo"), "running");
  EXPECT_FALSE(Route("demo")->activity->NeedsWake());
  // The idle clock starts over after the wake.
  Advance(Millis(59000));
  EXPECT_EQ(driver_.freezes, 1);
  Advance(Millis(1000));
  EXPECT_EQ(driver_.freezes, 2);
}

TEST_F(SleepLadderTest, WakingARunningAppAnswersAtOnce) {
  Deploy("demo", 600);
  WakeResult r = WakeAndWait("demo");
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(driver_.thaws + driver_.starts, 1);
}

TEST_F(SleepLadderTest, CardOptOutIsNeverFrozenButStillStops) {
  builder_.base.sleep_freeze = false;
  Deploy("demo", 600);
  Advance(Millis(300000));
  EXPECT_EQ(driver_.freezes, 0);
  EXPECT_EQ(RungOf("demo"), "running");
  Advance(Millis(300000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "SLEEPING"; }));
  EXPECT_EQ(driver_.freezes, 0);
}

TEST_F(SleepLadderTest, CardFreezeAfterOverridesTheServerDefault) {
  builder_.base.freeze_after = Millis(5000);
  Deploy("demo", 600);
  Advance(Millis(4000));
  EXPECT_EQ(driver_.freezes, 0);
  Advance(Millis(1000));
  EXPECT_EQ(driver_.freezes, 1);
}

TEST_F(SleepLadderTest, SleepTimeNeverKeepsTheAppFrozenForever) {
  Deploy("demo", -1);
  Advance(Millis(60000));
  EXPECT_EQ(RungOf("demo"), "frozen");
  for (int i = 0; i < 10; ++i) Advance(Millis(30LL * 24 * 3600 * 1000));
  EXPECT_EQ(RungOf("demo"), "frozen");
  EXPECT_EQ(Stage("demo"), "RUNNING");
  EXPECT_EQ(driver_.stops, 0);
}

TEST_F(SleepLadderTest, ANewSleepTimeFromTheHubAppliesAtOnce) {
  Deploy("demo", -1);
  Advance(Millis(60000));
  ASSERT_EQ(RungOf("demo"), "frozen");
  sup_->OnSleepTimeChanged(Id("demo"), 120);
  Advance(Millis(59000));
  EXPECT_EQ(RungOf("demo"), "frozen");
  Advance(Millis(1000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "SLEEPING"; }));
}

TEST_F(SleepLadderTest, DriverWithoutFreezeGoesFromRunningToStopped) {
  driver_.can_freeze = false;
  Deploy("demo", 120);
  Advance(Millis(60000));
  EXPECT_EQ(driver_.freezes, 0);
  EXPECT_EQ(RungOf("demo"), "running");
  Advance(Millis(60000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "SLEEPING"; }));
  EXPECT_EQ(RungOf("demo"), "stopped");
}

TEST_F(SleepLadderTest, ARequestInFlightKeepsTheAppAwake) {
  Deploy("demo", 120);
  auto activity = Route("demo")->activity;
  ASSERT_NE(activity, nullptr);
  ActivityMark mark(activity, &clock_);
  Advance(Millis(60000));
  Advance(Millis(600000));
  EXPECT_EQ(driver_.freezes, 0);
  EXPECT_EQ(RungOf("demo"), "running");
  mark.Reset();  // the request ends now; the idle clock starts here
  Advance(Millis(59000));
  EXPECT_EQ(driver_.freezes, 0);
  Advance(Millis(1000));
  EXPECT_EQ(driver_.freezes, 1);
}

TEST_F(SleepLadderTest, ARequestThatSlipsOntoAFreezingAppIsWokenAfterTheFreeze) {
  Deploy("demo", 600);
  auto activity = Route("demo")->activity;
  std::atomic<bool> woken{false};
  std::optional<ActivityMark> mark;
  // The edge's half, while the freeze is in progress: mark, see the rung, wake.
  driver_.during_freeze = [&] {
    mark.emplace(activity, &clock_);
    ASSERT_TRUE(activity->NeedsWake());
    std::thread([&] {
      sup_->Wake(Id("demo"), [&](WakeResult r) { woken = r.status.ok(); });
    }).join();
  };
  Advance(Millis(60000));
  ASSERT_TRUE(WaitUntil([&] { return woken.load(); }));
  EXPECT_EQ(driver_.freezes, 1);
  EXPECT_EQ(driver_.thaws, 1);
  EXPECT_EQ(RungOf("demo"), "running");
}

TEST_F(SleepLadderTest, APushToASleepingSpaceAnswersWakesWithTheNewVersion) {
  driver_.can_freeze = false;
  Deploy("demo", 60);
  Advance(Millis(60000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "SLEEPING"; }));
  sup_->OnPush(store_->GetSpace("alice", "demo").value(), "sha2");
  // Wake while the new version starts: the wake must not start the old one over it.
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "APP_STARTING"; })) << Stage("demo");
  std::atomic<int> ok{0}, answered{0};
  for (int i = 0; i < 5; ++i) {
    sup_->Wake(Id("demo"), [&](WakeResult r) {
      if (r.status.ok() && Route("demo")->serving()) ok++;
      answered++;
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return answered == 5; }));
  EXPECT_EQ(ok, 5);
  ASSERT_TRUE(WaitUntil([&] { return sup_->Info(Id("demo"))->sha == "sha2" && Stage("demo") == "RUNNING"; }))
      << Stage("demo") << " " << sup_->Info(Id("demo"))->sha;
  EXPECT_EQ(RungOf("demo"), "running");
}

TEST_F(SleepLadderTest, FailedFreezeFallsBackToStop) {
  driver_.fail_freeze = true;
  Deploy("demo", 600);
  Advance(Millis(60000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "SLEEPING"; }));
  EXPECT_EQ(RungOf("demo"), "stopped");
  WakeResult r = WakeAndWait("demo");
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(driver_.starts, 2);
}

TEST_F(SleepLadderTest, FailedThawRestartsTheApp) {
  driver_.fail_thaw = true;
  Deploy("demo", 600);
  Advance(Millis(60000));
  ASSERT_EQ(RungOf("demo"), "frozen");
  WakeResult r = WakeAndWait("demo");
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(driver_.starts, 2);
  EXPECT_EQ(RungOf("demo"), "running");
}

TEST_F(SleepLadderTest, MemoryBudgetStopsTheLeastRecentlyUsedFirst) {
  options_.memory_budget_bytes = 250 << 20;  // three instances of 100 MiB: one must go
  options_.memory_check_interval = Millis(10000);
  MakeSupervisor();
  for (const char* name : {"one", "two", "three"}) {
    Deploy(name, 600);
    clock_.Advance(Millis(1000));
  }
  // Requests make "one" the most recent and leave "two" the least recent.
  ActivityMark(Route("three")->activity, &clock_).Reset();
  clock_.Advance(Millis(1000));
  ActivityMark(Route("one")->activity, &clock_).Reset();
  Advance(Millis(10000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("two") == "SLEEPING"; })) << Stage("two");
  EXPECT_EQ(Stage("one"), "RUNNING");
  EXPECT_EQ(Stage("three"), "RUNNING");
  EXPECT_EQ(RungOf("two"), "stopped");
  // Within budget now: nothing else goes.
  Advance(Millis(10000));
  EXPECT_EQ(Stage("one"), "RUNNING");
  EXPECT_EQ(Stage("three"), "RUNNING");
}

TEST_F(SleepLadderTest, UnmeasurableInstancesCountTheirFlavorLimit) {
  driver_.measurable = false;  // cpu-basic: 16 GiB each
  options_.memory_budget_bytes = int64_t{20} << 30;
  options_.memory_check_interval = Millis(10000);
  MakeSupervisor();
  Deploy("one", 600);
  clock_.Advance(Millis(1000));
  Deploy("two", 600);
  Advance(Millis(10000));
  ASSERT_TRUE(WaitUntil([&] { return Stage("one") == "SLEEPING"; })) << Stage("one");
  EXPECT_EQ(Stage("two"), "RUNNING");
}

TEST_F(SleepLadderTest, StartupTimeoutGivesRuntimeErrorNamingTheKey) {
  class Silent : public build::Builder {
   public:
    Result<build::LaunchSpec> Build(const build::BuildRequest& req,
                                    const std::function<void(std::string_view)>&) override {
      std::filesystem::create_directories(req.work_dir);
      build::LaunchSpec spec;
      spec.sdk = "process";
      spec.argv = {"/bin/sleep", "600"};
      spec.cwd = req.work_dir;
      spec.startup_timeout = Millis(30000);
      return spec;
    }
  } silent;
  sup_ = std::make_unique<Supervisor>(store_.get(), &silent, &driver_, &routes_, logs_.get(), &clock_, options_,
                                      &scheduler_);
  sup_->OnPush(CreateSpace("demo", 600), "sha1");
  ASSERT_TRUE(WaitUntil([&] { return Stage("demo") == "APP_STARTING"; }));
  // The health check takes its deadline when its thread starts: move the
  // clock past any deadline it may have taken, until it notices.
  ASSERT_TRUE(WaitUntil([&] {
    clock_.Advance(Millis(31000));
    return Stage("demo") == "RUNTIME_ERROR";
  })) << Stage("demo") << " " << Route("demo")->error_message;
  EXPECT_NE(Route("demo")->error_message.find("within 30s (startup_duration_timeout)"), std::string::npos)
      << Route("demo")->error_message;
  sup_->Shutdown();
}

}  // namespace
}  // namespace spaceport::runtime
