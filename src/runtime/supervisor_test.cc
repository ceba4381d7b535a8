#include "runtime/supervisor.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "http/client.h"
#include "runtime/deploy_env.h"
#include "runtime/process/process_driver.h"
#include "runtime/testing/test_util.h"

namespace spaceport::runtime {
namespace {

using testing::TempDir;
using testing::WaitUntil;

// A tiny app: answers GET / with $APP_VERSION, /env/NAME with that variable,
// exits with code 7 on /crash; refuses to start when ./broken exists.
constexpr char kApp[] = R"PY(
import os, sys, http.server
if os.path.exists('broken'):
    print('broken flag set, giving up', flush=True)
    sys.exit(4)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/crash':
            os._exit(7)
        if self.path.startswith('/env/'):
            body = os.environ.get(self.path[5:], '<unset>').encode()
        else:
            body = os.environ.get('APP_VERSION', '?').encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
print('listening on', os.environ['PORT'], flush=True)
http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
)PY";

using Outcome = std::function<Result<build::LaunchSpec>(const build::BuildRequest&)>;

class FakeBuilder : public build::Builder {
 public:
  Result<build::LaunchSpec> Build(const build::BuildRequest& req,
                                  const std::function<void(std::string_view)>& log) override {
    Outcome outcome;
    {
      std::unique_lock lock(mu_);
      requests_.push_back(req);
      gate_cv_.wait(lock, [&] { return !blocked_.count(req.commit_sha); });
      auto it = outcomes_.find(req.commit_sha);
      if (it == outcomes_.end()) return Status::Internal("no outcome for " + req.commit_sha);
      outcome = it->second;
    }
    log("building " + req.commit_sha + "\n");
    std::filesystem::create_directories(req.work_dir);
    return outcome(req);
  }

  void Set(const std::string& sha, Outcome outcome) {
    std::lock_guard lock(mu_);
    outcomes_[sha] = std::move(outcome);
  }
  void Block(const std::string& sha) {
    std::lock_guard lock(mu_);
    blocked_.insert(sha);
  }
  void Release(const std::string& sha) {
    std::lock_guard lock(mu_);
    blocked_.erase(sha);
    gate_cv_.notify_all();
  }
  std::vector<build::BuildRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::condition_variable gate_cv_;
  std::map<std::string, Outcome> outcomes_;
  std::set<std::string> blocked_;
  std::vector<build::BuildRequest> requests_;
};

Outcome PythonApp(const std::string& version) {
  return [version](const build::BuildRequest& req) -> Result<build::LaunchSpec> {
    build::LaunchSpec spec;
    spec.sdk = "process";
    spec.argv = {"/usr/bin/python3", "-c", kApp};
    spec.env = {{"APP_VERSION", version}};
    spec.cwd = req.work_dir;
    spec.title = "Demo " + version;
    spec.card_json = R"({"title":"Demo )" + version + R"("})";
    return spec;
  };
}

Outcome FailingBuild(Status status) {
  return [status](const build::BuildRequest&) -> Result<build::LaunchSpec> { return status; };
}

constexpr char kDown[] = "<no answer>";

// The body of a 200 answer, else kDown.
std::string Get(int port, const std::string& path = "/") {
  http::ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + path;
  req.timeout = Millis(5000);
  Result<http::ClientResponse> resp = http::Fetch(req);
  if (!resp.ok() || resp->status != 200) return kDown;
  return resp->body;
}

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::Open({"sqlite::memory:", std::string(32, 'k')});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    auto user = store_->CreateUser("alice", false, clock_.UnixMillis());
    ASSERT_TRUE(user.ok()) << user.status().ToString();
    store::Space space;
    space.owner = "alice";
    space.name = "demo";
    space.subdomain = "alice-demo";
    space.sdk = "process";
    auto created = store_->CreateSpace(space, clock_.UnixMillis());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    space_ = *created;
    logs_ = MakeFileLogStore(dir_.path() + "/logs", &clock_);
    driver_ = MakeProcessDriver();
    options_.data_dir = dir_.path() + "/data";
    options_.drain_delay = Millis(2000);
    options_.stop_grace = Millis(3000);
    options_.health_interval = Millis(20);
    MakeSupervisor();
  }

  void TearDown() override {
    if (sup_) sup_->Shutdown();
  }

  void MakeSupervisor() {
    sup_ = std::make_unique<Supervisor>(store_.get(), &builder_, driver_.get(), &routes_, logs_.get(), &clock_,
                                        options_, &scheduler_);
  }

  std::shared_ptr<const AppRoute> Route() { return routes_.FindBySpaceId("alice/demo"); }
  std::string Stage() {
    auto r = Route();
    return r ? std::string(StageName(r->stage)) : "<no route>";
  }
  bool StageIs(const std::string& stage) { return WaitUntil([&] { return Stage() == stage; }); }
  store::Space Stored() { return store_->GetSpace("alice", "demo").value(); }
  std::string RunLogText() {
    std::string out;
    for (const auto& l : logs_->Tail("alice/demo", LogKind::kRun, 200)) out += l.text + "\n";
    return out;
  }

  // Deploys `sha` (a PythonApp) and waits until it serves.
  int DeployServing(const std::string& sha) {
    builder_.Set(sha, PythonApp(sha));
    sup_->OnPush(Stored(), sha);
    EXPECT_TRUE(WaitUntil([&] {
      auto r = Route();
      return r && r->stage == Stage::kRunning && r->serving() && Get(r->upstream_port) == sha;
    })) << Stage() << " " << Route()->error_message;
    return Route()->upstream_port;
  }

  TempDir dir_;
  FakeClock clock_;
  ManualScheduler scheduler_{&clock_};
  RouteTable routes_;
  FakeBuilder builder_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<RuntimeDriver> driver_;
  SupervisorOptions options_;
  store::Space space_;
  std::unique_ptr<Supervisor> sup_;
};

