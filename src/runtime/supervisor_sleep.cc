// Supervisor: the sleep ladder (freeze, stop, memory budget) and wakes. The
// rules are in sleep_policy.h; the request/idle protocol in activity.h.
//
// Who runs what: the decision to go down runs on the Scheduler (SleepTick,
// MemoryTick); a freeze runs inline on the scheduler's thread (milliseconds),
// stops and thaws on helper threads, so neither the scheduler nor the edge
// thread that asked for a wake ever waits for an app.
#include <algorithm>
#include <map>

#include "core/log.h"
#include "runtime/deploy_env.h"
#include "runtime/supervisor.h"
#include "runtime/supervisor_state.h"

namespace spaceport::runtime {
namespace {

std::string Duration(Millis d) {
  int64_t s = d.count() / 1000;
  return s >= 60 && s % 60 == 0 ? std::to_string(s / 60) + " min" : std::to_string(s) + " s";
}

}  // namespace

SleepSettings Supervisor::SleepSettingsLocked(const SpaceState& st) const {
  SleepSettings s;
  const Deployment* d = st.live.get();
  s.freeze = driver_->Capabilities().freeze && (d == nullptr || d->spec.sleep_freeze);
  s.freeze_after = d != nullptr && d->spec.freeze_after ? *d->spec.freeze_after : options_.freeze_after;
  s.sleep_time_seconds = st.space.sleep_time_seconds;
  return s;
}

bool Supervisor::SleepEligibleLocked(const SpaceState& st) const {
  return !shutting_down_ && !st.paused && st.starting == nullptr && !st.sleep_busy && !st.waking &&
         ServingLocked(st) && !st.live->spec.is_static && st.live->instance != 0 && !st.live->stopping;
}

void Supervisor::CancelTaskLocked(TaskId& id) {
  if (id == 0) return;
  scheduler_->Cancel(id);
  tasks_.erase(id);
  id = 0;
}

void Supervisor::SetRungLocked(SpaceState& st, Rung rung) {
  st.rung = rung;
  st.activity->SetRung(rung);
}

void Supervisor::ArmSleepLocked(SpaceState& st, Millis delay) {
  CancelTaskLocked(st.sleep_task);
  if (delay == Millis::max()) return;
  const std::string id = st.space.full_id();
  st.sleep_task = ScheduleLocked(delay, [this, id] { SleepTick(id); });
}

// Looks at the Space again: schedules the next tick when the ladder's next
// step is due (at once when due now). Acting is SleepTick's job.
void Supervisor::ReviewSleepLocked(SpaceState& st) {
  CancelTaskLocked(st.sleep_task);
  if (!SleepEligibleLocked(st)) return;
  const SpaceActivity& act = *st.activity;
  Millis idle = std::chrono::duration_cast<Millis>(clock_->Now() - act.last_request());
  SleepDecision d = NextSleepStep(st.rung, SleepSettingsLocked(st), act.in_flight() > 0, idle);
  ArmSleepLocked(st, d.step == SleepStep::kStay ? d.recheck_in : Millis(0));
}

void Supervisor::SleepTick(const std::string& space_id) {
  std::shared_ptr<Deployment> to_freeze;
  {
    MutexLock lock(mu_);
    SpaceState* st = FindLocked(space_id);
    if (st == nullptr) return;
    st->sleep_task = 0;
    if (!SleepEligibleLocked(*st)) return;
    SpaceActivity& act = *st->activity;
    const uint64_t seen = act.requests();
    Millis idle = std::chrono::duration_cast<Millis>(clock_->Now() - act.last_request());
    SleepSettings settings = SleepSettingsLocked(*st);
    SleepDecision d = NextSleepStep(st->rung, settings, act.in_flight() > 0, idle);
    if (d.step == SleepStep::kStay) return ArmSleepLocked(*st, d.recheck_in);
    Rung going_down = d.step == SleepStep::kFreeze ? Rung::kFreezing : Rung::kStopping;
    if (!act.BeginSleep(going_down, st->rung, seen)) return ReviewSleepLocked(*st);  // a request came in
    st->rung = going_down;
    if (d.step == SleepStep::kStop) {
      return SleepStopLocked(*st, "idle for " + Duration(Millis(settings.sleep_time_seconds * 1000)));
    }
    st->sleep_busy = true;
    to_freeze = st->live;
  }
  Status s = driver_->Freeze(to_freeze->instance);
  MutexLock lock(mu_);
  FinishFreezeLocked(space_id, to_freeze, s);
}

void Supervisor::FinishFreezeLocked(const std::string& space_id, const std::shared_ptr<Deployment>& d,
                                    const Status& s) {
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr || shutting_down_) return;
  st->sleep_busy = false;
  if (st->live != d || d->exited || d->stopping) {
    // Replaced or gone meanwhile; whoever did that set the rung.
    if (st->rung == Rung::kFreezing) SetRungLocked(*st, Rung::kRunning);
    return;
  }
  if (!s.ok()) {
    SP_LOG(kWarn) << "freezing " << space_id << " failed, stopping it instead: " << s.ToString();
    SetRungLocked(*st, Rung::kStopping);  // still "going down" for the edge
    return SleepStopLocked(*st, "freeze failed: " + s.message());
  }
  SetRungLocked(*st, Rung::kFrozen);
  PublishRouteLocked(*st);
  if (!st->wake_waiters.empty()) return StartWakeLocked(*st);  // a request slipped in while freezing
  ReviewSleepLocked(*st);
}

