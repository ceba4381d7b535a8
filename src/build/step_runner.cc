#include "build/step_runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/disk_usage.h"
#include "core/subprocess.h"

namespace spaceport::build {
namespace {

constexpr int kCheckEveryMs = 200;
constexpr Millis kMinDiskInterval{500};
constexpr int kDiskWalkShare = 20;  // walks take at most 1/20 of the time

int64_t MeasuredBytes(const BuildStep& step) {
  int64_t total = 0;
  for (const std::string& dir : step.measured) total += DiskBytesBelow(dir);
  return total;
}

// Paces the walks of a step's output directories by their cost.
class DiskWatch {
 public:
  DiskWatch(const BuildStep& step, const Clock& clock) : step_(step), clock_(clock), next_(clock.Now()) {}

  bool Over() {
    if (step_.disk_limit <= 0 || step_.measured.empty()) return false;
    SteadyTime now = clock_.Now();
    if (now < next_) return false;
    int64_t used = MeasuredBytes(step_);
    SteadyTime done = clock_.Now();
    next_ = done + std::max<Millis>(kMinDiskInterval, std::chrono::duration_cast<Millis>(done - now) * kDiskWalkShare);
    return used > step_.disk_limit;
  }

 private:
  const BuildStep& step_;
  const Clock& clock_;
  SteadyTime next_;
};

class HostStepRunner : public StepRunner {
 public:
  explicit HostStepRunner(const Clock* clock) : clock_(*clock) {}

  Result<StepResult> Run(const BuildStep& step) override {
    std::vector<std::string> env;
    for (const auto& [k, v] : step.env) env.push_back(k + "=" + v);
    ASSIGN_OR_RETURN(SpawnedChild child, SpawnWithPipes(step.argv, step.cwd, env, /*merge_stderr=*/true));
    close(child.in);
    close(child.err);
    StepResult result;
    result.limit = PumpStepOutput(child.out, step, clock_, &result.output_bytes, [] { return StepLimit::kNone; });
    if (result.limit != StepLimit::kNone) kill(-child.pid, SIGKILL);  // its own process group
    close(child.out);
    int wstatus = 0;
    while (waitpid(child.pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
    result.limit = FinalDiskCheck(step, result);
    return result;
  }

  bool sandboxed() const override { return false; }

 private:
  const Clock& clock_;
};

}  // namespace

StepLimit PumpStepOutput(int fd, const BuildStep& step, const Clock& clock, int64_t* bytes,
                         const std::function<StepLimit()>& check) {
  char buf[16384];
  DiskWatch disk(step, clock);
  while (true) {
    if (step.deadline != SteadyTime{} && clock.Now() >= step.deadline) return StepLimit::kTime;
    if (StepLimit hit = check(); hit != StepLimit::kNone) return hit;
    if (disk.Over()) return StepLimit::kDisk;
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, kCheckEveryMs);
    if (ready < 0 && errno != EINTR) return StepLimit::kNone;
    if (ready <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return StepLimit::kNone;  // EOF: every writer is gone
    size_t pass = static_cast<size_t>(n);
    if (step.log_budget > 0) pass = static_cast<size_t>(std::clamp<int64_t>(step.log_budget - *bytes, 0, n));
    *bytes += n;
    if (pass > 0 && step.on_output) step.on_output(std::string_view(buf, pass));
    if (step.log_budget > 0 && *bytes > step.log_budget) return StepLimit::kLog;
  }
}

StepLimit FinalDiskCheck(const BuildStep& step, const StepResult& result) {
  if (result.limit != StepLimit::kNone || step.disk_limit <= 0) return result.limit;
  // At the limit: a file stopped at RLIMIT_FSIZE (the writer may have
  // died of it below the command, which then failed otherwise).
  if (result.term_signal == SIGXFSZ || MeasuredBytes(step) >= step.disk_limit) return StepLimit::kDisk;
  return StepLimit::kNone;
}

std::unique_ptr<StepRunner> MakeHostStepRunner(const Clock* clock) {
  return std::make_unique<HostStepRunner>(clock);
}

}  // namespace spaceport::build