TEST_F(SupervisorTest, OnCreatedPublishesANonServingRoute) {
  sup_->OnCreated(space_);
  auto r = Route();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->stage, Stage::kNoAppFile);
  EXPECT_EQ(r->subdomain, "alice-demo");
  EXPECT_FALSE(r->serving());
  EXPECT_EQ(routes_.FindBySubdomain("alice-demo"), r);
}

TEST_F(SupervisorTest, DeployRunsTheAppAndPersistsTheBuild) {
  int port = DeployServing("v1");
  EXPECT_GT(port, 0);
  auto r = Route();
  EXPECT_EQ(r->upstream_host, "127.0.0.1");
  EXPECT_GE(r->generation, 1u);
  store::Space stored = Stored();
  EXPECT_EQ(stored.stage, "RUNNING");
  EXPECT_EQ(stored.sha, "v1");
  EXPECT_EQ(stored.card_json, R"({"title":"Demo v1"})");
  auto builds = store_->ListBuilds(stored.id, 10).value();
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_EQ(builds[0].status, store::BuildStatus::kSucceeded);
  auto info = sup_->Info("alice/demo").value();
  EXPECT_EQ(info.stage, Stage::kRunning);
  EXPECT_EQ(info.sha, "v1");
  EXPECT_EQ(info.replicas, 1);
  EXPECT_EQ(info.hardware, "cpu-basic");
  // Build dir layout and build log.
  auto reqs = builder_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].work_dir, options_.data_dir + "/builds/alice/demo/" + std::to_string(builds[0].id));
  EXPECT_EQ(reqs[0].repo_path, options_.data_dir + "/repos/alice/demo.git");
  EXPECT_EQ(logs_->Tail("alice/demo", LogKind::kBuild, 5).at(0).text, "building v1");
  EXPECT_NE(RunLogText().find("listening on " + std::to_string(port)), std::string::npos);
}

TEST_F(SupervisorTest, AppGetsThePlatformEnvironmentWithVariablesAndSecrets) {
  store::EnvVar var;
  var.key = "GREETING";
  var.value = "hello";
  ASSERT_TRUE(store_->SetEnv(space_.id, var).ok());
  store::EnvVar secret;
  secret.key = "API_TOKEN";
  secret.value = "s3cret";
  secret.secret = true;
  ASSERT_TRUE(store_->SetEnv(space_.id, secret).ok());
  int port = DeployServing("v1");
  EXPECT_EQ(Get(port, "/env/PORT"), std::to_string(port));
  EXPECT_EQ(Get(port, "/env/SPACE_ID"), "alice/demo");
  EXPECT_EQ(Get(port, "/env/SPACE_HOST"), "alice-demo.localhost");
  EXPECT_EQ(Get(port, "/env/SPACE_TITLE"), "Demo v1");
  EXPECT_EQ(Get(port, "/env/SYSTEM"), "spaces");
  EXPECT_EQ(Get(port, "/env/CPU_CORES"), "2");
  EXPECT_EQ(Get(port, "/env/GREETING"), "hello");
  EXPECT_EQ(Get(port, "/env/API_TOKEN"), "s3cret");
  // Variables are build-time inputs too; secrets are not.
  auto reqs = builder_.requests();
  EXPECT_EQ(reqs.at(0).variables.count("GREETING"), 1u);
  EXPECT_EQ(reqs.at(0).variables.count("API_TOKEN"), 0u);
}

