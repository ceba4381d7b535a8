// SpaceControl: what the hub asks of the control plane for one Space.
//
// Implemented by the supervisor (runtime/supervisor.h). Deploys run in the
// background: OnPush returns at once and the stage moves BUILDING ->
// APP_STARTING -> RUNNING (or CONFIG_ERROR / NO_APP_FILE / BUILD_ERROR /
// RUNTIME_ERROR). A new deploy of a serving Space keeps the old version
// serving until the new one passes its health check (stage RUNNING_BUILDING).
// Thread safety: all methods are safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "runtime/stage.h"
#include "store/store.h"

namespace spaceport::runtime {

struct RuntimeInfo {
  Stage stage = Stage::kNoAppFile;  // DESIGN.md section 6
  std::string error_message;    // with the last log lines for RUNTIME_ERROR
  std::string hardware;         // current
  std::string requested_hardware;
  int64_t gc_timeout_seconds = 0;
  int replicas = 0;             // 1 while an instance is up
  bool serving = false;         // requests reach a version of it (also past a failed build)
  std::string sha;              // commit being served
  std::string rung;             // running | frozen | stopped | checkpointed (activity.h)
  int64_t last_wake_ms = -1;    // latency of the last wake; -1: never woken
};

class SpaceControl {
 public:
  virtual ~SpaceControl() = default;
  // A Space was created (publishes its route so the edge knows it, stage NO_APP_FILE).
  virtual void OnCreated(const store::Space& space) = 0;
  // main moved to `sha`: build it and switch when healthy.
  virtual void OnPush(const store::Space& space, const std::string& sha) = 0;
  // Rebuild (factory: without caches) or just restart the current build.
  virtual Status Restart(const std::string& space_id, bool factory) = 0;
  virtual Status Pause(const std::string& space_id) = 0;
  // Stops everything and forgets the Space (the hub deletes the rows and repo).
  virtual Status Remove(const std::string& space_id) = 0;
  // The Space known as `old_id` was renamed to `renamed` (new owner, name and
  // subdomain, already stored): stop what runs under the old id, keep its
  // /data, drop the old route and serve under the new one, rebuilding
  // renamed.sha when there is one (a paused Space stays paused).
  virtual Status Rename(const std::string& old_id, const store::Space& renamed) = 0;
  virtual Result<RuntimeInfo> Info(const std::string& space_id) = 0;
  // The Space's storage tier changed (already stored): stops every instance
  // (a volume changes size only when unused), deletes its /data when asked
  // (HF's "delete persistent storage"), and starts the current build again.
  virtual Status RestartForStorage(const std::string& space_id, bool delete_data) = 0;
  // The hub stored a new sleep time (HF sleeptime/gcTimeout) for the Space.
  virtual void OnSleepTimeChanged(const std::string& /*space_id*/, int64_t /*seconds*/) {}
};

}  // namespace spaceport::runtime
