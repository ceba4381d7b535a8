#include "runtime/native/build_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <set>

#include "core/log.h"
#include "core/strings.h"
#include "runtime/native/cgroup.h"
#include "runtime/native/forwarder.h"
#include "runtime/native/package_proxy.h"
#include "runtime/native/sandbox.h"
#include "runtime/native/space_users.h"

namespace spaceport::runtime {
namespace {

using build::BuildStep;
using build::StepLimit;
using build::StepResult;
using native::CgroupRoot;
using native::InstanceCgroup;

constexpr Millis kKillWait{5000};
constexpr Millis kSetupTimeout{10000};
constexpr int kFdFloor = 64;

std::string ErrnoText(std::string_view what) { return std::string(what) + ": " + strerror(errno); }

// Owned fds of one step, closed on every path out.
struct StepFds {
  int out_read = -1, out_write = -1, info_read = -1, block_write = -1, null_fd = -1;
  std::vector<int> cgroup;
  ~StepFds() {
    for (int fd : {out_read, out_write, info_read, block_write, null_fd}) {
      if (fd >= 0) close(fd);
    }
    for (int fd : cgroup) close(fd);
  }
};

int Raise(int fd) {
  if (fd < 0 || fd > kFdFloor) return fd;
  int raised = fcntl(fd, F_DUPFD_CLOEXEC, kFdFloor + 1);
  close(fd);
  return raised;
}

// Reads bwrap's --info-fd JSON up to its closing brace and returns the
// sandbox's pid (0 when it did not come up). The pipe stays open: bwrap must
// never write into a closed one.
pid_t ReadChildPid(int info_read, const Clock& clock) {
  std::string info;
  SteadyTime give_up = clock.Now() + kSetupTimeout;
  while (clock.Now() < give_up && info.find('}') == std::string::npos) {
    pollfd p{info_read, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = read(info_read, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    info.append(buf, static_cast<size_t>(n));
  }
  size_t at = info.find("\"child-pid\":");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::atoi(info.c_str() + at + 12));
}

class BuildSandbox : public build::StepRunner {
 public:
  BuildSandbox(BuildSandboxOptions options, CgroupRoot root, std::vector<char> seccomp)
      : options_(std::move(options)),
        clock_(*options_.clock),
        root_(std::move(root)),
        seccomp_(std::move(seccomp)),
        name_prefix_("build-" + std::to_string(getpid()) + "-" + std::to_string(std::random_device{}() % 1000000) + "-") {}

  Result<StepResult> Run(const BuildStep& step) override;
  bool sandboxed() const override { return true; }
  std::map<std::string, std::string> NetworkEnv() const override;

 private:
  Result<uid_t> AcquireUid();
  void ReleaseUid(uid_t uid);
  Status RunIn(InstanceCgroup& cgroup, uid_t uid, const BuildStep& step, StepResult& result);
  StepLimit Judge(const InstanceCgroup& cgroup, StepResult& result) const;

  const BuildSandboxOptions options_;
  const Clock& clock_;
  const CgroupRoot root_;
  const std::vector<char> seccomp_;
  const std::string name_prefix_;
  std::atomic<uint64_t> next_step_{1};
  std::mutex mu_;
  std::set<uid_t> uids_in_use_;  // guarded by mu_
};

Result<uid_t> BuildSandbox::AcquireUid() {
  std::lock_guard lock(mu_);
  for (int i = 0; i < options_.uid_count; ++i) {
    uid_t uid = options_.uid_base + static_cast<uid_t>(i);
    if (uids_in_use_.insert(uid).second) return uid;
  }
  return Status::ResourceExhausted("no free build uid left in the configured range");
}

void BuildSandbox::ReleaseUid(uid_t uid) {
  std::lock_guard lock(mu_);
  uids_in_use_.erase(uid);
}

std::map<std::string, std::string> BuildSandbox::NetworkEnv() const {
  if (options_.proxy == nullptr) return {};
  const std::string url = "http://127.0.0.1:" + std::to_string(options_.proxy->port());
  std::map<std::string, std::string> env;
  for (const char* key : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "npm_config_proxy",
                          "npm_config_https_proxy"}) {
    env[key] = url;
  }
  env["no_proxy"] = env["NO_PROXY"] = "";
  return env;
}

Result<StepResult> BuildSandbox::Run(const BuildStep& step) {
  if (step.argv.empty()) return Status::InvalidArgument("empty build step");
  ASSIGN_OR_RETURN(uid_t uid, AcquireUid());
  struct Lease {
    BuildSandbox* self;
    uid_t uid;
    ~Lease() { self->ReleaseUid(uid); }
  } lease{this, uid};
  for (const auto& [host, inside] : step.writable) RETURN_IF_ERROR(native::GiveTree(host, uid));
  for (const std::string& path : step.read_only) RETURN_IF_ERROR(native::CheckReachable(path));
  ASSIGN_OR_RETURN(std::unique_ptr<InstanceCgroup> cgroup,
                   InstanceCgroup::Create(root_, name_prefix_ + std::to_string(next_step_++), options_.limits));
  StepResult result;
  Status ran = RunIn(*cgroup, uid, step, result);
  // Whatever the step left behind (a daemon, a fork bomb) goes with it.
  Status killed = cgroup->KillAll(clock_, kKillWait);
  if (killed.ok()) killed = cgroup->Remove(clock_, kKillWait);
  if (!killed.ok()) {
    SP_LOG(kWarn) << "build step cgroup: " << killed.ToString();
  }
  RETURN_IF_ERROR(ran);
  return result;
}

StepLimit BuildSandbox::Judge(const InstanceCgroup& cgroup, StepResult& result) const {
  if (cgroup.PidsLimitHit()) {
    result.limit_detail = std::to_string(options_.limits.pids_max) + " processes";
    return StepLimit::kProcesses;
  }
  return StepLimit::kNone;
}

Status BuildSandbox::RunIn(InstanceCgroup& cgroup, uid_t uid, const BuildStep& step, StepResult& result) {
  const bool network = step.network && options_.proxy != nullptr;
  native::SandboxInputs in;
  in.writable = step.writable;
  in.read_only_paths = step.read_only;
  in.cwd = step.cwd;
  in.argv = step.argv;
  in.uid = uid;
  in.gid = uid;
  in.hostname = "build";
  in.seccomp = seccomp_;

  StepFds f;
  int out[2], info[2], block[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(info, O_CLOEXEC) != 0) return Status::Internal(ErrnoText("pipe"));
  f.out_read = out[0];
  f.out_write = Raise(out[1]);
  f.info_read = info[0];
  if (network) {
    if (pipe2(block, O_CLOEXEC) != 0) {
      close(info[1]);
      return Status::Internal(ErrnoText("pipe"));
    }
    f.block_write = block[1];
  }
  f.null_fd = Raise(open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto fds = std::make_unique<native::SandboxFds>();
  Result<std::vector<std::string>> args = native::BwrapArgs(in, info[1], *fds, block[0]);
  if (!args.ok()) return args.status();
  RETURN_IF_ERROR(fds->RaiseAbove(kFdFloor));
  ASSIGN_OR_RETURN(f.cgroup, cgroup.OpenProcsFiles());
  for (int& fd : f.cgroup) fd = Raise(fd);

  std::vector<std::string> argv_s = {options_.bwrap_path}, env_s;
  argv_s.insert(argv_s.end(), args->begin(), args->end());
  for (const auto& [k, v] : step.env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  native::ChildPlan plan{options_.bwrap_path.c_str(), argv.data(), envp.data(), &f.cgroup, &fds->fds(),
                         f.null_fd, f.out_write, uid, step.disk_limit};
  ASSIGN_OR_RETURN(pid_t pid, native::SpawnSandbox(plan));
  fds.reset();  // our copies of the info pipe's write end and the block fd's read end
  close(f.out_write);
  f.out_write = -1;

  std::unique_ptr<native::LoopbackForwarder> egress;
  if (network) {
    pid_t child = ReadChildPid(f.info_read, clock_);
    int netns = child > 0 ? open(("/proc/" + std::to_string(child) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (netns >= 0) {
      auto made = native::LoopbackForwarder::Egress(options_.proxy->port());
      if (made.ok()) {
        egress = std::move(*made);
        egress->Start(netns);
        if (!egress->WaitListening(kSetupTimeout)) {
          SP_LOG(kWarn) << "build sandbox: no way to the package proxy";
        }
      } else {
        close(netns);
      }
    }
    // Go: with or without its way out (without, its downloads fail and say so).
    (void)!write(f.block_write, "g", 1);
    close(f.block_write);
    f.block_write = -1;
  }

  result.limit = build::PumpStepOutput(f.out_read, step, clock_, &result.output_bytes,
                                       [&] { return Judge(cgroup, result); });
  if (result.limit != StepLimit::kNone) (void)cgroup.KillAll(clock_, kKillWait);
  close(f.out_read);
  f.out_read = -1;
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (egress) egress->Stop();
  if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
  if (WIFEXITED(wstatus)) {
    int code = WEXITSTATUS(wstatus);
    // bwrap's init reports a command killed by signal N as 128 + N.
    if (code > 128 && code <= 128 + 64) {
      result.term_signal = code - 128;
    } else {
      result.exit_code = code;
    }
  }
  // A refused fork fails the step even when its command then exited 0 (a
  // fork bomb's shell returns at once); the OOM killer's work only when the
  // command failed (a tool may survive losing a worker).
  if (result.limit == StepLimit::kNone) result.limit = Judge(cgroup, result);
  if (result.limit == StepLimit::kNone && result.exit_code != 0 && cgroup.OomKilled()) {
    result.limit = StepLimit::kMemory;
    result.limit_detail = SizeText(options_.limits.memory_bytes);
  }
  result.limit = build::FinalDiskCheck(step, result);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<build::StepRunner>> MakeBuildSandbox(const BuildSandboxOptions& options) {
  if (options.clock == nullptr) return Status::InvalidArgument("the build sandbox needs a clock");
  if (geteuid() != 0) return Status::FailedPrecondition("the build sandbox must run as root (it sets uids and cgroups)");
  if (access(options.bwrap_path.c_str(), X_OK) != 0) {
    return Status::FailedPrecondition("bubblewrap not found at " + options.bwrap_path + " (apt-get install bubblewrap)");
  }
  ASSIGN_OR_RETURN(CgroupRoot root, CgroupRoot::Discover(options.cgroup_subtree));
  if (options.sweep_leftovers) SweepLeftoverGroups(root, *options.clock);  // what a killed server left running
  ASSIGN_OR_RETURN(std::vector<char> seccomp, native::BuildSeccompProgram());
  return std::unique_ptr<build::StepRunner>(new BuildSandbox(options, std::move(root), std::move(seccomp)));
}

}  // namespace spaceport::runtime
