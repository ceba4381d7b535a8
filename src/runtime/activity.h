// SpaceActivity: the per-Space record the edge and the sleep ladder share.
//
// The edge marks every app request's start and end here (atomics only: the
// hot path takes no lock and reads no database); the supervisor reads it to
// decide when a Space is idle and publishes the Space's rung of the sleep
// ladder in it, which the edge reads to know whether it must wake the app.
//
// The idle decision cannot lose a request. Both sides use seq_cst operations
// in this order (a store-load "Dekker" pair):
//   edge:       requests_++, in_flight_++   then  load rung_
//   supervisor: load requests_ (c0), decide idle; store rung_ = going-down
//               then load in_flight_ and requests_
// In the single total order of seq_cst operations, either the edge's
// increments come before the supervisor's re-check (the supervisor sees
// in_flight_ > 0 or requests_ != c0 and aborts, BeginSleep returns false), or
// the supervisor's store comes before the edge's load (the edge sees the app
// going down and asks the Waker to wake it; the Waker then waits for the
// freeze or stop to finish and undoes it). Both may happen at once: the
// supervisor aborts and the wake finds the app running, which is harmless.
// The requests_ counter catches a request that began and ended between the
// supervisor's first look and its re-check.
//
// Ownership: shared (std::shared_ptr) by the supervisor's state and every
// AppRoute snapshot, so an edge request may outlive a Space's deletion.
// Thread safety: every method is safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/clock.h"

namespace spaceport::runtime {

// The rungs of the sleep ladder. kFreezing and kStopping are "going down":
// the edge treats them like frozen and stopped (it wakes the app).
enum class Rung : int {
  kRunning = 0,
  kFreezing = 1,
  kFrozen = 2,
  kStopping = 3,
  kStopped = 4,
  kCheckpointed = 5,
};

// running | frozen | stopped | checkpointed, as the runtime API reports them
// (a transition in progress reports its starting rung: freezing is running).
std::string_view RungName(Rung rung);

class SpaceActivity {
 public:
  // Edge: a request to the app begins / ends. `now` is the edge's clock.
  void BeginRequest(SteadyTime now) {
    last_request_ms_.store(ToMs(now), std::memory_order_relaxed);
    requests_.fetch_add(1, std::memory_order_seq_cst);
    in_flight_.fetch_add(1, std::memory_order_seq_cst);
  }
  void EndRequest(SteadyTime now) {
    last_request_ms_.store(ToMs(now), std::memory_order_relaxed);
    in_flight_.fetch_sub(1, std::memory_order_seq_cst);
  }
  Rung rung() const { return static_cast<Rung>(rung_.load(std::memory_order_seq_cst)); }
  // True when a request must wake the app first.
  bool NeedsWake() const { return rung() != Rung::kRunning; }

  // Supervisor.
  int64_t in_flight() const { return in_flight_.load(std::memory_order_seq_cst); }
  uint64_t requests() const { return requests_.load(std::memory_order_seq_cst); }
  // When the last request began or ended (epoch of SteadyTime when none yet).
  SteadyTime last_request() const { return SteadyTime(Millis(last_request_ms_.load(std::memory_order_relaxed))); }
  // Seeds the idle clock (a freshly started app counts as just used).
  void Touch(SteadyTime now) { last_request_ms_.store(ToMs(now), std::memory_order_relaxed); }
  void SetRung(Rung rung) { rung_.store(static_cast<int>(rung), std::memory_order_seq_cst); }
  // The supervisor's half of the protocol above: publishes `going_down`
  // (kFreezing or kStopping), then re-checks. On false the rung is back to
  // `previous` and the Space must stay as it was.
  bool BeginSleep(Rung going_down, Rung previous, uint64_t requests_seen) {
    SetRung(going_down);
    if (in_flight() == 0 && requests() == requests_seen) return true;
    SetRung(previous);
    return false;
  }

 private:
  static int64_t ToMs(SteadyTime t) { return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count(); }

  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<int64_t> last_request_ms_{0};
  std::atomic<int> rung_{static_cast<int>(Rung::kRunning)};
};

// RAII mark of one request on a SpaceActivity: Begin at construction, End
// when destroyed or reset. Movable; owned by the edge's per-request context.
class ActivityMark {
 public:
  ActivityMark() = default;
  ActivityMark(std::shared_ptr<SpaceActivity> activity, const Clock* clock)
      : activity_(std::move(activity)), clock_(clock) {
    activity_->BeginRequest(clock_->Now());
  }
  ActivityMark(ActivityMark&& other) noexcept
      : activity_(std::move(other.activity_)), clock_(other.clock_) {}
  ActivityMark& operator=(ActivityMark&& other) noexcept {
    if (this != &other) {
      Reset();
      activity_ = std::move(other.activity_);
      clock_ = other.clock_;
    }
    return *this;
  }
  ActivityMark(const ActivityMark&) = delete;
  ActivityMark& operator=(const ActivityMark&) = delete;
  ~ActivityMark() { Reset(); }

  void Reset() {
    if (activity_) activity_->EndRequest(clock_->Now());
    activity_.reset();
  }
  bool active() const { return activity_ != nullptr; }

 private:
  std::shared_ptr<SpaceActivity> activity_;
  const Clock* clock_ = nullptr;
};

}  // namespace spaceport::runtime
