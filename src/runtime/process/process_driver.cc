#include "runtime/process/process_driver.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "runtime/instance_monitor.h"

namespace spaceport::runtime {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr Millis kKillWait{5000};

std::string ErrnoText(std::string_view what) { return std::string(what) + ": " + strerror(errno); }

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Resolves argv[0] against the app's own PATH (not the server's).
Result<std::string> ResolveProgram(const std::string& name, const std::string& path_var, const std::string& cwd) {
  if (name.empty()) return Status::InvalidArgument("empty program name");
  if (name.find('/') != std::string::npos) {
    std::string full = (name[0] == '/' || cwd.empty()) ? name : cwd + "/" + name;
    if (!IsExecutableFile(full)) return Status::NotFound("program not found or not executable: " + name);
    return full;
  }
  for (const std::string& dir : Split(path_var, ':')) {
    if (dir.empty()) continue;
    std::string candidate = (dir[0] == '/' || cwd.empty()) ? dir + "/" + name : cwd + "/" + dir + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return Status::NotFound("program not found on the app's PATH: " + name);
}

std::map<std::string, std::string> WithDefaults(const InstanceSpec& spec) {
  std::map<std::string, std::string> env = spec.env;
  env.try_emplace("PATH", kDefaultPath);
  env.try_emplace("HOME", spec.cwd.empty() ? "/tmp" : spec.cwd);
  env.try_emplace("LANG", "C.UTF-8");
  return env;
}

ExitStatus FromWaitStatus(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) s.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) s.term_signal = WTERMSIG(wstatus);
  return s;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void ExecChild(const char* program, char* const* argv, char* const* envp, const char* cwd, int null_fd,
                            int out_fd) {
  setsid();
  dup2(null_fd, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  if (cwd[0] != '\0' && chdir(cwd) != 0) _exit(126);
  if (uint64_t files = ChildOpenFileLimit(); files > 0) {
    struct rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && files < lim.rlim_max) {
      lim.rlim_cur = static_cast<rlim_t>(files);
      setrlimit(RLIMIT_NOFILE, &lim);
    }
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
#ifdef SYS_close_range
  syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
  execve(program, argv, envp);
  _exit(127);
}

struct Instance {
  InstanceId id = 0;
  pid_t pid = -1;
  int out_fd = -1;
  int pidfd = -1;
  std::string space_id;
  LogStore* log = nullptr;
  ExitCallback on_exit;
  // Guarded by the driver's mutex:
  bool reaped = false;  // waitpid done: the pid must not be signalled any more
  bool exited = false;  // reaped, output drained, callback returned
  bool done = false;    // the thread may be joined
  std::thread thread;
};

class ProcessDriver : public RuntimeDriver {
 public:
  ProcessDriver() = default;
  ~ProcessDriver() override;

  Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) override;
  Status Stop(InstanceId id, Millis grace) override;

 private:
  void Monitor(const std::shared_ptr<Instance>& inst);
  void JoinFinishedLocked();

  std::mutex mu_;
  std::condition_variable exited_cv_;
  std::map<InstanceId, std::shared_ptr<Instance>> instances_;
  InstanceId next_id_ = 1;
};

ProcessDriver::~ProcessDriver() {
  std::map<InstanceId, std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, inst] : instances_) {
      if (!inst->reaped) kill(-inst->pid, SIGKILL);
    }
    all.swap(instances_);
  }
  for (auto& [id, inst] : all) {
    if (inst->thread.joinable()) inst->thread.join();
  }
}

Result<InstanceId> ProcessDriver::Start(const InstanceSpec& spec, ExitCallback on_exit) {
  if (spec.argv.empty()) return Status::InvalidArgument("empty command line");
  std::map<std::string, std::string> env = WithDefaults(spec);
  ASSIGN_OR_RETURN(std::string program, ResolveProgram(spec.argv[0], env["PATH"], spec.cwd));
  if (!spec.cwd.empty()) {
    struct stat st {};
    if (stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::NotFound("app directory missing: " + spec.cwd);
    }
  }
  std::vector<std::string> env_strings, args = spec.argv;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return Status::Internal(ErrnoText("open /dev/null"));
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(null_fd);
    return Status::Internal(ErrnoText("pipe"));
  }
  pid_t pid = fork();
  if (pid == 0) ExecChild(program.c_str(), argv.data(), envp.data(), spec.cwd.c_str(), null_fd, out[1]);
  close(null_fd);
  close(out[1]);
  if (pid < 0) {
    close(out[0]);
    return Status::Internal(ErrnoText("fork"));
  }
  auto inst = std::make_shared<Instance>();
  inst->pid = pid;
  inst->out_fd = out[0];
#ifdef SYS_pidfd_open
  inst->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#endif
  inst->space_id = spec.space_id;
  inst->log = spec.log;
  inst->on_exit = std::move(on_exit);

  std::lock_guard lock(mu_);
  JoinFinishedLocked();
  inst->id = next_id_++;
  instances_[inst->id] = inst;
  inst->thread = std::thread([this, inst] { Monitor(inst); });
  SP_LOG(kDebug) << "started " << spec.space_id << " pid " << pid << " as instance " << inst->id;
  return inst->id;
}

void ProcessDriver::JoinFinishedLocked() { JoinFinishedMonitors(instances_); }

void ProcessDriver::Monitor(const std::shared_ptr<Instance>& inst) {
  int wstatus = PumpOutputUntilExit(inst->pid, inst->pidfd, inst->out_fd, inst->log, inst->space_id, [&] {
    kill(-inst->pid, SIGKILL);  // what is left of the group would hold the pipe
    std::lock_guard lock(mu_);
    inst->reaped = true;
  });
  if (inst->log != nullptr) inst->log->Flush(inst->space_id, LogKind::kRun);
  ExitStatus status = FromWaitStatus(wstatus);
  // Stop returns only after the callback did, so that its owner may go away.
  if (inst->on_exit) inst->on_exit(inst->id, status);
  {
    std::lock_guard lock(mu_);
    inst->exited = true;
    inst->done = true;
  }
  exited_cv_.notify_all();
}

Status ProcessDriver::Stop(InstanceId id, Millis grace) {
  std::unique_lock lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return Status::Ok();
  std::shared_ptr<Instance> inst = it->second;
  auto gone = [&] { return inst->exited; };
  if (gone()) return Status::Ok();
  if (!inst->reaped) kill(-inst->pid, SIGTERM);
  if (exited_cv_.wait_for(lock, grace, gone)) return Status::Ok();
  if (!inst->reaped) kill(-inst->pid, SIGKILL);
  if (exited_cv_.wait_for(lock, kKillWait, gone)) return Status::Ok();
  return Status::DeadlineExceeded("instance " + std::to_string(id) + " did not stop");
}

}  // namespace

std::unique_ptr<RuntimeDriver> MakeProcessDriver() { return std::make_unique<ProcessDriver>(); }

}  // namespace spaceport::runtime
