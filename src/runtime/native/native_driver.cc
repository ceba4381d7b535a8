#include "runtime/native/native_driver.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/log.h"
#include "core/subprocess.h"
#include "runtime/native/cgroup.h"
#include "runtime/native/forwarder.h"
#include "runtime/native/sandbox.h"
#include "runtime/native/space_users.h"
#include "runtime/data_volume.h"
#include "runtime/instance_monitor.h"

namespace spaceport::runtime {
namespace {

using native::ChildPlan;
using native::CgroupRoot;
using native::InstanceCgroup;
using native::LoopbackForwarder;
using native::SandboxFds;
using native::SpaceUsers;

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr Millis kKillWait{5000};
// Fds handed to the child are first moved above this, then installed at 3..
constexpr int kFdFloor = 64;

std::string ErrnoText(std::string_view what) { return std::string(what) + ": " + strerror(errno); }

ExitStatus FromWaitStatus(int wstatus) {
  ExitStatus s;
  if (WIFSIGNALED(wstatus)) s.term_signal = WTERMSIG(wstatus);
  if (!WIFEXITED(wstatus)) return s;
  int code = WEXITSTATUS(wstatus);
  // bwrap's init reports an app killed by signal N as exit code 128 + N.
  if (code > 128 && code <= 128 + 64) {
    s.term_signal = code - 128;
  } else {
    s.exit_code = code;
  }
  return s;
}

int RaiseFd(int fd) {
  if (fd < 0 || fd > kFdFloor) return fd;
  int raised = fcntl(fd, F_DUPFD_CLOEXEC, kFdFloor + 1);
  close(fd);
  return raised;
}

struct Instance {
  InstanceId id = 0;
  std::string space_id;
  uid_t uid = 0;
  pid_t pid = -1;       // bwrap, our child
  pid_t init_pid = 0;   // bwrap's init (pid 1 inside), host pid
  int out_fd = -1;
  int pidfd = -1;
  LogStore* log = nullptr;
  ExitCallback on_exit;
  std::unique_ptr<InstanceCgroup> cgroup;
  std::unique_ptr<LoopbackForwarder> forwarder;
  std::unique_ptr<LoopbackForwarder> egress;  // app -> the edge's port
  std::string data_volume;  // the /data volume this start mounted or found mounted
  std::promise<void> setup_done;  // Start finished; the monitor may report
  // Guarded by the driver's mutex:
  bool frozen = false;
  bool exited = false;  // reaped, cleaned up, callback returned
  bool done = false;    // the thread may be joined
  std::thread thread;
};

// What Start prepares before the fork.
struct Launch {
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;
  std::unique_ptr<SandboxFds> fds;
  std::vector<int> cgroup_fds;
  int null_fd = -1, out_read = -1, out_write = -1, info_read = -1;
  ~Launch() {
    for (int fd : cgroup_fds) close(fd);
    for (int fd : {null_fd, out_read, out_write, info_read}) {
      if (fd >= 0) close(fd);
    }
  }
};

class NativeSandboxDriver : public RuntimeDriver {
 public:
  NativeSandboxDriver(NativeSandboxOptions options, CgroupRoot root, std::vector<char> seccomp)
      : options_(std::move(options)),
        clock_(*options_.clock),
        root_(std::move(root)),
        seccomp_(std::move(seccomp)),
        users_(options_.uid_base, options_.uid_count),
        name_prefix_(std::to_string(getpid()) + "-" + std::to_string(std::random_device{}() % 1000000) + "-") {}
  ~NativeSandboxDriver() override;

  Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) override;
  Status Stop(InstanceId id, Millis grace) override;
  DriverCapabilities Capabilities() const override {
    return {.isolated = true, .limits = true, .freeze = true, .disk = options_.data_volumes};
  }
  Status Freeze(InstanceId id) override;
  Status Thaw(InstanceId id) override;
  Result<int64_t> MemoryBytes(InstanceId id) override;