TEST_F(SupervisorTest, SecondDeploySwitchesWithZeroFailedRequests) {
  int old_port = DeployServing("v1");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, v2_answers{0};
  std::thread client([&] {
    while (!stop.load()) {
      auto r = Route();
      std::string body = Get(r->upstream_port);
      if (body == kDown) failures++;
      if (body == "v2") v2_answers++;
    }
  });
  builder_.Set("v2", PythonApp("v2"));
  sup_->OnPush(Stored(), "v2");
  EXPECT_TRUE(WaitUntil([&] { return Stage() == "RUNNING_BUILDING" || Route()->upstream_port != old_port; }));
  ASSERT_TRUE(WaitUntil([&] { return v2_answers.load() >= 20; }));
  EXPECT_EQ(Stage(), "RUNNING");
  EXPECT_NE(Route()->upstream_port, old_port);
  // The old version serves until the drain delay has passed on the clock.
  EXPECT_EQ(Get(old_port), "v1");
  clock_.Advance(options_.drain_delay);
  EXPECT_EQ(scheduler_.RunDue(), 1);
  EXPECT_TRUE(WaitUntil([&] { return Get(old_port) == kDown; }));
  int before = v2_answers.load();
  ASSERT_TRUE(WaitUntil([&] { return v2_answers.load() >= before + 20; }));
  stop = true;
  client.join();
  EXPECT_EQ(failures.load(), 0);
  // The old build dir is gone after the switch, the new one stays.
  auto builds = store_->ListBuilds(space_.id, 10).value();
  ASSERT_EQ(builds.size(), 2u);
  std::string base = options_.data_dir + "/builds/alice/demo/";
  EXPECT_TRUE(WaitUntil([&] { return !std::filesystem::exists(base + std::to_string(builds[1].id)); }));
  EXPECT_TRUE(std::filesystem::exists(base + std::to_string(builds[0].id)));
}

TEST_F(SupervisorTest, AppExitingAtOnceGivesRuntimeErrorWithItsLastLines) {
  builder_.Set("v1", [](const build::BuildRequest& req) -> Result<build::LaunchSpec> {
    build::LaunchSpec spec;
    spec.argv = {"sh", "-c", "echo starting; echo 'Traceback: boom' >&2; exit 3"};
    spec.cwd = req.work_dir;
    return spec;
  });
  sup_->OnPush(Stored(), "v1");
  ASSERT_TRUE(StageIs("RUNTIME_ERROR")) << Stage();
  auto r = Route();
  EXPECT_FALSE(r->serving());
  EXPECT_EQ(r->error_message.rfind("app exited with code 3", 0), 0u) << r->error_message;
  EXPECT_NE(r->error_message.find("Traceback: boom"), std::string::npos);
  store::Space stored = Stored();
  EXPECT_EQ(stored.stage, "RUNTIME_ERROR");
  EXPECT_EQ(stored.error_message, r->error_message);
  EXPECT_EQ(scheduler_.pending(), 0u);  // a new version that never answered is not retried
}

TEST_F(SupervisorTest, BuildFailuresMapToStagesWhenNothingServes) {
  builder_.Set("bad-card", FailingBuild(Status::InvalidArgument("README.md line 3: unknown sdk 'x'")));
  sup_->OnPush(Stored(), "bad-card");
  ASSERT_TRUE(StageIs("CONFIG_ERROR"));
  EXPECT_EQ(Route()->error_message, "README.md line 3: unknown sdk 'x'");
  builder_.Set("no-app", FailingBuild(Status::NotFound("app.py not found")));
  sup_->OnPush(Stored(), "no-app");
  ASSERT_TRUE(StageIs("NO_APP_FILE"));
  builder_.Set("pip", FailingBuild(Status::Internal("pip install failed")));
  sup_->OnPush(Stored(), "pip");
  ASSERT_TRUE(StageIs("BUILD_ERROR"));
  EXPECT_EQ(Stored().stage, "BUILD_ERROR");
  EXPECT_EQ(Stored().error_message, "pip install failed");
  auto builds = store_->ListBuilds(space_.id, 10).value();
  ASSERT_EQ(builds.size(), 3u);
  EXPECT_EQ(builds[0].status, store::BuildStatus::kFailed);
  EXPECT_EQ(builds[0].error, "pip install failed");
}

