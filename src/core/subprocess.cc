#include "core/subprocess.h"

#include <spawn.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace spaceport {
namespace {

std::vector<std::string> BuildEnv(const CommandOptions& o) {
  std::map<std::string, std::string> merged;
  if (!o.clear_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view kv(*e);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      merged[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
  }
  for (const auto& [k, v] : o.env) merged[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) out.push_back(k + "=" + v);
  return out;
}

void ClosePipe(int fds[2]) {
  close(fds[0]);
  close(fds[1]);
}

}  // namespace

Result<SpawnedChild> SpawnWithPipes(const std::vector<std::string>& argv_in, const std::string& cwd,
                                    const std::vector<std::string>& env, bool merge_stderr) {
  if (argv_in.empty()) return Status::InvalidArgument("empty command");
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    ClosePipe(in);
    return Status::Internal(std::string("pipe: ") + strerror(errno));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    ClosePipe(in);
    ClosePipe(out);
    return Status::Internal(std::string("pipe: ") + strerror(errno));
  }
  std::vector<std::string> env_strings = env, args = argv_in;
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  // posix_spawn rather than fork: glibc starts the child sharing our memory
  // until it execs (CLONE_VM | CLONE_VFORK), where a fork would copy the
  // page tables of the whole server and fault on every page it touches
  // next; with many threads and many spawns (git, tar, build steps) that was
  // most of the control plane's CPU.
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, merge_stderr ? out[1] : err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ClosePipe(in);
    ClosePipe(out);
    ClosePipe(err);
    std::string what = rc == ENOENT && !cwd.empty() ? argv_in[0] + " (or the directory " + cwd + ")" : argv_in[0];
    return Status::Internal("cannot start " + what + ": " + strerror(rc));
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  return SpawnedChild{pid, in[1], out[0], err[0]};
}

Result<CommandResult> RunCommand(const CommandOptions& o) {
  ASSIGN_OR_RETURN(SpawnedChild child, SpawnWithPipes(o.argv, o.cwd, BuildEnv(o), o.merge_stderr));
  const pid_t pid = child.pid;
  CommandResult result;
  size_t written = 0;
  int in_fd = child.in;
  if (o.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  int out_fd = child.out, err_fd = child.err;
  auto deadline = std::chrono::steady_clock::now() + o.timeout;  // deadline only; no time is read elsewhere
  bool timed_out = false;
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_fd >= 0) { idx_in = n; fds[n++] = {in_fd, POLLOUT, 0}; }
    if (out_fd >= 0) { idx_out = n; fds[n++] = {out_fd, POLLIN, 0}; }
    if (err_fd >= 0) { idx_err = n; fds[n++] = {err_fd, POLLIN, 0}; }
    int wait_ms = -1;
    if (o.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) { timed_out = true; break; }
      wait_ms = static_cast<int>(left);
    }
    int r = poll(fds, n, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in_fd, o.stdin_data.data() + written, o.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) written = o.stdin_data.size();
      if (written >= o.stdin_data.size()) { close(in_fd); in_fd = -1; }
    }
    auto drain = [&](int idx, int& fd, std::string& sink) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLERR | POLLHUP))) return;
      ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) return;
        close(fd);
        fd = -1;
        return;
      }
      std::string_view chunk(buf, static_cast<size_t>(got));
      if (o.on_output) o.on_output(chunk);
      if (sink.size() < o.max_output) sink.append(chunk.substr(0, o.max_output - sink.size()));
    };
    drain(idx_out, out_fd, result.stdout_data);
    drain(idx_err, err_fd, result.stderr_data);
  }
  if (in_fd >= 0) close(in_fd);
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  if (timed_out) kill(-pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return Status::DeadlineExceeded("command timed out: " + o.argv[0]);
  if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.term_signal = WTERMSIG(wstatus);
  }
  return result;
}

Result<std::string> RunSimple(const std::vector<std::string>& argv, const std::string& cwd) {
  CommandOptions o;
  o.argv = argv;
  o.cwd = cwd;
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(o));
  if (!r.ok()) {
    std::string tail = r.stderr_data.size() > 2000 ? r.stderr_data.substr(r.stderr_data.size() - 2000) : r.stderr_data;
    return Status::Internal(argv[0] + " exited " + std::to_string(r.exit_code) + ": " + tail);
  }
  return std::move(r.stdout_data);
}

namespace {
std::atomic<uint64_t> child_open_files{0};
}  // namespace

void SetChildOpenFileLimit(uint64_t soft) { child_open_files.store(soft); }
uint64_t ChildOpenFileLimit() { return child_open_files.load(); }

}  // namespace spaceport