 private:
  Status Prepare(const InstanceSpec& spec, Instance& inst, Launch& launch);
  Status PrepareSandbox(const InstanceSpec& spec, const Instance& inst, Launch& launch);
  void FinishSetup(const InstanceSpec& spec, Instance& inst, int info_read);
  void Run(const std::shared_ptr<Instance>& inst, Launch* launch, const std::shared_ptr<std::promise<Status>>& forked);
  void Monitor(const std::shared_ptr<Instance>& inst);
  void CleanUp(Instance& inst, ExitStatus& status);
  void ReleaseSpace(const Instance& inst, bool processes_gone);
  std::shared_ptr<Instance> Find(InstanceId id);
  void JoinFinishedLocked();

  const NativeSandboxOptions options_;
  const Clock& clock_;
  const CgroupRoot root_;
  const std::vector<char> seccomp_;
  SpaceUsers users_;
  const std::string name_prefix_;  // keeps cgroup names unique across drivers

  // Per Space, held while its volume is mounted for a start or unmounted
  // after its last sandbox ended, so that the two never cross (making or
  // growing a volume takes seconds: other Spaces do not wait for it).
  std::mutex& VolumeLock(const std::string& space_id);
  std::mutex volume_locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> volume_locks_;
  std::mutex mu_;
  std::condition_variable exited_cv_;
  std::map<InstanceId, std::shared_ptr<Instance>> instances_;
  InstanceId next_id_ = 1;
};

NativeSandboxDriver::~NativeSandboxDriver() {
  std::map<InstanceId, std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(instances_);
  }
  for (auto& [id, inst] : all) (void)inst->cgroup->KillAll(clock_, kKillWait);
  for (auto& [id, inst] : all) {
    if (inst->thread.joinable()) inst->thread.join();
  }
}

Status NativeSandboxDriver::Prepare(const InstanceSpec& spec, Instance& inst, Launch& launch) {
  struct stat st {};
  if (spec.cwd.empty() || stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::NotFound("app directory missing: " + spec.cwd);
  }
  if (spec.port > 0) {
    ASSIGN_OR_RETURN(inst.forwarder, LoopbackForwarder::Listen(spec.port));
  }
  if (options_.egress_port > 0) {
    ASSIGN_OR_RETURN(inst.egress, LoopbackForwarder::Egress(options_.egress_port));
  }
  RETURN_IF_ERROR(native::GiveTree(spec.cwd, inst.uid));
  if (!spec.data_dir.empty() && options_.data_volumes && spec.limits.data_bytes > 0) {
    std::lock_guard lock(VolumeLock(spec.space_id));
    // This instance holds the Space's uid: one holder means no other sandbox
    // of the Space runs (and so none has /data mounted).
    bool sole_user = users_.Holders(spec.space_id) == 1;
    RETURN_IF_ERROR(EnsureDataVolume(spec.data_dir, spec.limits.data_bytes, sole_user, options_.volume_templates_dir));
    inst.data_volume = spec.data_dir;
  }
  if (!spec.data_dir.empty()) RETURN_IF_ERROR(native::GiveTree(spec.data_dir, inst.uid));
  RETURN_IF_ERROR(native::CheckReachable(spec.cwd));
  if (!spec.data_dir.empty()) RETURN_IF_ERROR(native::CheckReachable(spec.data_dir));
  for (const std::string& path : spec.read_only_paths) RETURN_IF_ERROR(native::CheckReachable(path));
  ASSIGN_OR_RETURN(inst.cgroup, InstanceCgroup::Create(root_, name_prefix_ + std::to_string(inst.id), spec.limits));
  return PrepareSandbox(spec, inst, launch);
}