TEST_F(SupervisorTest, FailedBuildKeepsTheOldVersionServing) {
  int port = DeployServing("v1");
  builder_.Set("v2", FailingBuild(Status::Internal("npm ci failed")));
  sup_->OnPush(Stored(), "v2");
  // The failure is what the Space shows, while v1 keeps answering.
  ASSERT_TRUE(WaitUntil([&] {
    auto builds = store_->ListBuilds(space_.id, 1).value();
    return !builds.empty() && builds[0].status == store::BuildStatus::kFailed && Stage() == "BUILD_ERROR";
  })) << Stage();
  EXPECT_EQ(Route()->upstream_port, port);
  EXPECT_EQ(Get(port), "v1");
  EXPECT_EQ(Route()->error_message, "npm ci failed (the previous version keeps serving)");
  EXPECT_EQ(Stored().stage, "BUILD_ERROR");
  EXPECT_EQ(Stored().error_message, Route()->error_message);
  EXPECT_EQ(Stored().sha, "v1");
  RuntimeInfo info = sup_->Info("alice/demo").value();
  EXPECT_TRUE(info.serving);
  EXPECT_EQ(info.replicas, 1);
  auto build_log = logs_->Tail("alice/demo", LogKind::kBuild, 10);
  ASSERT_FALSE(build_log.empty());
  EXPECT_NE(build_log.back().text.find("npm ci failed"), std::string::npos);

  // A bad card is a CONFIG_ERROR the same way; the next good build clears it.
  builder_.Set("v3", FailingBuild(Status::InvalidArgument("README.md line 3: unknown sdk 'x'")));
  sup_->OnPush(Stored(), "v3");
  ASSERT_TRUE(WaitUntil([&] { return Stage() == "CONFIG_ERROR"; })) << Stage();
  EXPECT_EQ(Route()->error_message, "README.md line 3: unknown sdk 'x' (the previous version keeps serving)");
  EXPECT_EQ(Get(port), "v1");
  DeployServing("v4");
  EXPECT_EQ(Route()->error_message, "");
  EXPECT_EQ(Stored().stage, "RUNNING");
  EXPECT_EQ(Stored().error_message, "");
}

TEST_F(SupervisorTest, NewVersionThatCrashesKeepsTheOldOneServing) {
  int port = DeployServing("v1");
  builder_.Set("v2", [](const build::BuildRequest& req) -> Result<build::LaunchSpec> {
    build::LaunchSpec spec;
    spec.argv = {"sh", "-c", "exit 9"};
    spec.cwd = req.work_dir;
    return spec;
  });
  sup_->OnPush(Stored(), "v2");
  // The stage is published before the note is written, but the route is read without the lock:
  // wait for both rather than assume one implies the other.
  ASSERT_TRUE(WaitUntil([&] {
    return RunLogText().find("previous version keeps serving") != std::string::npos && Stage() == "RUNNING";
  })) << Stage();
  EXPECT_EQ(Route()->upstream_port, port);
  EXPECT_EQ(Get(port), "v1");
}

TEST_F(SupervisorTest, PauseStopsAndRestartBringsItBack) {
  int port = DeployServing("v1");
  ASSERT_TRUE(sup_->Pause("alice/demo").ok());
  auto r = Route();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->stage, Stage::kPaused);
  EXPECT_FALSE(r->serving());
  EXPECT_EQ(Get(port), kDown);
  EXPECT_EQ(Stored().stage, "PAUSED");
  EXPECT_EQ(sup_->Info("alice/demo").value().replicas, 0);

  ASSERT_TRUE(sup_->Restart("alice/demo", /*factory=*/false).ok());
  ASSERT_TRUE(StageIs("RUNNING"));
  EXPECT_EQ(Get(Route()->upstream_port), "v1");
  EXPECT_EQ(builder_.requests().size(), 1u);  // no rebuild

  ASSERT_TRUE(sup_->Restart("alice/demo", /*factory=*/true).ok());
  ASSERT_TRUE(WaitUntil([&] { return builder_.requests().size() == 2; }));
  EXPECT_FALSE(builder_.requests()[1].use_cache);
  EXPECT_EQ(sup_->Restart("bob/none", false).code(), StatusCode::kNotFound);
}

