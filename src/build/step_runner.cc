#include "build/step_runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/subprocess.h"

namespace spaceport::build {
namespace {

constexpr int kCheckEveryMs = 200;

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
  while (true) {
    if (step.deadline != SteadyTime{} && clock.Now() >= step.deadline) return StepLimit::kTime;
    if (StepLimit hit = check(); hit != StepLimit::kNone) return hit;
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

std::unique_ptr<StepRunner> MakeHostStepRunner(const Clock* clock) {
  return std::make_unique<HostStepRunner>(clock);
}

}  // namespace spaceport::build
