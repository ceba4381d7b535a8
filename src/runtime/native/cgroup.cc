#include "runtime/native/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "core/log.h"
#include "core/strings.h"

namespace spaceport::runtime::native {
namespace {

constexpr int64_t kCpuPeriodUs = 100000;
constexpr Millis kPollStep{1};

std::string ErrnoText(const std::string& what) { return what + ": " + strerror(errno); }

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(ErrnoText("cannot read " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteText(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::PermissionDenied(ErrnoText("cannot open " + path));
  ssize_t n = write(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  errno = saved;
  if (n != static_cast<ssize_t>(text.size())) return Status::Internal(ErrnoText("cannot write " + path));
  return Status::Ok();
}

// controller -> path of this process in that hierarchy, from /proc/self/cgroup.
std::map<std::string, std::string> OwnCgroupPaths() {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    for (const std::string& ctrl : Split(line.substr(a + 1, b - a - 1), ',')) out[ctrl] = line.substr(b + 1);
  }
  return out;
}

// controller -> mount point of its v1 hierarchy, from /proc/self/mounts.
std::map<std::string, std::string> V1Mounts() {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/self/mounts");
  std::string dev, dir, type, opts;
  while (in >> dev >> dir >> type >> opts) {
    std::string rest;
    std::getline(in, rest);
    if (type != "cgroup") continue;
    for (const std::string& opt : Split(opts, ',')) out.try_emplace(opt, dir);
  }
  return out;
}

Result<std::string> PrepareController(const std::map<std::string, std::string>& mounts,
                                      const std::map<std::string, std::string>& own, const std::string& ctrl,
                                      const std::string& subtree) {
  auto m = mounts.find(ctrl);
  if (m == mounts.end()) return Status::FailedPrecondition("no cgroup v1 '" + ctrl + "' controller is mounted");
  auto o = own.find(ctrl);
  std::string own_path = o == own.end() ? "/" : o->second;
  std::string dir = m->second + (own_path == "/" ? "" : own_path) + "/" + subtree;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FailedPrecondition(ErrnoText("cgroup directory not writable: " + dir));
  }
  // mkdir may succeed on a directory we cannot populate (read-only
  // delegation): prove we can create and remove a group.
  std::string probe = dir + "/probe-" + std::to_string(getpid());
  if (mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FailedPrecondition(ErrnoText("cgroup directory not writable: " + dir));
  }
  rmdir(probe.c_str());
  return dir;
}

}  // namespace

Result<CgroupRoot> CgroupRoot::Discover(const std::string& subtree) {
  auto mounts = V1Mounts();
  auto own = OwnCgroupPaths();
  CgroupRoot root;
  ASSIGN_OR_RETURN(root.memory, PrepareController(mounts, own, "memory", subtree));
  ASSIGN_OR_RETURN(root.cpu, PrepareController(mounts, own, "cpu", subtree));
  ASSIGN_OR_RETURN(root.pids, PrepareController(mounts, own, "pids", subtree));
  ASSIGN_OR_RETURN(root.freezer, PrepareController(mounts, own, "freezer", subtree));
  return root;
}

Result<CgroupRoot> CgroupRoot::Shared(const std::string& subtree) {
  auto mounts = V1Mounts();
  auto own = OwnCgroupPaths();
  auto memory_own = own.find("memory");
  std::string relative = memory_own == own.end() || memory_own->second == "/" ? "" : memory_own->second;
  relative += "/" + subtree;
  CgroupRoot root;
  root.shared_path = relative;
  for (auto [ctrl, dir] : {std::pair<const char*, std::string*>{"memory", &root.memory}, {"cpu", &root.cpu},
                           {"pids", &root.pids}, {"freezer", &root.freezer}}) {
    auto m = mounts.find(ctrl);
    if (m == mounts.end()) return Status::FailedPrecondition(std::string("no cgroup v1 '") + ctrl + "' controller is mounted");
    *dir = m->second + relative;
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec) return Status::FailedPrecondition("cgroup directory not writable: " + *dir + ": " + ec.message());
  }
  return root;
}

std::unique_ptr<InstanceCgroup> InstanceCgroup::At(const CgroupRoot& root, const std::string& name) {
  std::unique_ptr<InstanceCgroup> cg(new InstanceCgroup());
  cg->memory_ = root.memory + "/" + name;
  cg->cpu_ = root.cpu + "/" + name;
  cg->pids_ = root.pids + "/" + name;
  cg->freezer_ = root.freezer + "/" + name;
  return cg;
}

Result<std::unique_ptr<InstanceCgroup>> InstanceCgroup::Create(const CgroupRoot& root, const std::string& name,
                                                               const ResourceLimits& limits) {
  std::unique_ptr<InstanceCgroup> cg = At(root, name);
  for (const std::string* dir : {&cg->memory_, &cg->cpu_, &cg->pids_, &cg->freezer_}) {
    if (mkdir(dir->c_str(), 0755) != 0) {
      Status failed = Status::Internal(ErrnoText("cannot create cgroup " + *dir));
      for (const std::string& made : cg->dirs_) rmdir(made.c_str());
      return failed;
    }
    cg->dirs_.push_back(*dir);
  }
  Status st = Status::Ok();
  if (limits.memory_bytes > 0) {
    st = WriteText(cg->memory_ + "/memory.limit_in_bytes", std::to_string(limits.memory_bytes));
    // No swapping around the limit either (the file exists only with swap accounting).
    if (st.ok() && access((cg->memory_ + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
      st = WriteText(cg->memory_ + "/memory.memsw.limit_in_bytes", std::to_string(limits.memory_bytes));
    }
  }
  if (st.ok() && limits.cpu_millicores > 0) {
    st = WriteText(cg->cpu_ + "/cpu.cfs_period_us", std::to_string(kCpuPeriodUs));
    if (st.ok()) st = WriteText(cg->cpu_ + "/cpu.cfs_quota_us", std::to_string(limits.cpu_millicores * kCpuPeriodUs / 1000));
  }
  if (st.ok() && limits.pids_max > 0) st = WriteText(cg->pids_ + "/pids.max", std::to_string(limits.pids_max));
  if (!st.ok()) {
    for (const std::string& made : cg->dirs_) rmdir(made.c_str());
    return st;
  }
  return cg;
}

std::unique_ptr<InstanceCgroup> InstanceCgroup::Existing(const CgroupRoot& root, const std::string& name) {
  std::unique_ptr<InstanceCgroup> cg = At(root, name);
  for (const std::string* dir : {&cg->memory_, &cg->cpu_, &cg->pids_, &cg->freezer_}) {
    if (access(dir->c_str(), F_OK) == 0) cg->dirs_.push_back(*dir);
  }
  return cg;
}

namespace {

std::string CommOf(pid_t pid) {
  auto text = ReadText("/proc/" + std::to_string(pid) + "/comm");
  return text.ok() ? std::string(Trim(*text)) : "";
}

// The pid a group name starts with ("123-..." or "build-123-..."), or 0.
pid_t OwnerOf(const std::string& name) {
  size_t at = 0;
  while (at < name.size() && !std::isdigit(static_cast<unsigned char>(name[at]))) {
    if (name[at] != '-' && !std::isalpha(static_cast<unsigned char>(name[at]))) return 0;
    ++at;
  }
  size_t end = at;
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
  if (end == at || end == name.size() || name[end] != '-') return 0;
  std::optional<int64_t> pid = ParseInt(name.substr(at, end - at));
  return pid && *pid > 0 ? static_cast<pid_t>(*pid) : 0;
}

}  // namespace

int SweepLeftoverGroups(const CgroupRoot& root, const Clock& clock) {
  std::set<std::string> names;
  for (const std::string* dir : {&root.memory, &root.cpu, &root.pids, &root.freezer}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(*dir, ec)) {
      if (entry.is_directory(ec)) names.insert(entry.path().filename().string());
    }
  }
  const pid_t self = getpid();
  const std::string own_comm = CommOf(self);
  int swept = 0;
  for (const std::string& name : names) {
    pid_t owner = OwnerOf(name);
    if (owner == 0) continue;  // not a group of ours (a probe, an operator's own)
    // Ours, or a live server's (a group of a pid reused by another program is swept).
    if (owner == self || ((kill(owner, 0) == 0 || errno == EPERM) && CommOf(owner) == own_comm)) continue;
    std::unique_ptr<InstanceCgroup> cg = InstanceCgroup::Existing(root, name);
    const size_t processes = cg->Pids().size();
    Status st = cg->KillAll(clock, Millis(5000));
    if (st.ok()) st = cg->Remove(clock, Millis(5000));
    if (!st.ok()) {
      SP_LOG(kWarn) << "sweeping cgroup " << name << " left by an earlier server: " << st.ToString();
      continue;
    }
    SP_LOG(kInfo) << "swept cgroup " << name << " left by an earlier server (" << processes << " processes ended)";
    swept++;
  }
  return swept;
}

Result<std::vector<int>> InstanceCgroup::OpenProcsFiles() const {
  std::vector<int> fds;
  for (const std::string& dir : dirs_) {
    int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      Status failed = Status::Internal(ErrnoText("cannot open " + dir + "/cgroup.procs"));
      for (int f : fds) close(f);
      return failed;
    }
    fds.push_back(fd);
  }
  return fds;
}

std::vector<pid_t> InstanceCgroup::Pids() const {
  std::vector<pid_t> out;
  std::ifstream in(pids_ + "/cgroup.procs");
  pid_t pid;
  while (in >> pid) out.push_back(pid);
  return out;
}

int64_t InstanceCgroup::PidsCurrent() const {
  auto text = ReadText(pids_ + "/pids.current");
  return text.ok() ? std::stoll(*text) : -1;
}

Result<int64_t> InstanceCgroup::MemoryUsage() const {
  ASSIGN_OR_RETURN(std::string text, ReadText(memory_ + "/memory.usage_in_bytes"));
  std::optional<int64_t> bytes = ParseInt(Trim(text));
  if (!bytes) return Status::Internal("unreadable memory.usage_in_bytes: " + text);
  return *bytes;
}

bool InstanceCgroup::OomKilled() const {
  // "oom_kill N" counts kills in this group (kernels since 4.13).
  auto text = ReadText(memory_ + "/memory.oom_control");
  if (!text.ok()) return false;
  size_t at = text->find("oom_kill ");
  return at != std::string::npos && std::stoll(text->substr(at + 9)) > 0;
}

bool InstanceCgroup::PidsLimitHit() const {
  // "max N" counts forks refused at pids.max.
  auto text = ReadText(pids_ + "/pids.events");
  if (!text.ok()) return false;
  size_t at = text->find("max ");
  return at != std::string::npos && std::atoll(text->c_str() + at + 4) > 0;
}

Status InstanceCgroup::SetFreezer(const char* state, const Clock& clock, Millis timeout) {
  RETURN_IF_ERROR(WriteText(freezer_ + "/freezer.state", state));
  SteadyTime give_up = clock.Now() + timeout;
  while (true) {
    auto now = ReadText(freezer_ + "/freezer.state");
    if (!now.ok()) return now.status();
    if (Trim(*now) == state) return Status::Ok();
    if (clock.Now() > give_up) {
      return Status::DeadlineExceeded(std::string("cgroup did not settle ") + state + ", still " + std::string(Trim(*now)));
    }
    std::this_thread::sleep_for(kPollStep);
  }
}

Status InstanceCgroup::Freeze(const Clock& clock, Millis timeout) {
  Status st = SetFreezer("FROZEN", clock, timeout);
  if (!st.ok()) (void)SetFreezer("THAWED", clock, timeout);  // half frozen helps nobody
  return st;
}

Status InstanceCgroup::Thaw(const Clock& clock, Millis timeout) { return SetFreezer("THAWED", clock, timeout); }

void InstanceCgroup::Signal(int sig, const std::vector<pid_t>& spared) const {
  for (pid_t pid : Pids()) {
    bool skip = false;
    for (pid_t s : spared) skip = skip || s == pid;
    if (!skip) kill(pid, sig);
  }
}

Status InstanceCgroup::KillAll(const Clock& clock, Millis timeout) {
  SteadyTime give_up = clock.Now() + timeout;
  while (!Pids().empty()) {
    (void)SetFreezer("FROZEN", clock, Millis(200));
    Signal(SIGKILL, {});
    (void)SetFreezer("THAWED", clock, Millis(200));
    if (clock.Now() > give_up) return Status::DeadlineExceeded("processes left in cgroup " + pids_);
    std::this_thread::sleep_for(kPollStep);
  }
  return Status::Ok();
}

Status InstanceCgroup::Remove(const Clock& clock, Millis timeout) {
  SteadyTime give_up = clock.Now() + timeout;
  for (const std::string& dir : dirs_) {
    // A group whose last task is exiting is still busy for a moment.
    while (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      if (errno != EBUSY || clock.Now() > give_up) return Status::Internal(ErrnoText("cannot remove cgroup " + dir));
      std::this_thread::sleep_for(kPollStep);
    }
  }
  return Status::Ok();
}

}  // namespace spaceport::runtime::native