TEST_F(SupervisorTest, CrashIsRestartedWithBackoffThenRuntimeError) {
  int port = DeployServing("v1");
  std::string build_dir = builder_.requests().at(0).work_dir;
  (void)Get(port, "/crash");
  ASSERT_TRUE(StageIs("APP_STARTING"));
  EXPECT_FALSE(Route()->serving());
  EXPECT_NE(Route()->error_message.find("app exited with code 7; restarting in 1s"), std::string::npos);
  ASSERT_TRUE(WaitUntil([&] { return scheduler_.pending() == 1; }));
  // Nothing happens before the backoff has passed on the clock.
  clock_.Advance(Millis(999));
  EXPECT_EQ(scheduler_.RunDue(), 0);
  clock_.Advance(Millis(1));
  EXPECT_EQ(scheduler_.RunDue(), 1);
  ASSERT_TRUE(WaitUntil([&] { return Route()->serving() && Stage() == "RUNNING"; }));
  int second_port = Route()->upstream_port;
  EXPECT_EQ(Get(second_port), "v1");

  // Now every restart fails: crash + 2 failed restarts = 3 in a row.
  std::ofstream(build_dir + "/broken") << "x";
  (void)Get(second_port, "/crash");
  ASSERT_TRUE(WaitUntil([&] { return Route()->error_message.find("restarting in 1s") != std::string::npos; }));
  // The note is published just before the retry is scheduled: the clock may
  // only move once it is (or the retry lands a second later).
  ASSERT_TRUE(WaitUntil([&] { return scheduler_.pending() == 1; }));
  clock_.Advance(Millis(1000));
  EXPECT_EQ(scheduler_.RunDue(), 1);
  ASSERT_TRUE(WaitUntil([&] { return Route()->error_message.find("restarting in 2s") != std::string::npos; }))
      << Route()->error_message;
  ASSERT_TRUE(WaitUntil([&] { return scheduler_.pending() == 1; }));
  clock_.Advance(Millis(1000));
  EXPECT_EQ(scheduler_.RunDue(), 0);
  clock_.Advance(Millis(1000));
  EXPECT_EQ(scheduler_.RunDue(), 1);
  ASSERT_TRUE(StageIs("RUNTIME_ERROR")) << Stage();
  std::string error = Route()->error_message;
  EXPECT_EQ(error.rfind("app exited with code 4", 0), 0u) << error;
  EXPECT_NE(error.find("broken flag set, giving up"), std::string::npos);
  EXPECT_EQ(Stored().stage, "RUNTIME_ERROR");
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(SupervisorTest, AppPastItsEphemeralDiskIsStoppedWithRuntimeError) {
  sup_->Shutdown();
  options_.ephemeral_disk_cap_bytes = 1 << 20;
  options_.disk_check_interval = Millis(30000);
  options_.freeze_after = Millis(3600 * 1000);  // no sleep task due meanwhile
  MakeSupervisor();
  int port = DeployServing("v1");
  const build::BuildRequest first = builder_.requests().at(0);
  EXPECT_EQ(first.disk_limit_bytes, 1 << 20);  // the build gets the same limit
  // Within the limit: a check changes nothing.
  clock_.Advance(Millis(30000));
  EXPECT_EQ(scheduler_.RunDue(), 1);
  EXPECT_EQ(Stage(), "RUNNING");
  EXPECT_EQ(Get(port), "v1");
  // What the app wrote to its tree passes the limit: the next check stops it.
  std::ofstream(first.work_dir + "/written-by-the-app") << std::string(2 << 20, 'x');
  clock_.Advance(Millis(29999));
  EXPECT_EQ(scheduler_.RunDue(), 0);
  clock_.Advance(Millis(1));
  EXPECT_EQ(scheduler_.RunDue(), 1);
  ASSERT_TRUE(StageIs("RUNTIME_ERROR")) << Stage();
  EXPECT_NE(Route()->error_message.find("the app's files passed its disk limit of 1 MiB"), std::string::npos)
      << Route()->error_message;
  EXPECT_FALSE(Route()->serving());
  EXPECT_TRUE(WaitUntil([&] { return Get(port) == kDown; }));
  EXPECT_EQ(Stored().stage, "RUNTIME_ERROR");
  EXPECT_NE(RunLogText().find("===== Stopped: the app's files passed its disk limit"), std::string::npos);
  // Not restarted behind the owner's back; the check goes on for the others.
  EXPECT_EQ(scheduler_.pending(), 1u);
}

TEST_F(SupervisorTest, NewerPushSupersedesAQueuedOlderOne) {
  sup_->Shutdown();
  options_.max_concurrent_builds = 1;
  MakeSupervisor();
  builder_.Set("slow", PythonApp("slow"));
  builder_.Set("a", PythonApp("a"));
  builder_.Set("b", PythonApp("b"));
  builder_.Block("slow");
  sup_->OnPush(Stored(), "slow");
  ASSERT_TRUE(WaitUntil([&] { return builder_.requests().size() == 1; }));
  sup_->OnPush(Stored(), "a");
  sup_->OnPush(Stored(), "b");
  EXPECT_EQ(Stage(), "BUILDING");
  builder_.Release("slow");
  ASSERT_TRUE(WaitUntil([&] {
    auto r = Route();
    return r->serving() && Stage() == "RUNNING" && Get(r->upstream_port) == "b";
  }));
  auto reqs = builder_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].commit_sha, "b");
  auto builds = store_->ListBuilds(space_.id, 10).value();
  ASSERT_EQ(builds.size(), 3u);
  EXPECT_EQ(builds[1].commit_sha, "a");
  EXPECT_EQ(builds[1].status, store::BuildStatus::kCancelled);
  EXPECT_EQ(Stored().sha, "b");
}

