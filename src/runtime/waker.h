// Waker: what the edge asks of the control plane when a request reaches an
// app that sleeps (frozen, stopped or on its way down, see activity.h).
//
// Wake thaws a frozen instance, or cold-starts a stopped one through the
// normal launch + health check path, and calls `done` once the app serves
// again (ok) or cannot (the error says why, with the stage). Concurrent
// wakes of one Space coalesce: one thaw or start, every `done` called.
// Implemented by the Supervisor; injected into the edge by main.
// Thread safety: Wake may be called from any thread; `done` runs exactly once,
// on a control-plane thread or (when the app already runs) on the caller's
// thread before Wake returns. `done` must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "runtime/stage.h"

namespace spaceport::runtime {

struct WakeResult {
  Status status;          // ok: the app serves; else why not
  std::optional<Stage> stage;  // the Space's stage afterwards (unset: no such Space)
  int64_t wake_ms = 0;    // how long the wake took (0 when nothing was asleep)
};

class Waker {
 public:
  virtual ~Waker() = default;
  virtual void Wake(const std::string& space_id, std::function<void(WakeResult)> done) = 0;
};

}  // namespace spaceport::runtime