// The rung is already kStopping (published with BeginSleep, or after a
// failed freeze or thaw); stops the live instance on a helper thread.
void Supervisor::SleepStopLocked(SpaceState& st, const std::string& why) {
  const std::string id = st.space.full_id();
  std::shared_ptr<Deployment> d = st.live;
  d->stopping = true;
  st.sleep_busy = true;
  CancelTaskLocked(st.sleep_task);
  RunLogNote(id, "===== Going to sleep (" + why + ") =====");
  helpers_.Spawn([this, id, d] {
    (void)driver_->Stop(d->instance, options_.stop_grace);
    MutexLock lock(mu_);
    FinishSleepStopLocked(id, d);
  });
}

void Supervisor::FinishSleepStopLocked(const std::string& space_id, const std::shared_ptr<Deployment>& d) {
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr || shutting_down_) return;
  st->sleep_busy = false;
  if (st->live != d) return;  // a new version took over meanwhile
  SetRungLocked(*st, Rung::kStopped);
  SetStageLocked(*st, IdleStageLocked(*st), "");
  if (!st->wake_waiters.empty()) StartWakeLocked(*st);
}

void Supervisor::Wake(const std::string& space_id, std::function<void(WakeResult)> done) {
  WakeResult now;
  {
    MutexLock lock(mu_);
    SpaceState* st = FindLocked(space_id);
    if (st == nullptr) {
      now.status = Status::NotFound("Space " + space_id + " not found");
    } else if (shutting_down_) {
      now.status = Status::Unavailable("server shutting down");
      now.stage = st->stage;
    } else if (st->rung == Rung::kRunning && ServingLocked(*st)) {
      now.stage = st->stage;  // awake already (a wake raced with a freeze that was aborted)
    } else if (st->rung == Rung::kRunning && !st->waking && st->starting == nullptr) {
      now.status = Status::Unavailable("Space " + space_id + " is not running (stage " +
                                       std::string(StageName(st->stage)) + ")");
      now.stage = st->stage;
    } else {
      st->wake_waiters.push_back(std::move(done));
      if (!st->sleep_busy && !st->waking && st->rung != Rung::kRunning) StartWakeLocked(*st);
      return;
    }
  }
  done(std::move(now));
}

// Thaws a frozen instance or cold-starts a stopped one for the waiters.
void Supervisor::StartWakeLocked(SpaceState& st) {
  const std::string id = st.space.full_id();
  if (!st.waking) st.wake_started = clock_->Now();
  st.waking = true;
  CancelTaskLocked(st.sleep_task);
  if (st.rung == Rung::kFrozen) {
    std::shared_ptr<Deployment> d = st.live;
    st.sleep_busy = true;
    helpers_.Spawn([this, id, d] {
      Status s = driver_->Thaw(d->instance);
      MutexLock lock(mu_);
      FinishThawLocked(id, d, s);
    });
    return;
  }
  if (st.starting != nullptr) return;  // a deploy is starting: its switch answers the waiters
  if (st.rung != Rung::kStopped || st.live == nullptr) {
    return FinishWakesLocked(
        st, Status::Unavailable("Space " + id + " cannot be woken (stage " + std::string(StageName(st.stage)) + ")"));
  }
  auto d = std::make_shared<Deployment>();
  d->serial = next_serial_++;
  d->sha = st.live->sha;
  d->build_id = st.live->build_id;
  d->build_dir = st.live->build_dir;
  d->spec = st.live->spec;
  RunLogNote(id, "===== Waking up =====");
  LaunchLocked(st, std::move(d));  // healthy -> SwitchLocked -> OnServingLocked
}