TEST_F(SupervisorTest, RemoveStopsAndForgets) {
  int port = DeployServing("v1");
  ASSERT_TRUE(sup_->Remove("alice/demo").ok());
  EXPECT_EQ(Route(), nullptr);
  EXPECT_EQ(Get(port), kDown);
  EXPECT_EQ(sup_->Info("alice/demo").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(options_.data_dir + "/builds/alice/demo"));
}

TEST_F(SupervisorTest, RenameServesUnderTheNewIdAndKeepsData) {
  int port = DeployServing("v1");
  std::string old_data = SpaceDataDir(options_.data_dir, "alice/demo");
  std::filesystem::create_directories(old_data);
  std::ofstream(old_data + "/note") << "kept";
  ASSERT_TRUE(store_->RenameSpace(space_.id, "alice", "renamed", "alice-renamed").ok());
  store::Space renamed = store_->GetSpace("alice", "renamed").value();

  ASSERT_TRUE(sup_->Rename("alice/demo", renamed).ok());
  EXPECT_EQ(Route(), nullptr);
  EXPECT_EQ(routes_.FindBySubdomain("alice-demo"), nullptr);
  EXPECT_EQ(Get(port), kDown);
  ASSERT_TRUE(WaitUntil([&] {
    auto r = routes_.FindBySpaceId("alice/renamed");
    return r && r->stage == Stage::kRunning && r->serving() && Get(r->upstream_port) == "v1";
  }));
  auto r = routes_.FindBySubdomain("alice-renamed");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Get(r->upstream_port, "/env/SPACE_ID"), "alice/renamed");
  std::ifstream note(SpaceDataDir(options_.data_dir, "alice/renamed") + "/note");
  std::string text((std::istreambuf_iterator<char>(note)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "kept");
  EXPECT_FALSE(std::filesystem::exists(old_data));
  EXPECT_EQ(sup_->Info("alice/demo").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sup_->Info("alice/renamed").value().sha, "v1");
  EXPECT_EQ(builder_.requests().back().work_dir.find(options_.data_dir + "/builds/alice/renamed/"), 0u);
  EXPECT_EQ(sup_->Rename("alice/demo", renamed).code(), StatusCode::kNotFound);
}

