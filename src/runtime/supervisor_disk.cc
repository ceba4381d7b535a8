// Supervisor: the apps' ephemeral disk. An app may write to its own tree (as
// on HF, where the container's disk is writable and ephemeral); what the tree
// holds, build output included, is bounded by the Space's hardware flavor
// (EphemeralBytesFor, capped by serve --ephemeral-disk). The builder stops a
// build that passes it; this check stops an app that does.
//
// Who runs what: DiskTick runs on the Scheduler every disk_check_interval,
// or less often when the walks are slow (they take at most a twentieth of the
// time); the trees are walked outside the lock. An app past its limit is
// stopped and its Space ends in RUNTIME_ERROR, not restarted: its tree would
// still be full. A factory rebuild starts from a fresh tree.
#include <algorithm>
#include <vector>

#include "core/disk_usage.h"
#include "core/log.h"
#include "core/strings.h"
#include "runtime/deploy_env.h"
#include "runtime/supervisor.h"
#include "runtime/supervisor_state.h"

namespace spaceport::runtime {
namespace {

constexpr int kDiskWalkShare = 20;


}  // namespace

void Supervisor::ScheduleDiskCheckLocked(Millis delay) {
  CancelTaskLocked(disk_task_);
  disk_task_ = ScheduleLocked(delay, [this] { DiskTick(); });
}

void Supervisor::DiskTick() {
  struct Tree {
    std::string space_id;
    std::shared_ptr<Deployment> deployment;
    int64_t limit = 0;
    int64_t used = 0;
  };
  std::vector<Tree> trees;
  {
    MutexLock lock(mu_);
    disk_task_ = 0;
    if (shutting_down_) return;
    for (const std::string& id : deployed_) {
      SpaceState* st = FindLocked(id);
      if (st == nullptr) continue;
      const auto& d = st->live;
      if (d == nullptr || d->spec.is_static || d->instance == 0 || d->exited || d->stopping) continue;
      trees.push_back({id, d, EphemeralBytesFor(st->space.hardware, options_.ephemeral_disk_cap_bytes)});
    }
  }
  const SteadyTime began = clock_->Now();
  for (Tree& t : trees) t.used = DiskBytesBelow(t.deployment->build_dir);  // outside the lock
  const Millis took = std::chrono::duration_cast<Millis>(clock_->Now() - began);

  MutexLock lock(mu_);
  if (shutting_down_) return;
  for (const Tree& t : trees) {
    if (t.used <= t.limit) continue;
    SpaceState* st = FindLocked(t.space_id);
    const auto& d = t.deployment;
    if (st == nullptr || st->live != d || d->exited || d->stopping) continue;
    const std::string reason = "the app's files passed its disk limit of " + SizeText(t.limit) +
                               " (the hardware's ephemeral disk, --ephemeral-disk); a factory rebuild starts "
                               "from a fresh tree";
    SP_LOG(kWarn) << t.space_id << ": " << reason << " (" << SizeText(t.used) << " used)";
    RunLogNote(t.space_id, "===== Stopped: " + reason + " =====");
    st->generation++;
    CancelTaskLocked(st->sleep_task);
    if (st->retry_task != 0) scheduler_->Cancel(st->retry_task);
    st->retry_task = 0;
    d->stopping = true;
    d->healthy = false;  // serves no more from now on
    StopAsyncLocked(d);
    SetRungLocked(*st, Rung::kRunning);  // not wakeable: requests get the RUNTIME_ERROR
    SetStageLocked(*st, Stage::kRuntimeError, reason);
  }
  ScheduleDiskCheckLocked(std::max(options_.disk_check_interval, took * kDiskWalkShare));
}

}  // namespace spaceport::runtime
