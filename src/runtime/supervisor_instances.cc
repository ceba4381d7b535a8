// Supervisor: instances. Launch on a free port, health check, switch the
// route, drain and stop the old instance, crash restarts with backoff.
#include <algorithm>
#include <filesystem>

#include "core/log.h"
#include "core/strings.h"
#include "http/client.h"
#include "runtime/deploy_env.h"
#include "runtime/supervisor.h"
#include "runtime/supervisor_state.h"

namespace spaceport::runtime {
namespace {

std::string Seconds(Millis d) {
  int64_t ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

void Supervisor::LaunchLocked(SpaceState& st, std::shared_ptr<Deployment> d) {
  const std::string id = st.space.full_id();
  d->space_id = id;
  if (st.starting != nullptr && st.starting != d) {
    std::shared_ptr<Deployment> older = st.starting;
    st.starting = nullptr;
    if (older->instance != 0 && !older->exited && !older->stopping) {
      older->stopping = true;
      StopAsyncLocked(older);
    }
  }
  if (d->spec.is_static) {
    d->healthy = true;
    SwitchLocked(st, d);
    return;
  }
  st.starting = d;
  int64_t creator = 0;
  if (auto user = store_->GetUserByName(st.space.owner); user.ok()) creator = user->id;
  std::vector<store::EnvVar> vars;
  if (auto listed = store_->ListEnv(st.space.id); listed.ok()) vars = std::move(listed).value();
  SetStageLocked(st, IdleStageLocked(st), "");
  RunLogNote(id, "===== Application Startup at " + FormatIsoTime(clock_->UnixMillis()) + " =====");
  // A port is picked free, then bound by the driver a moment later: under
  // load (health checks and proxying use ephemeral ports too) it can be
  // taken in between, which the driver reports as AlreadyExists.
  Result<InstanceId> started = Status::Unavailable("not started");
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<int> port = PickFreeLoopbackPort();
    if (!port.ok()) {
      StartFailedLocked(st, d, port.status().message());
      return;
    }
    d->port = *port;
    InstanceSpec spec = InstanceSpecLocked(st, *d, creator, vars);
    started = driver_->Start(spec, [this, id, d](InstanceId, const ExitStatus& status) { OnInstanceExit(id, d, status); });
    if (started.ok() || started.status().code() != StatusCode::kAlreadyExists) break;
  }
  if (!started.ok()) {
    StartFailedLocked(st, d, "could not start the app: " + started.status().message());
    return;
  }
  d->instance = *started;
  helpers_.Spawn([this, id, d] { HealthCheck(id, d); });
}

InstanceSpec Supervisor::InstanceSpecLocked(const SpaceState& st, const Deployment& d, int64_t creator,
                                            const std::vector<store::EnvVar>& vars) const {
  const std::string id = st.space.full_id();
  InstanceSpec spec;
  spec.space_id = id;
  for (const std::string& arg : d.spec.argv) spec.argv.push_back(SubstitutePort(arg, d.port));
  spec.env = AppEnvironment({&st.space, creator, &d.spec, &vars, d.port, options_.apps_domain, options_.public_url});
  if (options_.platform_env) {
    for (auto& [k, v] : options_.platform_env(st.space, d.spec.card_json)) spec.env[k] = v;
  }
  spec.cwd = d.spec.cwd;
  spec.port = d.port;
  spec.log = logs_;
  // For isolating drivers: the Space's persistent /data, the shared venv (it
  // lives in the build cache, outside the app dir) and its flavor's limits.
  spec.data_dir = SpaceDataDir(options_.data_dir, id);
  std::error_code ec;
  std::filesystem::create_directories(spec.data_dir, ec);
  if (auto venv = d.spec.env.find("VIRTUAL_ENV"); venv != d.spec.env.end()) {
    spec.read_only_paths.push_back(venv->second);
  }
  if (!d.spec.image.empty()) {
    spec.image = d.spec.image;
    spec.image_user = d.spec.image_user;
    spec.image_writable_root = d.spec.image_writable_root;
    spec.app_port = d.spec.app_port;
    spec.env["PORT"] = std::to_string(d.spec.app_port);  // inside the container
  }
  spec.limits = LimitsFor(LookupHardware(st.space.hardware));
  spec.limits.data_bytes = DataBytesFor(st.space.storage, options_.default_data_bytes);
  return spec;
}

void Supervisor::HealthCheck(std::string space_id, std::shared_ptr<Deployment> d) {
  const SteadyTime deadline = clock_->Now() + d->spec.startup_timeout;
  http::ClientRequest req;
  std::string path = d->spec.health_path.empty() ? "/" : d->spec.health_path;
  if (path[0] != '/') path = "/" + path;
  req.url = "http://127.0.0.1:" + std::to_string(d->port) + path;
  req.timeout = options_.health_probe_timeout;
  while (true) {
    {
      MutexLock lock(mu_);
      SpaceState* st = FindLocked(space_id);
      if (shutting_down_ || st == nullptr || st->starting != d || d->exited || d->stopping) return;
      if (clock_->Now() >= deadline) {
        StartFailedLocked(*st, d, "app did not answer its health check within " + Seconds(d->spec.startup_timeout) +
                                         " (startup_duration_timeout)");
        return;
      }
    }
    Result<http::ClientResponse> r = http::Fetch(req);
    MutexLock lock(mu_);
    if (r.ok() && r->status < 500) {
      SpaceState* st = FindLocked(space_id);
      if (!shutting_down_ && st != nullptr && st->starting == d && !d->exited && !d->stopping) {
        OnHealthyLocked(*st, d);
      }
      return;
    }
    // Real time between probes of a real process; the deadline uses the Clock.
    lock.WaitFor(shutdown_cv_, options_.health_interval,
                 [&]() SP_REQUIRES(mu_) { return shutting_down_ || d->exited || d->stopping; });
  }
}

void Supervisor::OnHealthyLocked(SpaceState& st, const std::shared_ptr<Deployment>& d) {
  st.starting = nullptr;
  d->healthy = true;
  st.failures = 0;
  SwitchLocked(st, d);
  if (d->from_build) SleepIfUnrequestedLocked(st);
}

// Deploying in bulk (options_.bulk_queue_threshold builds wait): a Space
// nobody has asked for since this server started is stopped right after its
// first healthy answer rather than kept running (and frozen) until its sleep
// time; the first request wakes it. Sleep time -1 (never) keeps it running.
void Supervisor::SleepIfUnrequestedLocked(SpaceState& st) {
  if (queue_.size() < std::max<size_t>(1, options_.bulk_queue_threshold)) return;
  if (st.space.sleep_time_seconds < 0 || !st.wake_waiters.empty()) return;
  if (!SleepEligibleLocked(st) || st.rung != Rung::kRunning) return;
  SpaceActivity& act = *st.activity;
  if (act.requests() != 0 || !act.BeginSleep(Rung::kStopping, Rung::kRunning, 0)) return;
  st.rung = Rung::kStopping;
  SleepStopLocked(st, "deployed while more builds wait, and nobody has asked for it yet");
}

void Supervisor::SwitchLocked(SpaceState& st, const std::shared_ptr<Deployment>& d) {
  std::shared_ptr<Deployment> old = st.live;
  SetLiveLocked(st, d);
  st.generation++;
  if (st.retry_task != 0) scheduler_->Cancel(st.retry_task);
  st.retry_task = 0;
  OnServingLocked(st);  // publishes the new route, then answers waiting wakes
  if (old == nullptr || old == d) return;
  if (old->instance != 0 && !old->exited && !old->stopping) {
    old->stopping = true;
    StopLaterLocked(old, options_.drain_delay);
  } else {
    RemoveBuildDirLaterLocked(st, old);
  }
}

void Supervisor::OnInstanceExit(const std::string& space_id, const std::shared_ptr<Deployment>& d,
                                const ExitStatus& status) {
  MutexLock lock(mu_);
  d->exited = true;
  d->exit = status;
  shutdown_cv_.notify_all();  // ends its health check's pause early
  if (shutting_down_ || d->stopping) return;
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr) return;
  if (st->starting == d) {
    StartFailedLocked(*st, d, status.Describe());
  } else if (st->live == d) {
    CrashedLocked(*st, d, status);
  }
}

void Supervisor::StartFailedLocked(SpaceState& st, const std::shared_ptr<Deployment>& d, const std::string& reason) {
  const std::string id = st.space.full_id();
  if (st.starting == d) st.starting = nullptr;
  if (d->instance != 0 && !d->exited && !d->stopping) {
    d->stopping = true;
    StopAsyncLocked(d);
  }
  if (d->is_recovery) {
    FailureLocked(st, reason);
    return;
  }
  if (ServingLocked(st)) {
    SetStageLocked(st, IdleStageLocked(st), "");
    RunLogNote(id, "===== The new version failed to start (" + reason + "); the previous version keeps serving =====");
    if (d->instance == 0 || d->exited) RemoveBuildDirLaterLocked(st, d);
    return;
  }
  // Nothing serves: this version becomes the current one (Restart retries it).
  std::shared_ptr<Deployment> old = st.live;
  SetLiveLocked(st, d);
  if (old != nullptr && old != d && (old->instance == 0 || old->exited)) RemoveBuildDirLaterLocked(st, old);
  if (st.retry_task != 0) scheduler_->Cancel(st.retry_task);
  st.retry_task = 0;
  SetRungLocked(st, Rung::kRunning);  // not wakeable: requests get the RUNTIME_ERROR
  SetStageLocked(st, Stage::kRuntimeError, ErrorWithLogLocked(id, reason));
  FinishWakesLocked(st, Status::Unavailable("Space " + id + " failed to start: " + reason));
}

void Supervisor::CrashedLocked(SpaceState& st, const std::shared_ptr<Deployment>& d, const ExitStatus& status) {
  st.generation++;
  CancelTaskLocked(st.sleep_task);  // nothing to put to sleep until it serves again
  if (st.starting != nullptr) {
    // A newer version is on its way and takes over (or ends in RUNTIME_ERROR).
    SetStageLocked(st, IdleStageLocked(st), "");
    return;
  }
  FailureLocked(st, status.Describe());
}

void Supervisor::FailureLocked(SpaceState& st, const std::string& reason) {
  const std::string id = st.space.full_id();
  st.failures++;
  if (st.failures >= options_.max_start_failures) {
    if (st.retry_task != 0) scheduler_->Cancel(st.retry_task);
    st.retry_task = 0;
    SetStageLocked(st, Stage::kRuntimeError, ErrorWithLogLocked(id, reason));
    return;
  }
  Millis delay = options_.restart_backoff_initial;
  for (int i = 1; i < st.failures && delay < options_.restart_backoff_max; ++i) delay *= 2;
  delay = std::min(delay, options_.restart_backoff_max);
  std::string note = reason + "; restarting in " + Seconds(delay);
  RunLogNote(id, "===== " + note + " =====");
  SetStageLocked(st, IdleStageLocked(st), note);
  st.retry_task = ScheduleLocked(delay, [this, id] { RetryNow(id); });
}

void Supervisor::RetryNow(const std::string& space_id) {
  MutexLock lock(mu_);
  SpaceState* st = FindLocked(space_id);
  if (shutting_down_ || st == nullptr) return;
  st->retry_task = 0;
  if (st->paused || st->starting != nullptr || st->live == nullptr || ServingLocked(*st)) return;
  auto d = std::make_shared<Deployment>();
  d->serial = next_serial_++;
  d->sha = st->live->sha;
  d->build_id = st->live->build_id;
  d->build_dir = st->live->build_dir;
  d->spec = st->live->spec;
  d->is_recovery = true;
  LaunchLocked(*st, std::move(d));
}

TaskId Supervisor::ScheduleLocked(Millis delay, std::function<void()> task) {
  // The task takes mu_ first, so it cannot run before its id is recorded.
  auto holder = std::make_shared<TaskId>(0);
  TaskId id = scheduler_->RunAfter(delay, [this, holder, task = std::move(task)] {
    {
      MutexLock lock(mu_);
      if (tasks_.erase(*holder) == 0) return;  // cancelled by Shutdown
    }
    task();
  });
  *holder = id;
  tasks_.insert(id);
  return id;
}

void Supervisor::StopLaterLocked(const std::shared_ptr<Deployment>& d, Millis delay) {
  draining_.push_back(d);
  ScheduleLocked(delay, [this, d] {
    MutexLock lock(mu_);
    auto it = std::find(draining_.begin(), draining_.end(), d);
    if (it == draining_.end() || shutting_down_) return;
    draining_.erase(it);
    StopAsyncLocked(d);
  });
}

void Supervisor::StopAsyncLocked(const std::shared_ptr<Deployment>& d) {
  helpers_.Spawn([this, d] {
    (void)driver_->Stop(d->instance, options_.stop_grace);
    AfterStopped(d->space_id, d);
  });
}

void Supervisor::AfterStopped(const std::string& space_id, const std::shared_ptr<Deployment>& d) {
  MutexLock lock(mu_);
  SpaceState* st = FindLocked(space_id);
  if (st != nullptr && !shutting_down_) RemoveBuildDirLaterLocked(*st, d);
}

// Deletes the build dir of a version that no longer runs, unless a current
// version shares it (restarts reuse their build).
void Supervisor::RemoveBuildDirLaterLocked(const SpaceState& st, const std::shared_ptr<Deployment>& d) {
  const std::string& dir = d->build_dir;
  if (dir.empty()) return;
  for (const auto& other : {st.live, st.starting}) {
    if (other != nullptr && other->build_dir == dir) return;
  }
  helpers_.Spawn([dir] {
    std::error_code ec;
    std::filesystem::remove(dir + ".launch.json", ec);  // first: never a launch file without its tree
    std::filesystem::remove_all(dir, ec);
  });
}

std::string Supervisor::ErrorWithLogLocked(const std::string& space_id, const std::string& reason) {
  std::string out = reason;
  for (const LogLine& line : logs_->Tail(space_id, LogKind::kRun, options_.error_log_lines)) {
    out += "\n";
    out += line.text;
  }
  return out;
}

void Supervisor::RunLogNote(const std::string& space_id, const std::string& note) {
  logs_->Append(space_id, LogKind::kRun, note + "\n");
}

}  // namespace spaceport::runtime
