#include "runtime/process/process_driver.h"

#include <cstdlib>
#include <future>

#include <gtest/gtest.h>

#include "runtime/testing/test_util.h"

namespace spaceport::runtime {
namespace {

using testing::TempDir;
using testing::WaitUntil;

class ProcessDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logs_ = MakeFileLogStore(dir_.path() + "/logs", &clock_);
    driver_ = MakeProcessDriver();
  }

  InstanceSpec Spec(std::vector<std::string> argv) {
    InstanceSpec spec;
    spec.space_id = "alice/demo";
    spec.argv = std::move(argv);
    spec.cwd = dir_.path();
    spec.log = logs_.get();
    return spec;
  }

  // Starts `spec`; the future is fulfilled by the exit callback.
  std::pair<InstanceId, std::future<ExitStatus>> Launch(const InstanceSpec& spec) {
    return testing::LaunchInstance(*driver_, spec);
  }

  ExitStatus WaitExit(std::future<ExitStatus>& f) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return f.get();
  }

  std::vector<std::string> RunLog() {
    std::vector<std::string> out;
    for (const auto& l : logs_->Tail("alice/demo", LogKind::kRun, 100)) out.push_back(l.text);
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<RuntimeDriver> driver_;
};

TEST_F(ProcessDriverTest, CapturesStdoutAndStderrLinesAndExitCode) {
  auto [id, exit] = Launch(Spec({"sh", "-c", "echo hello; echo oops >&2; printf partial; exit 3"}));
  ExitStatus s = WaitExit(exit);
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_EQ(s.Describe(), "app exited with code 3");
  // The last partial line is flushed before the exit is reported.
  EXPECT_EQ(RunLog(), (std::vector<std::string>{"hello", "oops", "partial"}));
}

TEST_F(ProcessDriverTest, RunsPythonInTheGivenDirectoryWithARebuiltEnvironment) {
  setenv("SP_DRIVER_TEST_LEAK", "leaked", 1);
  InstanceSpec spec = Spec({"/usr/bin/python3", "-c",
                            "import os; print(os.getcwd()); print(os.environ.get('SP_DRIVER_TEST_LEAK', 'clean'));"
                            "print(os.environ['GREETING']); print(os.environ['PATH']); print(os.environ['LANG'])"});
  spec.env = {{"GREETING", "hi"}};
  auto [id, exit] = Launch(spec);
  EXPECT_EQ(WaitExit(exit).exit_code, 0);
  auto lines = RunLog();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(std::filesystem::canonical(lines[0]), std::filesystem::canonical(dir_.path()));
  EXPECT_EQ(lines[1], "clean");
  EXPECT_EQ(lines[2], "hi");
  EXPECT_EQ(lines[3], "/usr/local/bin:/usr/bin:/bin");
  EXPECT_EQ(lines[4], "C.UTF-8");
  unsetenv("SP_DRIVER_TEST_LEAK");
}

TEST_F(ProcessDriverTest, StopTerminatesTheWholeGroupWithinGrace) {
  // The shell waits on a child sleeper: both must go, or the pipe stays open.
  auto [id, exit] = Launch(Spec({"sh", "-c", "echo up; sleep 300 & wait"}));
  ASSERT_TRUE(WaitUntil([&] { return !RunLog().empty(); }));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(driver_->Stop(id, Millis(10000)).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  ExitStatus s = WaitExit(exit);
  EXPECT_EQ(s.term_signal, SIGTERM);
  EXPECT_EQ(s.exit_code, -1);
  // Stopping again, or an unknown id, is fine.
  EXPECT_TRUE(driver_->Stop(id, Millis(10)).ok());
  EXPECT_TRUE(driver_->Stop(12345, Millis(10)).ok());
}

TEST_F(ProcessDriverTest, KillsAfterGraceWhenTermIsIgnored) {
  auto [id, exit] = Launch(Spec({"/usr/bin/python3", "-c",
                                 "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                                 "print('ready', flush=True); time.sleep(300)"}));
  ASSERT_TRUE(WaitUntil([&] { return !RunLog().empty(); }));
  ASSERT_TRUE(driver_->Stop(id, Millis(200)).ok());
  EXPECT_EQ(WaitExit(exit).term_signal, SIGKILL);
}

TEST_F(ProcessDriverTest, ReportsProgramsThatCannotStart) {
  auto missing = driver_->Start(Spec({"no-such-program-xyz"}), nullptr);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  InstanceSpec bad_dir = Spec({"sh", "-c", "true"});
  bad_dir.cwd = dir_.path() + "/missing";
  EXPECT_FALSE(driver_->Start(bad_dir, nullptr).ok());
  EXPECT_EQ(driver_->Start(Spec({}), nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ProcessDriverTest, CannotFreeze) {
  EXPECT_FALSE(driver_->Capabilities().freeze);
  EXPECT_EQ(driver_->Freeze(1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver_->Thaw(1).code(), StatusCode::kFailedPrecondition);
}

TEST_F(ProcessDriverTest, ReportsDeathBySignal) {
  auto [id, exit] = Launch(Spec({"sh", "-c", "kill -9 $$"}));
  ExitStatus s = WaitExit(exit);
  EXPECT_EQ(s.term_signal, 9);
  EXPECT_EQ(s.Describe(), "app was killed by signal 9");
}

TEST_F(ProcessDriverTest, DestructorKillsRunningInstances) {
  auto [id, exit] = Launch(Spec({"sh", "-c", "echo up; exec sleep 300"}));
  ASSERT_TRUE(WaitUntil([&] { return !RunLog().empty(); }));
  driver_.reset();
  EXPECT_EQ(WaitExit(exit).term_signal, SIGKILL);
}

}  // namespace
}  // namespace spaceport::runtime
