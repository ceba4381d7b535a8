// RunCommand: run a program to completion, feeding stdin and collecting output.
//
// For short-lived tools (git, pip, npm, build commands). Long-running apps are
// the runtime driver's business (runtime/driver.h). The child gets its own
// process group; on timeout the whole group is killed with SIGKILL.
// Thread safe: any number of commands may run at once from different threads.
// Failure: Result is an error only when the program could not be started or
// the timeout hit; a non-zero exit is reported in CommandResult.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace spaceport {

struct CommandOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  std::string cwd;                // empty: inherit
  // Environment: when clear_env, only `env`; otherwise the parent's plus `env`.
  bool clear_env = false;
  std::map<std::string, std::string> env;
  std::string stdin_data;
  Millis timeout{0};  // 0: none
  // Called with each chunk of combined stdout+stderr as it arrives (build logs).
  // When set, output is still collected up to max_output bytes.
  std::function<void(std::string_view)> on_output;
  size_t max_output = 16 << 20;
  bool merge_stderr = false;  // collect stderr into stdout_data
};

// A started child with pipes to its stdin, stdout and stderr. The parent's
// ends are close-on-exec and `in` is non-blocking. The child runs in its own
// process group with an empty signal mask and default SIGPIPE, in `cwd`
// (empty: inherited), with exactly `env` ("KEY=value" strings), and with no
// file descriptor open beyond 0, 1 and 2. `merge_stderr`: its stderr goes to
// the stdout pipe (`err` is then still a pipe, which stays empty).
// For callers that stream (repo/cgi.cc); RunCommand uses it too.
struct SpawnedChild {
  int pid = -1;
  int in = -1, out = -1, err = -1;
};
Result<SpawnedChild> SpawnWithPipes(const std::vector<std::string>& argv, const std::string& cwd,
                                    const std::vector<std::string>& env, bool merge_stderr = false);

struct CommandResult {
  int exit_code = -1;    // -1 when killed by a signal
  int term_signal = 0;
  std::string stdout_data;
  std::string stderr_data;
  bool ok() const { return exit_code == 0; }
};

Result<CommandResult> RunCommand(const CommandOptions& options);

// The RLIMIT_NOFILE soft limit that apps and builds get: the one the server
// started with, recorded when the server raised its own (edge/admission.h),
// since a program that uses select() breaks on descriptors past 1,024.
// 0: nothing recorded, children keep the server's.
void SetChildOpenFileLimit(uint64_t soft);
uint64_t ChildOpenFileLimit();

// Convenience: argv only, parent env, returns stdout when the exit is 0, else an
// Internal error carrying stderr's tail.
Result<std::string> RunSimple(const std::vector<std::string>& argv, const std::string& cwd = "");

}  // namespace spaceport
