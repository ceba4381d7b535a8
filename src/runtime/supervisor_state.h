// Internal to the supervisor (supervisor.cc, supervisor_instances.cc): the
// per-Space state guarded by Supervisor::mu_. Not for other modules.
#pragma once

#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "build/builder.h"
#include "runtime/activity.h"
#include "runtime/driver.h"
#include "runtime/scheduler.h"
#include "runtime/supervisor.h"
#include "store/store.h"

namespace spaceport::runtime {

// One built version of a Space and (unless static) the instance running it.
struct Supervisor::Deployment {
  uint64_t serial = 0;
  std::string space_id;
  std::string sha;
  int64_t build_id = 0;
  std::string build_dir;
  build::LaunchSpec spec;
  int port = 0;
  InstanceId instance = 0;
  bool healthy = false;     // answered its health check (static: at once)
  bool exited = false;      // the instance is gone
  bool stopping = false;    // we asked it to stop: its exit is not a crash
  bool is_recovery = false; // restart after a crash: failures count toward RUNTIME_ERROR
  bool from_build = false;  // launched right after its build (not a restart, wake or recovery)
  ExitStatus exit;
};

struct Supervisor::SpaceState {
  store::Space space;  // last known row
  Stage stage = Stage::kNoAppFile;
  std::string error;
  // The newest build failed while an older version serves: its stage and
  // message stand for the Space (not RUNNING) until the next build starts.
  std::optional<Stage> failed_build;
  std::string failed_build_error;
  uint64_t generation = 0;
  std::shared_ptr<Deployment> live;      // the version behind the route (may have exited)
  std::shared_ptr<Deployment> starting;  // launched, waiting for its first healthy answer
  uint64_t latest_build = 0;             // token of the newest requested build
  int builds_in_flight = 0;              // queued or running
  int failures = 0;                      // in a row without a healthy answer
  TaskId retry_task = 0;
  bool paused = false;
  // Sleep ladder (supervisor_sleep.cc). `rung` mirrors activity->rung().
  std::shared_ptr<SpaceActivity> activity = std::make_shared<SpaceActivity>();
  Rung rung = Rung::kRunning;
  TaskId sleep_task = 0;
  bool sleep_busy = false;  // a freeze, thaw or stop of the ladder runs outside the lock
  bool waking = false;      // a thaw or cold start for wake_waiters is underway
  SteadyTime wake_started{};
  int64_t last_wake_ms = -1;
  std::vector<std::function<void(WakeResult)>> wake_waiters;
};

}  // namespace spaceport::runtime