Status NativeSandboxDriver::PrepareSandbox(const InstanceSpec& spec, const Instance& inst, Launch& launch) {
  std::map<std::string, std::string> env = spec.env;
  env.try_emplace("PATH", kDefaultPath);
  env.try_emplace("HOME", spec.cwd);
  env.try_emplace("LANG", "C.UTF-8");
  for (const auto& [k, v] : env) launch.env.push_back(k + "=" + v);

  int out[2], info[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status::Internal(ErrnoText("pipe"));
  launch.out_read = out[0];
  launch.out_write = RaiseFd(out[1]);
  if (pipe2(info, O_CLOEXEC) != 0) return Status::Internal(ErrnoText("pipe"));
  launch.info_read = info[0];
  launch.null_fd = RaiseFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (launch.null_fd < 0 || launch.out_write < 0) return Status::Internal(ErrnoText("fd setup"));

  native::SandboxInputs in;
  in.app_dir = spec.cwd;
  in.data_dir = spec.data_dir;
  in.read_only_paths = spec.read_only_paths;
  in.argv = spec.argv;
  in.uid = inst.uid;
  in.gid = inst.uid;
  in.seccomp = seccomp_;
  launch.fds = std::make_unique<SandboxFds>();
  ASSIGN_OR_RETURN(std::vector<std::string> args, native::BwrapArgs(in, info[1], *launch.fds));
  RETURN_IF_ERROR(launch.fds->RaiseAbove(kFdFloor));
  ASSIGN_OR_RETURN(std::vector<int> cg_fds, inst.cgroup->OpenProcsFiles());
  for (int fd : cg_fds) launch.cgroup_fds.push_back(RaiseFd(fd));

  launch.args = {options_.bwrap_path};
  launch.args.insert(launch.args.end(), args.begin(), args.end());
  for (auto& a : launch.args) launch.argv.push_back(a.data());
  launch.argv.push_back(nullptr);
  for (auto& e : launch.env) launch.envp.push_back(e.data());
  launch.envp.push_back(nullptr);
  return Status::Ok();
}

Result<InstanceId> NativeSandboxDriver::Start(const InstanceSpec& spec, ExitCallback on_exit) {
  if (spec.argv.empty()) return Status::InvalidArgument("empty command line");
  auto inst = std::make_shared<Instance>();
  {
    std::lock_guard lock(mu_);
    JoinFinishedLocked();
    inst->id = next_id_++;
  }
  inst->space_id = spec.space_id;
  inst->log = spec.log;
  inst->on_exit = std::move(on_exit);
  ASSIGN_OR_RETURN(inst->uid, users_.Acquire(spec.space_id));
  Launch launch;
  Status prepared = Prepare(spec, *inst, launch);
  if (!prepared.ok()) {
    if (inst->cgroup) (void)inst->cgroup->Remove(clock_, kKillWait);
    ReleaseSpace(*inst, /*processes_gone=*/true);
    return prepared;
  }
  // The monitor thread forks: bwrap --die-with-parent watches the thread
  // that forked it, which must live as long as the instance.
  auto forked = std::make_shared<std::promise<Status>>();
  auto forked_result = forked->get_future();
  inst->thread = std::thread([this, inst, &launch, forked] { Run(inst, &launch, forked); });
  Status fork_status = forked_result.get();
  if (!fork_status.ok()) {
    inst->thread.join();
    (void)inst->cgroup->Remove(clock_, kKillWait);
    ReleaseSpace(*inst, /*processes_gone=*/true);
    return fork_status;
  }
  launch.fds.reset();  // our copies of the info pipe's write end and friends
  FinishSetup(spec, *inst, launch.info_read);
  {
    std::lock_guard lock(mu_);
    instances_[inst->id] = inst;
  }
  inst->setup_done.set_value();
  SP_LOG(kDebug) << "sandboxed " << spec.space_id << " as uid " << inst->uid << ", instance " << inst->id;
  return inst->id;
}

// Reads bwrap's init pid from the info pipe and points the forwarder into its
// network namespace. A sandbox that fails to come up exits on its own; the
// monitor reports that (bwrap's message is in the run log).
void NativeSandboxDriver::FinishSetup(const InstanceSpec& spec, Instance& inst, int info_read) {
  // Read to EOF: bwrap writes more after the pid and closing early would
  // kill it with SIGPIPE.
  std::string info;
  SteadyTime give_up = clock_.Now() + options_.setup_timeout;
  while (clock_.Now() < give_up) {
    pollfd p{info_read, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = read(info_read, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    info.append(buf, static_cast<size_t>(n));
  }
  size_t at = info.find("\"child-pid\":");
  if (at != std::string::npos) inst.init_pid = static_cast<pid_t>(std::atoi(info.c_str() + at + 12));
  if (inst.init_pid <= 0) {
    SP_LOG(kWarn) << "sandbox of " << spec.space_id << " did not come up";
    return;
  }
  for (LoopbackForwarder* f : {inst.forwarder.get(), inst.egress.get()}) {
    if (f == nullptr) continue;
    int netns = open(("/proc/" + std::to_string(inst.init_pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    if (netns < 0) {
      SP_LOG(kWarn) << ErrnoText("cannot open the sandbox's network namespace");
      return;
    }
    f->Start(netns);
  }
}

void NativeSandboxDriver::Run(const std::shared_ptr<Instance>& inst, Launch* launch,
                              const std::shared_ptr<std::promise<Status>>& forked) {
  ChildPlan plan{options_.bwrap_path.c_str(), launch->argv.data(), launch->envp.data(), &launch->cgroup_fds,
                 &launch->fds->fds(), launch->null_fd, launch->out_write, inst->uid};
  plan.open_files = ChildOpenFileLimit();
  Result<pid_t> spawned = native::SpawnSandbox(plan);
  if (!spawned.ok()) {
    forked->set_value(spawned.status());
    return;
  }
  const pid_t pid = *spawned;
  inst->pid = pid;
  inst->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  inst->out_fd = launch->out_read;
  launch->out_read = -1;
  forked->set_value(Status::Ok());  // `launch` is gone from here on
  inst->setup_done.get_future().wait();
  Monitor(inst);
}

void NativeSandboxDriver::Monitor(const std::shared_ptr<Instance>& inst) {
  // Whatever is left in the cgroup would hold the output pipe open.
  int wstatus = PumpOutputUntilExit(inst->pid, inst->pidfd, inst->out_fd, inst->log, inst->space_id,
                                    [&] { (void)inst->cgroup->KillAll(clock_, kKillWait); });
  ExitStatus status = FromWaitStatus(wstatus);
  CleanUp(*inst, status);
  if (inst->on_exit) inst->on_exit(inst->id, status);
  {
    std::lock_guard lock(mu_);
    inst->exited = true;
    inst->done = true;
  }
  exited_cv_.notify_all();
}

void NativeSandboxDriver::CleanUp(Instance& inst, ExitStatus& status) {
  if (inst.log != nullptr) inst.log->Flush(inst.space_id, LogKind::kRun);
  if (inst.forwarder) inst.forwarder->Stop();
  if (inst.egress) inst.egress->Stop();
  if (inst.cgroup->OomKilled()) status.reason = "out of memory";
  Status removed = inst.cgroup->KillAll(clock_, kKillWait);
  if (removed.ok()) removed = inst.cgroup->Remove(clock_, kKillWait);
  if (!removed.ok()) {
    SP_LOG(kWarn) << "instance " << inst.id << ": " << removed.ToString();
  }
  ReleaseSpace(inst, removed.ok());
}

// Gives the Space's uid back. The last sandbox of a Space to end takes its
// /data volume out of the host's mount table (its next start mounts it
// again, a few milliseconds): each sandbox's mount namespace begins as a copy
// of the host's and bubblewrap reads the whole table for every bind it
// makes, so a thousand sleeping Spaces' volumes would slow every start down.
// A volume whose processes may still run (the cgroup did not empty), or that
// a host process holds, stays.
std::mutex& NativeSandboxDriver::VolumeLock(const std::string& space_id) {
  std::lock_guard lock(volume_locks_mu_);
  std::unique_ptr<std::mutex>& m = volume_locks_[space_id];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

void NativeSandboxDriver::ReleaseSpace(const Instance& inst, bool processes_gone) {
  std::lock_guard lock(VolumeLock(inst.space_id));
  if (processes_gone && !inst.data_volume.empty() && users_.Holders(inst.space_id) == 1) {
    if (Status s = UnmountIdleDataVolume(inst.data_volume); !s.ok()) {
      SP_LOG(kWarn) << s.message();
    }
  }
  users_.Release(inst.space_id);
}

std::shared_ptr<Instance> NativeSandboxDriver::Find(InstanceId id) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second->exited) return nullptr;
  return it->second;
}

void NativeSandboxDriver::JoinFinishedLocked() { JoinFinishedMonitors(instances_); }

Status NativeSandboxDriver::Stop(InstanceId id, Millis grace) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::Ok();
  // Frozen processes would not act on SIGTERM.
  (void)inst->cgroup->Thaw(clock_, options_.freeze_timeout);
  // The app's processes, not bwrap: its init does not pass signals on.
  inst->cgroup->Signal(SIGTERM, {inst->pid, inst->init_pid});
  std::unique_lock lock(mu_);
  inst->frozen = false;
  auto gone = [&] { return inst->exited; };
  if (exited_cv_.wait_for(lock, grace, gone)) return Status::Ok();
  lock.unlock();
  (void)inst->cgroup->KillAll(clock_, kKillWait);
  lock.lock();
  if (exited_cv_.wait_for(lock, kKillWait, gone)) return Status::Ok();
  return Status::DeadlineExceeded("instance " + std::to_string(id) + " did not stop");
}

Status NativeSandboxDriver::Freeze(InstanceId id) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
  RETURN_IF_ERROR(inst->cgroup->Freeze(clock_, options_.freeze_timeout));
  std::lock_guard lock(mu_);
  inst->frozen = true;
  return Status::Ok();
}

Status NativeSandboxDriver::Thaw(InstanceId id) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
  RETURN_IF_ERROR(inst->cgroup->Thaw(clock_, options_.freeze_timeout));
  std::lock_guard lock(mu_);
  inst->frozen = false;
  return Status::Ok();
}

Result<int64_t> NativeSandboxDriver::MemoryBytes(InstanceId id) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
  return inst->cgroup->MemoryUsage();
}

}  // namespace