TEST_F(SupervisorTest, RenamingAPausedSpaceKeepsItPaused) {
  DeployServing("v1");
  ASSERT_TRUE(sup_->Pause("alice/demo").ok());
  ASSERT_TRUE(store_->RenameSpace(space_.id, "alice", "renamed", "alice-renamed").ok());
  ASSERT_TRUE(sup_->Rename("alice/demo", store_->GetSpace("alice", "renamed").value()).ok());
  auto r = routes_.FindBySpaceId("alice/renamed");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->stage, Stage::kPaused);
  EXPECT_FALSE(r->serving());
  EXPECT_EQ(builder_.requests().size(), 1u);
}

TEST_F(SupervisorTest, RecoverRedeploysSpacesWithAShaAndKeepsPausedOnes) {
  store::Space paused;
  paused.owner = "alice";
  paused.name = "sleepy";
  paused.subdomain = "alice-sleepy";
  paused.sdk = "process";
  paused.is_private = true;
  paused = store_->CreateSpace(paused, clock_.UnixMillis()).value();
  paused.sha = "p1";
  ASSERT_TRUE(store_->UpdateSpace(paused).ok());
  ASSERT_TRUE(store_->SetSpaceStage(paused.id, "PAUSED", "").ok());
  store::Space demo = Stored();
  demo.sha = "v1";
  ASSERT_TRUE(store_->UpdateSpace(demo).ok());
  builder_.Set("v1", PythonApp("v1"));

  ASSERT_TRUE(sup_->Recover().ok());
  ASSERT_TRUE(WaitUntil([&] { return Stage() == "RUNNING" && Route()->serving(); }));
  auto sleepy = routes_.FindBySpaceId("alice/sleepy");
  ASSERT_NE(sleepy, nullptr);
  EXPECT_EQ(sleepy->stage, Stage::kPaused);
  EXPECT_FALSE(sleepy->serving());
}

// A server restart: the old Supervisor is shut down (its apps stopped, the
// store keeps each Space's stage) and a new one recovers from the store and
// the data dir, as `spaceport serve` does after a crash.
TEST_F(SupervisorTest, RecoverStartsTheLastBuildWithoutBuildingAgain) {
  DeployServing("v1");
  const std::string build_dir = builder_.requests().at(0).work_dir;
  ASSERT_TRUE(std::filesystem::exists(build_dir + ".launch.json"));
  sup_->Shutdown();
  MakeSupervisor();
  ASSERT_TRUE(sup_->Recover().ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto r = Route();
    return r && r->stage == Stage::kRunning && r->serving() && Get(r->upstream_port) == "v1";
  })) << Stage();
  EXPECT_EQ(builder_.requests().size(), 1u);
  EXPECT_EQ(store_->ListBuilds(space_.id, 10).value().size(), 1u);
  EXPECT_NE(RunLogText().find("Server restarted"), std::string::npos) << RunLogText();
}

TEST_F(SupervisorTest, RecoverLeavesASleepingSpaceAsleepUntilItIsWoken) {
  DeployServing("v1");
  sup_->Shutdown();
  ASSERT_TRUE(store_->SetSpaceStage(space_.id, "SLEEPING", "").ok());  // it slept when the server died
  MakeSupervisor();
  ASSERT_TRUE(sup_->Recover().ok());
  auto r = Route();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->stage, Stage::kSleeping);
  EXPECT_FALSE(r->serving());
  EXPECT_TRUE(r->wakeable);
  EXPECT_EQ(Stored().stage, "SLEEPING");

  std::promise<WakeResult> woke;
  sup_->Wake("alice/demo", [&](WakeResult w) { woke.set_value(std::move(w)); });
  auto waiting = woke.get_future();
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  WakeResult w = waiting.get();
  ASSERT_TRUE(w.status.ok()) << w.status.ToString();
  ASSERT_TRUE(Route()->serving());
  EXPECT_EQ(Get(Route()->upstream_port), "v1");
  EXPECT_EQ(builder_.requests().size(), 1u);
}