void Supervisor::FinishThawLocked(const std::string& space_id, const std::shared_ptr<Deployment>& d,
                                  const Status& s) {
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr || shutting_down_) return;
  st->sleep_busy = false;
  if (st->live != d || d->stopping) return;  // replaced meanwhile: the new version answers the waiters
  if (s.ok() && !d->exited) {
    return OnServingLocked(*st);
  }
  SP_LOG(kWarn) << "thawing " << space_id << " failed, restarting it: " << s.ToString();
  SetRungLocked(*st, Rung::kStopping);
  if (d->exited) return FinishSleepStopLocked(space_id, d);
  SleepStopLocked(*st, "thaw failed: " + s.message());
}

// The live version serves (after a switch or a thaw): publish its route
// first (woken requests continue with it), then answer the waiters; the
// ladder starts over.
void Supervisor::OnServingLocked(SpaceState& st) {
  SetRungLocked(st, Rung::kRunning);
  SetStageLocked(st, IdleStageLocked(st), "");
  st.activity->Touch(clock_->Now());
  if (st.waking) {
    st.last_wake_ms = std::chrono::duration_cast<Millis>(clock_->Now() - st.wake_started).count();
    RunLogNote(st.space.full_id(), "===== Awake after " + std::to_string(st.last_wake_ms) + " ms =====");
  }
  FinishWakesLocked(st, Status::Ok());
  ReviewSleepLocked(st);
  if (options_.memory_budget_bytes > 0) ScheduleMemoryCheckLocked(Millis(0));
}

void Supervisor::FinishWakesLocked(SpaceState& st, const Status& status) {
  st.waking = false;
  std::vector<std::function<void(WakeResult)>> waiters;
  waiters.swap(st.wake_waiters);
  for (auto& done : waiters) {
    WakeResult r;
    r.status = status;
    r.stage = st.stage;
    r.wake_ms = st.last_wake_ms;
    done(std::move(r));
  }
}

void Supervisor::OnSleepTimeChanged(const std::string& space_id, int64_t seconds) {
  MutexLock lock(mu_);
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr) return;
  st->space.sleep_time_seconds = seconds;
  if (st->rung == Rung::kRunning || st->rung == Rung::kFrozen) ReviewSleepLocked(*st);
}

// ---- Memory budget ----

void Supervisor::ScheduleMemoryCheckLocked(Millis delay) {
  CancelTaskLocked(memory_task_);
  memory_task_ = ScheduleLocked(delay, [this] { MemoryTick(); });
}

void Supervisor::MemoryTick() {
  struct Measured {
    MemoryCandidate candidate;
    InstanceId instance = 0;
    int64_t flavor_limit = 0;
  };
  std::map<std::string, uint64_t> requests_seen;  // a request since then spares the Space
  std::vector<Measured> instances;
  {
    MutexLock lock(mu_);
    memory_task_ = 0;
    if (shutting_down_) return;
    for (const std::string& id : deployed_) {
      SpaceState* st = FindLocked(id);
      if (st == nullptr) continue;
      const auto& d = st->live;
      if (!ServingLocked(*st) || d->spec.is_static || d->instance == 0 || d->stopping) continue;
      Measured m;
      m.candidate.space_id = id;
      m.candidate.last_request = st->activity->last_request();
      m.candidate.evictable = SleepEligibleLocked(*st) && st->activity->in_flight() == 0;
      m.instance = d->instance;
      requests_seen[id] = st->activity->requests();
      m.flavor_limit = LimitsFor(LookupHardware(st->space.hardware)).memory_bytes;
      instances.push_back(std::move(m));
    }
  }
  std::vector<MemoryCandidate> candidates;
  for (Measured& m : instances) {
    Result<int64_t> bytes = driver_->MemoryBytes(m.instance);  // file reads: outside the lock
    m.candidate.bytes = bytes.ok() ? *bytes : m.flavor_limit;
    candidates.push_back(m.candidate);
  }
  std::vector<std::string> evict = SelectEvictions(std::move(candidates), options_.memory_budget_bytes);
  MutexLock lock(mu_);
  if (shutting_down_) return;
  for (const std::string& id : evict) {
    SpaceState* st = FindLocked(id);
    if (st == nullptr || !SleepEligibleLocked(*st)) continue;
    if (!st->activity->BeginSleep(Rung::kStopping, st->rung, requests_seen[id])) continue;
    st->rung = Rung::kStopping;
    SleepStopLocked(*st, "the host's memory budget is exceeded");
  }
  ScheduleMemoryCheckLocked(options_.memory_check_interval);
}

}  // namespace spaceport::runtime
