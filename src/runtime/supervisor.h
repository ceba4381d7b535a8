// Supervisor: the control plane's deploy pipeline and instance keeper.
//
// OnPush -> build on a worker thread (at most max_concurrent_builds at once; a
// newer push supersedes a queued older one) -> start the app with the driver
// on a free loopback port -> poll its health path -> publish the new upstream
// in the RouteTable -> stop the previous instance after drain_delay. Until the
// switch the previous version keeps serving (stage RUNNING_BUILDING).
//
// Stage rules (every change is persisted with Store::SetSpaceStage and copied
// into the RouteTable entry):
//   - A failed build sets CONFIG_ERROR / NO_APP_FILE / BUILD_ERROR (builder.h)
//     only when nothing serves; otherwise the old version stays RUNNING and
//     the failure is recorded in the store's build row and the build log.
//   - A new version that exits or times out before its first healthy answer is
//     not retried: RUNTIME_ERROR with the exit and the last run-log lines when
//     nothing else serves, else the old version keeps serving.
//   - An instance that exits after having been healthy is restarted with
//     exponential backoff (restart_backoff_initial, doubling, capped), driven
//     by the Scheduler; the crash and each failed restart count, and after
//     max_start_failures in a row without a healthy answer the stage becomes
//     RUNTIME_ERROR. Becoming healthy resets the count.
//   - Pause stops the app and keeps its route (not serving, stage PAUSED); a
//     paused Space stays paused across Recover until Restart or a push.
//   - Sleep ladder (supervisor_sleep.cc, rules in sleep_policy.h): an idle
//     instance is frozen after freeze_after (when the driver can freeze and
//     the card does not opt out), stopped after the Space's sleep time (stage
//     SLEEPING), or stopped earlier, least recently used first, while the
//     instances' memory exceeds memory_budget_bytes. Idleness is read from
//     the SpaceActivity the edge updates (activity.h explains why no request
//     is lost). Wake (runtime/waker.h) thaws or cold-starts; concurrent wakes
//     share one. A failed freeze or thaw falls back to stop + cold start.
//
// Ownership: every pointer passed in must outlive the Supervisor. Call
// Shutdown (the destructor does too) before destroying the driver.
// Thread safety: all public methods are safe from any thread. Internally one
// mutex guards the per-Space state; builds run on worker threads, health
// checks and stops on helper threads, timers on the Scheduler.
// Failure: SpaceControl calls return NotFound for Spaces never seen; deploy
// failures are reported through stages, never thrown.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "build/builder.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "runtime/control.h"
#include "runtime/driver.h"
#include "runtime/log_store.h"
#include "runtime/routes.h"
#include "runtime/scheduler.h"
#include "runtime/sleep_policy.h"
#include "runtime/waker.h"
#include "runtime/thread_set.h"
#include "store/store.h"

namespace spaceport::runtime {

struct SupervisorOptions {
  std::string data_dir;       // build dirs: data_dir/builds/<owner>/<name>/<build-id>
  std::string repos_dir;      // bare repos <repos_dir>/<owner>/<name>.git; empty: data_dir/repos
  std::string apps_domain = "localhost";
  std::string public_url;     // the hub's URL as visitors see it
  int max_concurrent_builds = 2;
  Millis drain_delay{2000};   // old instance keeps running this long after a switch
  Millis stop_grace{10000};   // SIGTERM -> SIGKILL
  Millis health_interval{200};  // pause between health probes (real time, not the Clock)
  Millis health_probe_timeout{5000};
  Millis restart_backoff_initial{1000};
  Millis restart_backoff_max{60000};
  int max_start_failures = 3;
  size_t error_log_lines = 20;  // run-log lines quoted in a RUNTIME_ERROR message
  // Extra platform env for an app (e.g. OAUTH_* for hf_oauth cards), from the
  // Space and its card JSON; overrides the Space's own variables.
  std::function<std::map<std::string, std::string>(const store::Space&, const std::string& card_json)> platform_env;
  // Sleep ladder. freeze_after: default idle time before a freeze (the card's
  // spaceport.sleep.freeze_after overrides it). memory_budget_bytes: 0 = none;
  // checked every memory_check_interval and after every start.
  Millis freeze_after{60000};
  int64_t memory_budget_bytes = 0;
  Millis memory_check_interval{10000};
  // The size of /data for a Space without a storage tier (deploy_env.h's
  // DataBytesFor); isolating drivers with disk limits enforce it.
  int64_t default_data_bytes = 1LL << 30;
  // Caps every flavor's ephemeral disk, what a build may write
  // (deploy_env.h's EphemeralBytesFor); 0: the flavor's own.
  int64_t ephemeral_disk_cap_bytes = 0;
  // How often the running apps' trees are measured against that limit
  // (supervisor_disk.cc); 0: never (tests that do not ask for it).
  Millis disk_check_interval{0};
  // Deploying in bulk: while at least this many builds wait in the queue, a
  // freshly built Space nobody has asked for is stopped after its first
  // healthy answer (a few pushes at once, as `make run` seeds, do not count).
  size_t bulk_queue_threshold = 8;
};

class Supervisor : public SpaceControl, public Waker {
 public:
  // `scheduler` may be null: the Supervisor then runs its own ThreadScheduler
  // on `clock`. Tests pass a ManualScheduler with a FakeClock.
  Supervisor(store::Store* store, build::Builder* builder, RuntimeDriver* driver, RouteTable* routes, LogStore* logs,
             const Clock* clock, SupervisorOptions options, Scheduler* scheduler = nullptr);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // At server start: publishes a route for every Space in the store and
  // brings back what ran before, without building again: each Space's last
  // successful build (its launch file beside the build dir) is started when
  // the Space was up and left asleep when it slept; paused ones stay paused.
  // Spaces without a usable build are built as after a push. Call once,
  // before serving and after the driver swept what a killed server left.
  Status Recover();
  // Stops every instance (SIGTERM, grace, SIGKILL), drops queued builds, waits
  // for running builds and joins all threads. Idempotent.
  void Shutdown();