TEST_F(SupervisorTest, RecoverBuildsAPushTheKilledServerHadNotFinished) {
  DeployServing("v1");
  sup_->Shutdown();
  // The server died while v2 was queued: its build row is open, the Space's
  // sha already names v2, and a half-made build dir lies about.
  store::Space pushed = Stored();
  pushed.sha = "v2";
  ASSERT_TRUE(store_->UpdateSpace(pushed).ok());
  int64_t open_build = store_->CreateBuild(space_.id, "v2", clock_.UnixMillis()).value().id;
  const std::string builds = options_.data_dir + "/builds/alice/demo";
  std::filesystem::create_directories(builds + "/" + std::to_string(open_build) + "/half");
  builder_.Set("v2", PythonApp("v2"));
  MakeSupervisor();
  ASSERT_TRUE(sup_->Recover().ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto r = Route();
    return r && r->stage == Stage::kRunning && r->serving() && Get(r->upstream_port) == "v2";
  })) << Stage();
  ASSERT_EQ(builder_.requests().size(), 2u);
  EXPECT_EQ(builder_.requests().at(1).commit_sha, "v2");
  auto rows = store_->ListBuilds(space_.id, 10).value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].status, store::BuildStatus::kSucceeded);  // the new build of v2
  EXPECT_EQ(rows[1].id, open_build);
  EXPECT_EQ(rows[1].status, store::BuildStatus::kCancelled);
  EXPECT_EQ(rows[1].error, "server restarted");
  EXPECT_FALSE(std::filesystem::exists(builds + "/" + std::to_string(open_build) + "/half"));
}

TEST_F(SupervisorTest, RecoverBuildsAgainWhenTheLaunchFileIsDamaged) {
  DeployServing("v1");
  const std::string build_dir = builder_.requests().at(0).work_dir;
  sup_->Shutdown();
  {
    std::ofstream damaged(build_dir + ".launch.json", std::ios::trunc);
    damaged << "{\"format\": 1, \"sdk\": ";
  }
  MakeSupervisor();
  ASSERT_TRUE(sup_->Recover().ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto r = Route();
    return r && r->stage == Stage::kRunning && r->serving() && Get(r->upstream_port) == "v1";
  })) << Stage();
  EXPECT_EQ(builder_.requests().size(), 2u);
}

TEST_F(SupervisorTest, StaticSpacesServeTheirRootWithoutAProcess) {
  builder_.Set("s1", [](const build::BuildRequest& req) -> Result<build::LaunchSpec> {
    build::LaunchSpec spec;
    spec.sdk = "static";
    spec.is_static = true;
    spec.static_root = req.work_dir;
    return spec;
  });
  sup_->OnPush(Stored(), "s1");
  ASSERT_TRUE(StageIs("RUNNING"));
  EXPECT_EQ(Route()->static_root, builder_.requests().at(0).work_dir);
  EXPECT_EQ(Route()->upstream_port, 0);
  EXPECT_EQ(Stored().sdk, "static");
}

// The card's embedding settings become the route's frame-ancestors:
// disable_embedding wins over an allow-list; with neither, no header.
TEST_F(SupervisorTest, EmbeddingSettingsBecomeTheRoutesFrameAncestors) {
  options_.public_url = "http://hub.test:8080/";
  MakeSupervisor();
  auto static_spec = [](bool disable, std::vector<std::string> allow) {
    return [disable, allow](const build::BuildRequest& req) -> Result<build::LaunchSpec> {
      build::LaunchSpec spec;
      spec.sdk = "static";
      spec.is_static = true;
      spec.static_root = req.work_dir;
      spec.disable_embedding = disable;
      spec.embed_allow = allow;
      return spec;
    };
  };
  const std::vector<std::string> allow = {"https://blog.example.com", "https://*.example.org"};
  struct Case {
    std::string sha;
    bool disable;
    std::vector<std::string> allow;
    std::string want;
  };
  for (const Case& c : {Case{"open", false, {}, ""},
                        Case{"listed", false, allow,
                             "frame-ancestors 'self' http://hub.test:8080 https://blog.example.com https://*.example.org"},
                        Case{"hub-only", true, allow, "frame-ancestors 'self' http://hub.test:8080"}}) {
    builder_.Set(c.sha, static_spec(c.disable, c.allow));
    sup_->OnPush(Stored(), c.sha);
    ASSERT_TRUE(WaitUntil([&] {
      auto r = Route();
      auto built = builder_.requests();
      return r && r->serving() && !built.empty() && built.back().commit_sha == c.sha &&
             r->static_root == built.back().work_dir;
    })) << c.sha << " " << Stage();
    EXPECT_EQ(Route()->content_security_policy, c.want) << c.sha;
  }
}

TEST_F(SupervisorTest, ShutdownStopsInstances) {
  int port = DeployServing("v1");
  sup_->Shutdown();
  EXPECT_EQ(Get(port), kDown);
  sup_->Shutdown();  // idempotent
}

}  // namespace
}  // namespace spaceport::runtime
