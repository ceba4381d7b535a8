#include "runtime/oci/oci_driver.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/log.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "runtime/data_volume.h"
#include "runtime/instance_monitor.h"
#include "runtime/native/cgroup.h"
#include "runtime/native/forwarder.h"
#include "runtime/native/space_users.h"
#include "runtime/oci/cgroup_tree.h"
#include "runtime/oci/container_env.h"
#include "runtime/oci/image_build.h"

namespace spaceport::runtime::oci {
namespace {

using native::LoopbackForwarder;

constexpr Millis kEngineTimeout{60 * 1000};
constexpr Millis kKillWait{10 * 1000};
constexpr Millis kFreezeTimeout{5000};
constexpr char kCgroupSubtree[] = "spaceport-oci";
constexpr char kOwnerLabel[] = "space.spaceport.owner";
constexpr char kDefaultUser[] = "1000:1000";  // Hugging Face runs Docker Spaces as uid 1000

struct Instance {
  InstanceId id = 0;
  std::string space_id;
  std::string name;      // the container's
  std::string pid_file;
  pid_t client = -1;     // `podman run`, our child
  int pidfd = -1;        // the monitor's (closed when it is done)
  int kill_fd = -1;      // a pidfd of our own for Stop: never signals a reused pid
  std::string env_file;  // removed once the container exists
  int out_fd = -1;
  pid_t app_pid = 0;     // the container's first process, host pid
  LogStore* log = nullptr;
  ExitCallback on_exit;
  std::unique_ptr<LoopbackForwarder> forwarder;
  std::unique_ptr<LoopbackForwarder> egress;
  // The container's parent group: limits, freezer, memory use. The engine
  // makes its own group (and those of the other controllers) below it.
  std::unique_ptr<native::InstanceCgroup> cgroup;
  int oom_events = -1;  // eventfd: the kernel's OOM notifications of `cgroup`
  std::string data_volume;
  // Guarded by the driver's mutex:
  bool frozen = false;
  bool exited = false;
  bool done = false;
  std::thread thread;
};

Result<CommandResult> RunEngine(const OciEngine& engine, std::vector<std::string> args) {
  CommandOptions o;
  o.argv = engine.Command(std::move(args));
  o.timeout = kEngineTimeout;
  o.merge_stderr = true;
  return RunCommand(o);
}

Status EngineStatus(const std::string& what, const Result<CommandResult>& r) {
  if (!r.ok()) return Status::Internal(what + ": " + r.status().message());
  if (!r->ok()) return Status::Internal(what + ": " + std::string(Trim(r->stdout_data)));
  return Status::Ok();
}

// "1000", "1000:1000": the uid to give /data to; nullopt for a user name
// (the engine then chowns the volume to whoever that is).
std::optional<uid_t> NumericUid(const std::string& user) {
  std::string uid = user.substr(0, user.find(':'));
  if (uid.empty() || uid.size() > 9 || uid.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return static_cast<uid_t>(std::stoul(uid));
}

// What the container's processes may open and fork: the engine's defaults
// are above what this server may grant (no CAP_SYS_RESOURCE here), and a
// limit it cannot set fails the start. RLIMIT_NPROC counts every process of
// the uid on the host, and every Docker Space runs as uid 1000: it is kept
// as high as the engine's monitor allows (32768), pids.max bounds each Space.
std::vector<std::string> UlimitArgs() {
  rlimit files{}, procs{};
  getrlimit(RLIMIT_NOFILE, &files);
  getrlimit(RLIMIT_NPROC, &procs);
  rlim_t nofile = std::min<rlim_t>(files.rlim_max, 1 << 20);
  rlim_t nproc = std::min<rlim_t>(procs.rlim_max, 32768);
  return {"--ulimit", "nofile=" + std::to_string(nofile) + ":" + std::to_string(nofile), "--ulimit",
          "nproc=" + std::to_string(nproc) + ":" + std::to_string(nproc)};
}

// An eventfd the kernel signals when a process of the memory group
// `memory_dir` (or of one below it) is OOM-killed (cgroup v1's notification
// API, as the engine's monitor uses for its own group); -1 when unavailable.
int WatchOom(const std::string& memory_dir) {
  int events = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int control = open((memory_dir + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
  int registry = open((memory_dir + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = events >= 0 && control >= 0 && registry >= 0;
  if (ok) {
    const std::string line = std::to_string(events) + " " + std::to_string(control);
    ok = write(registry, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  }
  for (int fd : {control, registry}) {
    if (fd >= 0) close(fd);
  }
  if (!ok && events >= 0) {
    close(events);
    events = -1;
  }
  return events;
}

bool OomHappened(int events) {
  uint64_t count = 0;
  return events >= 0 && read(events, &count, sizeof count) == sizeof count && count > 0;
}

ExitStatus FromContainerExit(int wstatus) {
  ExitStatus s;
  if (WIFSIGNALED(wstatus)) {
    s.term_signal = WTERMSIG(wstatus);
    return s;
  }
  int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  // The engine reports a container killed by signal N as 128 + N.
  if (code > 128 && code < 128 + 32) {
    s.term_signal = code - 128;
  } else {
    s.exit_code = code;
  }
  if (code == 125 || code == 126 || code == 127) s.reason = "the container did not start: see the run log";
  return s;
}

class OciDriver : public RuntimeDriver {
 public:
  OciDriver(OciDriverOptions options, native::CgroupRoot root)
      : options_(std::move(options)),
        clock_(*options_.clock),
        root_(std::move(root)),
        name_prefix_("spaceport-" + std::to_string(getpid()) + "-" + RandomHex(3) + "-") {}
  ~OciDriver() override;

  Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) override;
  Status Stop(InstanceId id, Millis grace) override;
  DriverCapabilities Capabilities() const override {
    return {.isolated = true, .limits = true, .freeze = true, .disk = options_.data_volumes};
  }
  Status Freeze(InstanceId id) override;
  Status Thaw(InstanceId id) override;
  Result<int64_t> MemoryBytes(InstanceId id) override;
  // The Space's images go with it.
  Status Discard(const std::string& space_id) override {
    int removed = RemoveSpaceImages(options_.engine, space_id);
    if (removed > 0) {
      SP_LOG(kInfo) << "removed " << removed << " image(s) of " << space_id;
    }
    return Status::Ok();
  }

 private:
  Status PrepareData(const InstanceSpec& spec, Instance& inst, std::vector<std::string>& args);
  std::vector<std::string> RunArgs(const InstanceSpec& spec, const Instance& inst) const;
  Result<std::vector<std::string>> WriteEnv(const InstanceSpec& spec, Instance& inst, std::vector<std::string>& args);
  Result<InstanceId> Launch(const InstanceSpec& spec, const std::shared_ptr<Instance>& inst);
  void Release(Instance& inst);
  void Forget(Instance& inst);
  bool AwaitContainer(Instance& inst);
  void Monitor(const std::shared_ptr<Instance>& inst);
  void CleanUp(Instance& inst, ExitStatus& status);
  int RunningOf(const std::string& space_id);
  std::shared_ptr<Instance> Find(InstanceId id);
  // Held while a Space's /data volume is mounted for a start or unmounted
  // after its last container, so that the two never cross.
  std::mutex& VolumeLock(const std::string& space_id);

  const OciDriverOptions options_;
  const Clock& clock_;
  const native::CgroupRoot root_;
  const std::string name_prefix_;
  std::mutex mu_;
  std::condition_variable exited_cv_;
  std::map<InstanceId, std::shared_ptr<Instance>> instances_;
  InstanceId next_id_ = 1;
  std::mutex volume_locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> volume_locks_;
};

OciDriver::~OciDriver() {
  std::map<InstanceId, std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(instances_);
  }
  std::vector<std::string> names;
  for (auto& [id, inst] : all) {
    if (inst->cgroup) (void)inst->cgroup->Thaw(clock_, kFreezeTimeout);  // frozen tasks would not die
    names.push_back(inst->name);
  }
  if (!names.empty()) {
    std::vector<std::string> args = {"rm", "--force", "--time", "0"};
    args.insert(args.end(), names.begin(), names.end());
    (void)RunEngine(options_.engine, args);
  }
  for (auto& [id, inst] : all) {
    if (inst->thread.joinable()) inst->thread.join();
  }
}

// Instances of the Space that are starting, running or being cleaned up
// (each is registered before its container is made).
int OciDriver::RunningOf(const std::string& space_id) {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto& [id, inst] : instances_) n += inst->space_id == space_id && !inst->exited ? 1 : 0;
  return n;
}

std::mutex& OciDriver::VolumeLock(const std::string& space_id) {
  std::lock_guard lock(volume_locks_mu_);
  std::unique_ptr<std::mutex>& m = volume_locks_[space_id];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

Status OciDriver::PrepareData(const InstanceSpec& spec, Instance& inst, std::vector<std::string>& args) {
  if (spec.data_dir.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(spec.data_dir, ec);
  if (options_.data_volumes && spec.limits.data_bytes > 0) {
    std::lock_guard lock(VolumeLock(spec.space_id));
    // This instance is registered: one means no other container of the Space.
    RETURN_IF_ERROR(EnsureDataVolume(spec.data_dir, spec.limits.data_bytes, RunningOf(spec.space_id) == 1,
                                     options_.volume_templates_dir));
    inst.data_volume = spec.data_dir;
  }
  const std::string user = spec.image_user.empty() ? kDefaultUser : spec.image_user;
  std::string mount = spec.data_dir + ":/data:rw";
  if (std::optional<uid_t> uid = NumericUid(user)) {
    RETURN_IF_ERROR(native::GiveTree(spec.data_dir, *uid));
  } else {
    mount += ",U";  // the engine gives it to the image's named user
  }
  args.insert(args.end(), {"--volume", mount});
  return Status::Ok();
}

std::vector<std::string> OciDriver::RunArgs(const InstanceSpec& spec, const Instance& inst) const {
  std::vector<std::string> args = {"run", "--name", inst.name, "--label", std::string(kOwnerLabel) + "=" + options_.owner,
                                   "--label", "space.spaceport.space=" + spec.space_id, "--pidfile", inst.pid_file,
                                   "--network", "none", "--init", "--cap-drop", "all", "--security-opt",
                                   "no-new-privileges", "--log-driver", "none", "--pull", "never"};
  if (!spec.image_writable_root) args.insert(args.end(), {"--read-only", "--read-only-tmpfs"});
  if (spec.image_user.empty()) args.insert(args.end(), {"--user", kDefaultUser});
  // Memory (without swap) and CPU are the parent group's limits; pids too,
  // and the engine's own default below it must not be lower.
  const ResourceLimits& l = spec.limits;
  args.insert(args.end(), {"--cgroup-parent", root_.shared_path + "/" + inst.name});
  args.insert(args.end(), {"--pids-limit", l.pids_max > 0 ? std::to_string(l.pids_max) : "-1"});
  std::vector<std::string> ulimits = UlimitArgs();
  args.insert(args.end(), ulimits.begin(), ulimits.end());
  return args;
}

// The app's environment: an env file, and the engine's environment for
// values with line breaks (container_env.h). Returns the engine's environment.
Result<std::vector<std::string>> OciDriver::WriteEnv(const InstanceSpec& spec, Instance& inst,
                                                     std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(ContainerEnv split, SplitContainerEnv(spec.env));
  inst.env_file = options_.state_dir + "/" + inst.name + ".env";
  int fd = open(inst.env_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool written = fd >= 0 && write(fd, split.file_text.data(), split.file_text.size()) ==
                                static_cast<ssize_t>(split.file_text.size());
  if (fd >= 0) close(fd);
  if (!written) return Status::Internal("cannot write the container's environment to " + inst.env_file);
  args.insert(args.end(), {"--env-file", inst.env_file});
  for (const std::string& name : split.names) args.insert(args.end(), {"--env", name});
  std::vector<std::string> env;
  for (const char* k : {"PATH", "HOME", "XDG_RUNTIME_DIR", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF"}) {
    if (const char* v = getenv(k)) env.push_back(std::string(k) + "=" + v);
  }
  env.insert(env.end(), split.engine_env.begin(), split.engine_env.end());
  return env;
}

Result<InstanceId> OciDriver::Start(const InstanceSpec& spec, ExitCallback on_exit) {
  if (spec.image.empty()) return Status::InvalidArgument("no image to run");
  auto inst = std::make_shared<Instance>();
  inst->space_id = spec.space_id;
  inst->log = spec.log;
  inst->on_exit = std::move(on_exit);
  {
    std::lock_guard lock(mu_);
    JoinFinishedMonitors(instances_);
    inst->id = next_id_++;
    inst->name = name_prefix_ + std::to_string(inst->id);
    instances_[inst->id] = inst;  // counted by RunningOf from here on
  }
  inst->pid_file = options_.state_dir + "/" + inst->name + ".pid";
  Result<InstanceId> started = Launch(spec, inst);
  if (!started.ok()) Forget(*inst);
  return started;
}

// What a start made beside the container, undone: its cgroups, files and
// (when it was the Space's last) its /data volume's mount. For a failed
// start and for an ended container alike.
void OciDriver::Release(Instance& inst) {
  RemoveCgroupTree(root_.shared_path + "/" + inst.name);
  if (inst.oom_events >= 0) close(inst.oom_events);
  inst.oom_events = -1;
  if (!inst.env_file.empty()) std::filesystem::remove(inst.env_file);
  std::filesystem::remove(inst.pid_file);
  if (!inst.data_volume.empty()) {
    std::lock_guard lock(VolumeLock(inst.space_id));
    if (RunningOf(inst.space_id) == 1) {  // this one, not yet forgotten or marked exited
      if (Status s = UnmountIdleDataVolume(inst.data_volume); !s.ok()) {
        SP_LOG(kWarn) << s.message();
      }
    }
  }
}

void OciDriver::Forget(Instance& inst) {
  Release(inst);
  std::lock_guard lock(mu_);
  instances_.erase(inst.id);
}

Result<InstanceId> OciDriver::Launch(const InstanceSpec& spec, const std::shared_ptr<Instance>& inst) {
  if (spec.port > 0) {
    ASSIGN_OR_RETURN(inst->forwarder, LoopbackForwarder::Listen(spec.port, spec.app_port > 0 ? spec.app_port : 7860));
  }
  if (options_.egress_port > 0) {
    ASSIGN_OR_RETURN(inst->egress, LoopbackForwarder::Egress(options_.egress_port));
  }
  std::vector<std::string> args = RunArgs(spec, *inst);
  RETURN_IF_ERROR(PrepareData(spec, *inst, args));
  ASSIGN_OR_RETURN(std::vector<std::string> env, WriteEnv(spec, *inst, args));
  args.push_back(spec.image);
  ASSIGN_OR_RETURN(inst->cgroup, native::InstanceCgroup::Create(root_, inst->name, spec.limits));
  inst->oom_events = WatchOom(inst->cgroup->memory_dir());
  std::filesystem::remove(inst->pid_file);
  ASSIGN_OR_RETURN(SpawnedChild child, SpawnWithPipes(options_.engine.Command(args), "", env, /*merge_stderr=*/true));
  close(child.in);
  close(child.err);
  inst->client = child.pid;
  inst->out_fd = child.out;
  inst->pidfd = static_cast<int>(syscall(SYS_pidfd_open, child.pid, 0));
  inst->kill_fd = inst->pidfd >= 0 ? fcntl(inst->pidfd, F_DUPFD_CLOEXEC, 0) : -1;
  if (!AwaitContainer(*inst)) {
    // Never half-started: the monitor reports the exit this causes.
    (void)RunEngine(options_.engine, {"rm", "--force", "--time", "0", inst->name});
  }
  std::filesystem::remove(inst->env_file);  // the engine read it before it made the container
  inst->thread = std::thread([this, inst] { Monitor(inst); });
  SP_LOG(kDebug) << "container " << inst->name << " runs " << spec.image << " for " << spec.space_id;
  return inst->id;
}

// Waits for the container's first process (the engine writes its pid once
// the container runs) and points the forwarders into its network namespace.
// A container that never comes up exits on its own; the monitor reports it.
bool OciDriver::AwaitContainer(Instance& inst) {
  const SteadyTime give_up = clock_.Now() + options_.start_timeout;
  while (clock_.Now() < give_up) {
    std::ifstream in(inst.pid_file);
    long pid = 0;
    if (in >> pid && pid > 0) {
      inst.app_pid = static_cast<pid_t>(pid);
      break;
    }
    pollfd p{inst.pidfd, POLLIN, 0};
    if (inst.pidfd >= 0 && poll(&p, 1, 0) > 0) return true;  // the engine exited: the monitor says why
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (inst.app_pid <= 0) {
    SP_LOG(kWarn) << "container " << inst.name << " of " << inst.space_id << " did not come up";
    return false;
  }
  for (LoopbackForwarder* f : {inst.forwarder.get(), inst.egress.get()}) {
    if (f == nullptr) continue;
    int netns = open(("/proc/" + std::to_string(inst.app_pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    if (netns < 0) {
      SP_LOG(kWarn) << "cannot open the network namespace of container " << inst.name << ": " << strerror(errno);
      return false;
    }
    f->Start(netns);
  }
  return true;
}

void OciDriver::Monitor(const std::shared_ptr<Instance>& inst) {
  int wstatus = PumpOutputUntilExit(inst->client, inst->pidfd, inst->out_fd, inst->log, inst->space_id, [] {});
  ExitStatus status = FromContainerExit(wstatus);
  CleanUp(*inst, status);
  if (inst->on_exit) inst->on_exit(inst->id, status);
  {
    std::lock_guard lock(mu_);
    inst->exited = true;
    inst->done = true;
    if (inst->kill_fd >= 0) close(inst->kill_fd);
    inst->kill_fd = -1;
  }
  exited_cv_.notify_all();
}

void OciDriver::CleanUp(Instance& inst, ExitStatus& status) {
  if (inst.log != nullptr) inst.log->Flush(inst.space_id, LogKind::kRun);
  if (inst.forwarder) inst.forwarder->Stop();
  if (inst.egress) inst.egress->Stop();
  if (OomHappened(inst.oom_events)) status.reason = "out of memory";
  Status removed = EngineStatus("removing container " + inst.name,
                                RunEngine(options_.engine, {"rm", "--force", "--time", "0", inst.name}));
  if (!removed.ok()) {
    SP_LOG(kWarn) << removed.message();
  }
  // Should the engine have failed to remove it: whatever runs below our
  // group (the engine's own group included) ends here.
  (void)inst.cgroup->Thaw(clock_, kFreezeTimeout);
  (void)KillCgroupTree(root_.shared_path + "/" + inst.name, kKillWait);
  Release(inst);
}

std::shared_ptr<Instance> OciDriver::Find(InstanceId id) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second->exited) return nullptr;
  return it->second;
}

Status OciDriver::Stop(InstanceId id, Millis grace) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::Ok();
  bool frozen;
  {
    std::lock_guard lock(mu_);
    frozen = inst->frozen;
    inst->frozen = false;
  }
  if (frozen) (void)inst->cgroup->Thaw(clock_, kFreezeTimeout);  // a frozen app cannot act on SIGTERM
  const int64_t seconds = std::max<int64_t>(0, (grace.count() + 999) / 1000);
  Status stopped =
      EngineStatus("stopping", RunEngine(options_.engine, {"stop", "--time", std::to_string(seconds), inst->name}));
  std::unique_lock lock(mu_);
  auto gone = [&] { return inst->exited; };
  if (exited_cv_.wait_for(lock, grace + kKillWait, gone)) return Status::Ok();
  // Through a pidfd: the engine's pid may be reaped and reused by now.
  if (inst->kill_fd >= 0) (void)syscall(SYS_pidfd_send_signal, inst->kill_fd, SIGKILL, nullptr, 0);
  lock.unlock();
  (void)RunEngine(options_.engine, {"rm", "--force", "--time", "0", inst->name});
  lock.lock();
  if (exited_cv_.wait_for(lock, kKillWait, gone)) return Status::Ok();
  return Status::DeadlineExceeded("container " + inst->name + " did not stop" +
                                  (stopped.ok() ? "" : " (" + stopped.message() + ")"));
}

// The parent group's freezer, as the native driver's: the engine's pause is
// the same freezer, a process launch slower.
Status OciDriver::Freeze(InstanceId id) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
  RETURN_IF_ERROR(inst->cgroup->Freeze(clock_, kFreezeTimeout));
  std::lock_guard lock(mu_);
  inst->frozen = true;
  return Status::Ok();
}

Status OciDriver::Thaw(InstanceId id) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
  RETURN_IF_ERROR(inst->cgroup->Thaw(clock_, kFreezeTimeout));
  std::lock_guard lock(mu_);
  inst->frozen = false;
  return Status::Ok();
}

Result<int64_t> OciDriver::MemoryBytes(InstanceId id) {
  std::shared_ptr<Instance> inst = Find(id);
  if (inst == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
  return inst->cgroup->MemoryUsage();
}

// True when the server that named a container or group
// "spaceport-<pid>-..." is gone.
bool MadeByDeadServer(const std::string& name) {
  std::vector<std::string> parts = Split(name, '-');
  if (parts.size() < 3 || parts[0] != "spaceport") return false;
  const pid_t pid = static_cast<pid_t>(std::atol(parts[1].c_str()));
  return pid > 0 && kill(pid, 0) != 0 && errno != EPERM;
}

// Removes the containers a killed server with this owner left (one that
// still runs, a second node on the same data dir, keeps its own).
void RemoveLeftovers(const OciDriverOptions& options, const native::CgroupRoot& root) {
  Result<CommandResult> listed = RunEngine(
      options.engine, {"ps", "--all", "--filter", std::string("label=") + kOwnerLabel + "=" + options.owner,
                       "--format", "{{.Names}}"});
  if (!listed.ok() || !listed->ok()) return;
  std::vector<std::string> args = {"rm", "--force", "--time", "0"};
  for (const std::string& line : Split(listed->stdout_data, '\n')) {
    std::string name(Trim(line));
    if (name.empty() || !MadeByDeadServer(name)) continue;
    // A frozen container's processes would not die.
    std::ofstream(root.freezer + "/" + name + "/freezer.state") << "THAWED";
    args.push_back(name);
  }
  if (args.size() > 4) {
    SP_LOG(kInfo) << "removing " << args.size() - 4 << " container(s) a previous server left";
    (void)RunEngine(options.engine, args);
  }
}

// Removes the groups of servers that are gone (names carry their pid).
void RemoveLeftoverGroups(const native::CgroupRoot& root) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root.memory, ec)) {
    const std::string name = entry.path().filename().string();
    if (MadeByDeadServer(name)) RemoveCgroupTree(root.shared_path + "/" + name);
  }
}

}  // namespace

Result<std::unique_ptr<RuntimeDriver>> MakeOciDriver(const OciDriverOptions& options) {
  if (options.clock == nullptr) return Status::InvalidArgument("the OCI driver needs a clock");
  if (options.owner.empty() || options.state_dir.empty()) {
    return Status::InvalidArgument("the OCI driver needs an owner label and a state directory");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) return Status::Internal("cannot make " + options.state_dir + ": " + ec.message());
  Result<native::CgroupRoot> root = native::CgroupRoot::Shared(kCgroupSubtree);
  if (!root.ok()) return Status::FailedPrecondition("the OCI driver needs cgroup v1: " + root.status().message());
  RemoveLeftovers(options, *root);
  RemoveLeftoverGroups(*root);
  RemoveCgroupTree(OwnMemoryCgroupPath() + "/spaceport-oci-builds");  // empty groups of earlier builds
  return std::unique_ptr<RuntimeDriver>(new OciDriver(options, std::move(*root)));
}

}  // namespace spaceport::runtime::oci