  void OnCreated(const store::Space& space) override;
  void OnPush(const store::Space& space, const std::string& sha) override;
  Status Restart(const std::string& space_id, bool factory) override;
  Status Pause(const std::string& space_id) override;
  Status Remove(const std::string& space_id) override;
  Status Rename(const std::string& old_id, const store::Space& renamed) override;
  Status RestartForStorage(const std::string& space_id, bool delete_data) override;
  Result<RuntimeInfo> Info(const std::string& space_id) override;
  void OnSleepTimeChanged(const std::string& space_id, int64_t seconds) override;
  // Waker: `done` may run with the supervisor's lock held (never call back
  // into the Supervisor from it).
  void Wake(const std::string& space_id, std::function<void(WakeResult)> done) override;

 private:
  struct Deployment;  // supervisor_state.h
  struct SpaceState;  // supervisor_state.h
  struct BuildJob {
    std::string space_id;
    std::string sha;
    int64_t build_id = 0;
    bool use_cache = true;
    uint64_t token = 0;  // SpaceState::latest_build when queued
  };

  struct RecoveryCounts {
    int started = 0, asleep = 0, idle = 0, rebuilt = 0;
  };
  void RecoverSpace(const store::Space& space, RecoveryCounts& counts);

  SpaceState& EnsureLocked(const store::Space& space) SP_REQUIRES(mu_);
  SpaceState* FindLocked(const std::string& space_id) SP_REQUIRES(mu_);
  bool ServingLocked(const SpaceState& st) const SP_REQUIRES(mu_);
  void SetStageLocked(SpaceState& st, Stage stage, const std::string& error) SP_REQUIRES(mu_);
  void PublishRouteLocked(const SpaceState& st) SP_REQUIRES(mu_);
  Stage IdleStageLocked(const SpaceState& st) const SP_REQUIRES(mu_);

  // Builds.
  void EnqueueBuildLocked(SpaceState& st, const std::string& sha, bool use_cache) SP_REQUIRES(mu_);
  void DropQueuedBuildsLocked(const std::string& space_id, const std::string& why) SP_REQUIRES(mu_);
  void BuildWorker();
  void RunBuild(const BuildJob& job);
  void OnBuildDoneLocked(const BuildJob& job, Result<build::LaunchSpec> result, const std::string& work_dir) SP_REQUIRES(mu_);
  void PersistBuiltLocked(SpaceState& st, const BuildJob& job, const build::LaunchSpec& spec) SP_REQUIRES(mu_);

