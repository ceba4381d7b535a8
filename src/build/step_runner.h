// StepRunner: where the builder runs the commands of a build (untar, venv,
// pip, npm, app_build_command).
//
// A build step runs code the Space's author chose (package build hooks, npm
// install scripts, app_build_command), so on a host that can sandbox, every
// step runs in a sandbox like the app's (runtime/native/build_sandbox.h): its
// own unprivileged uid, namespaces, seccomp, no capabilities, the system
// read-only, writable only the paths the step names, cgroup limits, and a
// network that reaches only the package sources the operator configured.
// MakeHostStepRunner runs steps as plain child processes of the server, for
// hosts without a sandbox (the server says so at start).
//
// Limits: a step gets `deadline` (the build's wall-clock limit),
// `log_budget` (what is left of the build's log size cap) and `disk_limit`
// (what its output directories may hold). A step that passes one of them, or
// a cgroup limit, is killed whole and its result names the limit in `limit`,
// for the message of the BUILD_ERROR. The disk is measured while the step
// runs (walks paced by their own cost: at least every 500 ms, at most a
// twentieth of the time) and once more when it ended, so a step may pass the
// limit by what it writes between two walks before it is stopped.
//
// Ownership: the caller owns the step; the runner copies what it needs.
// Thread safety: Run may be called from several build threads at once.
// Failure: Result is an error only when the step could not be started; a
// step that ran and failed (exit code, signal, limit) is a StepResult.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace spaceport::build {

struct BuildStep {
  std::vector<std::string> argv;           // argv[0] resolved with env's PATH
  std::map<std::string, std::string> env;  // the whole environment
  std::string cwd;                         // must be writable or read-only below
  // Host directories the step may write, each seen at the path given second
  // (a venv is built in a temporary directory seen at its final path).
  std::vector<std::pair<std::string, std::string>> writable;
  std::vector<std::string> read_only;      // host paths it may read, at the same path
  bool network = false;                    // the configured package sources only
  SteadyTime deadline{};                   // killed when the clock passes it
  int64_t log_budget = 0;                  // bytes of output it may still write; 0: none
  // Bytes the directories in `measured` (host paths, the build's own output)
  // may hold together while the step runs; 0: no limit. A sandboxed step
  // also gets it as its largest file (RLIMIT_FSIZE).
  int64_t disk_limit = 0;
  std::vector<std::string> measured;
  std::function<void(std::string_view)> on_output;  // stdout and stderr, merged
};

// Why a step was stopped before it ended on its own.
enum class StepLimit { kNone, kTime, kLog, kMemory, kProcesses, kDisk };

struct StepResult {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  int64_t output_bytes = 0;
  StepLimit limit = StepLimit::kNone;
  std::string limit_detail;  // the limit's value, for memory and processes: "256 MiB"
  bool ok() const { return exit_code == 0 && limit == StepLimit::kNone; }
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual Result<StepResult> Run(const BuildStep& step) = 0;
  // True when steps run sandboxed (the builder then keeps shared caches
  // out of other Spaces' reach; the host runner cannot promise that).
  virtual bool sandboxed() const = 0;
  // Environment the step needs to reach the package sources (proxy
  // settings), merged into every step with network = true.
  virtual std::map<std::string, std::string> NetworkEnv() const { return {}; }
};

// Plain child processes, no isolation: the deadline and log budget hold, the
// rest of BuildStep (paths, network) is not enforced. `clock` must outlive it.
std::unique_ptr<StepRunner> MakeHostStepRunner(const Clock* clock);

// For runners: reads `fd` (the step's merged output) until EOF, passing it
// to step.on_output, and stops early when the deadline, the log budget or
// the disk limit is passed, or when `check` (called about every 200 ms)
// names a limit. Returns the limit it stopped for (kNone at EOF); the caller
// then kills the step.
StepLimit PumpStepOutput(int fd, const BuildStep& step, const Clock& clock, int64_t* bytes,
                         const std::function<StepLimit()>& check);

// For runners, once the step has ended: kDisk when its output directories
// hold more than its disk limit or it was killed for writing a file past it
// (SIGXFSZ), else `result.limit` unchanged.
StepLimit FinalDiskCheck(const BuildStep& step, const StepResult& result);

}  // namespace spaceport::build
