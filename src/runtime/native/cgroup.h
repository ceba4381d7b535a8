// Cgroups of sandboxed instances (cgroup v1: memory, cpu, pids, freezer).
//
// CgroupRoot finds where this process sits in each controller's hierarchy
// (/proc/self/cgroup + /proc/self/mounts) and keeps Spaceport's subtree
// beneath it: <mount>/<own path>/spaceport/<instance>. It never touches the
// root of a hierarchy it was not placed at, so it works inside a delegated
// cgroup. InstanceCgroup is one instance's group in every controller.
//
// cgroup v2 is not implemented yet: Discover reports which v1 controller is
// missing (hosts with only cgroup2 controllers fail there, loudly).
//
// Ownership: InstanceCgroup owns its directories; Remove deletes them (the
// destructor does not: removing needs the processes gone first).
// Thread safety: InstanceCgroup methods may run concurrently; the kernel
// serialises the writes. Failure: Status with the path and errno text.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "runtime/driver.h"

namespace spaceport::runtime::native {

struct CgroupRoot {
  // Spaceport's directory in each controller, created and checked writable.
  std::string memory, cpu, pids, freezer;
  // Shared's: the one path, relative to every hierarchy's root, below which
  // the four directories sit; "" for Discover's.
  std::string shared_path;

  static Result<CgroupRoot> Discover(const std::string& subtree = "spaceport");
  // A subtree at one relative path in all four hierarchies, as an OCI engine
  // told `--cgroup-parent shared_path/NAME` expects: this process's memory
  // path (so containers stay inside the memory this server was given) plus
  // `subtree`, created where missing.
  static Result<CgroupRoot> Shared(const std::string& subtree);
};

// At start, after a server was killed: ends every group under `root` that
// no live process of this program owns (group names start with the pid of
// the server that made them, after an optional "word-" prefix), thawing
// frozen ones so that they can die, and removes the groups. Groups of
// another running server on the same subtree are left alone. Returns how
// many groups were swept; failures are logged and skipped. Groups named
// with this process's own pid are kept (it may have made them).
int SweepLeftoverGroups(const CgroupRoot& root, const Clock& clock);

class InstanceCgroup {
 public:
  // Creates `name` under every controller of `root` and applies `limits`.
  static Result<std::unique_ptr<InstanceCgroup>> Create(const CgroupRoot& root, const std::string& name,
                                                        const ResourceLimits& limits);

  // Open (O_CLOEXEC) cgroup.procs files: a forked child writes "0" to each to
  // join the group before exec (write(2) is async-signal-safe). Caller closes.
  Result<std::vector<int>> OpenProcsFiles() const;

  // The group `name` as it exists under `root` (the controllers where it
  // does), for sweeping; no limits are applied.
  static std::unique_ptr<InstanceCgroup> Existing(const CgroupRoot& root, const std::string& name);

  std::vector<pid_t> Pids() const;
  int64_t PidsCurrent() const;
  // memory.usage_in_bytes of the group.
  Result<int64_t> MemoryUsage() const;
  // True once the kernel's OOM killer killed a process of this group.
  bool OomKilled() const;
  // True once a fork in this group failed at pids.max.
  bool PidsLimitHit() const;

  // Write the freezer state and wait until it settled (or `timeout`).
  Status Freeze(const Clock& clock, Millis timeout);
  Status Thaw(const Clock& clock, Millis timeout);
  // Sends `sig` to every process of the group except `spared`.
  void Signal(int sig, const std::vector<pid_t>& spared) const;
  // SIGKILLs everything (frozen first, so that forks cannot escape the sweep)
  // and waits until the group is empty.
  Status KillAll(const Clock& clock, Millis timeout);
  // Removes the directories; the group must be empty.
  Status Remove(const Clock& clock, Millis timeout);

  const std::vector<std::string>& dirs() const { return dirs_; }
  const std::string& freezer_dir() const { return freezer_; }
  const std::string& memory_dir() const { return memory_; }

 private:
  InstanceCgroup() = default;
  // The group's paths under `root`; no directory is touched.
  static std::unique_ptr<InstanceCgroup> At(const CgroupRoot& root, const std::string& name);
  Status SetFreezer(const char* state, const Clock& clock, Millis timeout);

  std::string memory_, cpu_, pids_, freezer_;
  std::vector<std::string> dirs_;
};

}  // namespace spaceport::runtime::native