  // Instances.
  void LaunchLocked(SpaceState& st, std::shared_ptr<Deployment> d) SP_REQUIRES(mu_);
  void HealthCheck(std::string space_id, std::shared_ptr<Deployment> d);
  void SleepIfUnrequestedLocked(SpaceState& st) SP_REQUIRES(mu_);
  InstanceSpec InstanceSpecLocked(const SpaceState& st, const Deployment& d, int64_t creator,
                                  const std::vector<store::EnvVar>& vars) const SP_REQUIRES(mu_);
  void OnHealthyLocked(SpaceState& st, const std::shared_ptr<Deployment>& d) SP_REQUIRES(mu_);
  void SwitchLocked(SpaceState& st, const std::shared_ptr<Deployment>& d) SP_REQUIRES(mu_);
  void OnInstanceExit(const std::string& space_id, const std::shared_ptr<Deployment>& d, const ExitStatus& status);
  void StartFailedLocked(SpaceState& st, const std::shared_ptr<Deployment>& d, const std::string& reason) SP_REQUIRES(mu_);
  void CrashedLocked(SpaceState& st, const std::shared_ptr<Deployment>& d, const ExitStatus& status) SP_REQUIRES(mu_);
  void FailureLocked(SpaceState& st, const std::string& reason) SP_REQUIRES(mu_);
  void RetryNow(const std::string& space_id);
  TaskId ScheduleLocked(Millis delay, std::function<void()> task) SP_REQUIRES(mu_);
  void StopLaterLocked(const std::shared_ptr<Deployment>& d, Millis delay) SP_REQUIRES(mu_);
  void StopAsyncLocked(const std::shared_ptr<Deployment>& d) SP_REQUIRES(mu_);
  void AfterStopped(const std::string& space_id, const std::shared_ptr<Deployment>& d);
  void RemoveBuildDirLaterLocked(const SpaceState& st, const std::shared_ptr<Deployment>& d) SP_REQUIRES(mu_);
  std::vector<std::shared_ptr<Deployment>> TakeInstancesLocked(SpaceState& st) SP_REQUIRES(mu_);
  // Forgets the Space's state and route; returns its instances to stop
  // (outside the lock) and its builds dir ("" when the Space was unknown).
  std::vector<std::shared_ptr<Deployment>> ForgetLocked(const std::string& space_id, const std::string& why,
                                                        std::string* builds_dir, bool* was_paused) SP_REQUIRES(mu_);
  // Sleep ladder and wakes (supervisor_sleep.cc).
  SleepSettings SleepSettingsLocked(const SpaceState& st) const SP_REQUIRES(mu_);
  bool SleepEligibleLocked(const SpaceState& st) const SP_REQUIRES(mu_);
  void ArmSleepLocked(SpaceState& st, Millis delay) SP_REQUIRES(mu_);
  void ReviewSleepLocked(SpaceState& st) SP_REQUIRES(mu_);
  void SleepTick(const std::string& space_id);
  void FinishFreezeLocked(const std::string& space_id, const std::shared_ptr<Deployment>& d, const Status& s) SP_REQUIRES(mu_);
  void SleepStopLocked(SpaceState& st, const std::string& why) SP_REQUIRES(mu_);
  void FinishSleepStopLocked(const std::string& space_id, const std::shared_ptr<Deployment>& d) SP_REQUIRES(mu_);
  void StartWakeLocked(SpaceState& st) SP_REQUIRES(mu_);
  void FinishThawLocked(const std::string& space_id, const std::shared_ptr<Deployment>& d, const Status& s) SP_REQUIRES(mu_);
  void OnServingLocked(SpaceState& st) SP_REQUIRES(mu_);
  void FinishWakesLocked(SpaceState& st, const Status& status) SP_REQUIRES(mu_);
  void SetRungLocked(SpaceState& st, Rung rung) SP_REQUIRES(mu_);
  void CancelTaskLocked(TaskId& id) SP_REQUIRES(mu_);
  void MemoryTick();
  void ScheduleMemoryCheckLocked(Millis delay) SP_REQUIRES(mu_);
  void SetLiveLocked(SpaceState& st, std::shared_ptr<Deployment> d) SP_REQUIRES(mu_);
  void DiskTick();  // supervisor_disk.cc
  void ScheduleDiskCheckLocked(Millis delay) SP_REQUIRES(mu_);
  std::string ErrorWithLogLocked(const std::string& space_id, const std::string& reason) SP_REQUIRES(mu_);
  void RunLogNote(const std::string& space_id, const std::string& note);
  std::string BuildsDir(const store::Space& space) const;
  std::string TrashDir() const;  // leftovers of earlier runs, deleted in the background

  store::Store* const store_;
  build::Builder* const builder_;
  RuntimeDriver* const driver_;
  RouteTable* const routes_;
  LogStore* const logs_;
  const Clock* const clock_;
  const SupervisorOptions options_;
  std::unique_ptr<Scheduler> owned_scheduler_;
  Scheduler* scheduler_;

  // Guards every Space's state (SpaceState, Deployment: supervisor_state.h)
  // besides what is marked; methods named *Locked expect it held.
  Mutex mu_;
  std::condition_variable build_cv_;     // queue_ changed or shutting down
  std::condition_variable shutdown_cv_;  // wakes health checks early
  bool shutting_down_ SP_GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<SpaceState>, std::less<>> spaces_ SP_GUARDED_BY(mu_);
  // The Spaces with a deployment (SetLiveLocked), which the periodic memory
  // and disk checks walk: with a million Spaces in the directory and a few
  // thousand deployed, walking spaces_ held mu_ for hundreds of ms.
  std::set<std::string, std::less<>> deployed_ SP_GUARDED_BY(mu_);
  std::deque<BuildJob> queue_ SP_GUARDED_BY(mu_);
  std::set<TaskId> tasks_ SP_GUARDED_BY(mu_);  // scheduled by us and not yet run; cancelled at Shutdown
  std::vector<std::shared_ptr<Deployment>> draining_ SP_GUARDED_BY(mu_);  // replaced, to be stopped after drain_delay
  uint64_t next_serial_ SP_GUARDED_BY(mu_) = 1;
  TaskId memory_task_ SP_GUARDED_BY(mu_) = 0;
  TaskId disk_task_ SP_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> build_workers_;
  ThreadSet helpers_;
};

}  // namespace spaceport::runtime
