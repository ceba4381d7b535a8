// The rules of the sleep ladder, as pure functions (no clock, no threads):
// the supervisor (supervisor_sleep.cc) feeds them what it observed and acts
// on the answer, so every rule is unit-tested on plain values.
//
// Ladder: running -> frozen after `freeze_after` idle (when the driver can
// freeze and the Space did not opt out) -> stopped (stage SLEEPING) after the
// Space's sleep time idle. A sleep time <= 0 means never stop (HF: -1).
// Idle means no request in flight and none begun or ended for that long.
// Thread safety: pure functions on values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "runtime/activity.h"

namespace spaceport::runtime {

struct SleepSettings {
  bool freeze = true;               // driver can freeze && card does not opt out
  Millis freeze_after{60000};
  int64_t sleep_time_seconds = 0;   // <= 0: never stopped for idleness
};

enum class SleepStep { kStay, kFreeze, kStop };

struct SleepDecision {
  SleepStep step = SleepStep::kStay;
  // When to look again if nothing else happens; Millis::max(): never.
  Millis recheck_in = Millis::max();
};

SleepDecision NextSleepStep(Rung rung, const SleepSettings& settings, bool in_flight, Millis idle_for);

// One instance as the memory budget sees it.
struct MemoryCandidate {
  std::string space_id;
  int64_t bytes = 0;          // measured, or the flavor's limit
  SteadyTime last_request{};  // least recently used go first
  bool evictable = false;     // idle, not in a transition
};

// The Spaces to stop, least recently used first, until the total of all
// candidates is within `budget_bytes`. Empty when within budget already.
// Never the most recently used one (its next request would restart it).
std::vector<std::string> SelectEvictions(std::vector<MemoryCandidate> candidates, int64_t budget_bytes);

}  // namespace spaceport::runtime