int SweepLeftoverSandboxes(const std::string& cgroup_subtree, const Clock& clock) {
  Result<CgroupRoot> root = CgroupRoot::Discover(cgroup_subtree);
  return root.ok() ? SweepLeftoverGroups(*root, clock) : 0;
}

Result<std::unique_ptr<RuntimeDriver>> MakeNativeSandboxDriver(const NativeSandboxOptions& options) {
  if (options.clock == nullptr) return Status::InvalidArgument("the sandbox driver needs a clock");
  if (geteuid() != 0) return Status::FailedPrecondition("the sandbox driver must run as root (it sets uids and cgroups)");
  if (access(options.bwrap_path.c_str(), X_OK) != 0) {
    return Status::FailedPrecondition("bubblewrap not found at " + options.bwrap_path + " (apt-get install bubblewrap)");
  }
  ASSIGN_OR_RETURN(CgroupRoot root, CgroupRoot::Discover(options.cgroup_subtree));
  if (options.sweep_leftovers) SweepLeftoverGroups(root, *options.clock);  // what a killed server left running
  ASSIGN_OR_RETURN(std::vector<char> seccomp, native::BuildSeccompProgram());
  return std::unique_ptr<RuntimeDriver>(new NativeSandboxDriver(options, std::move(root), std::move(seccomp)));
}

}  // namespace spaceport::runtime
