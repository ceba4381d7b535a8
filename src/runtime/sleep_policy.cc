#include "runtime/sleep_policy.h"

#include <algorithm>

namespace spaceport::runtime {

std::string_view RungName(Rung rung) {
  switch (rung) {
    case Rung::kRunning:
    case Rung::kFreezing: return "running";
    case Rung::kFrozen:
    case Rung::kStopping: return "frozen";
    case Rung::kStopped: return "stopped";
    case Rung::kCheckpointed: return "checkpointed";
  }
  return "running";
}

SleepDecision NextSleepStep(Rung rung, const SleepSettings& settings, bool in_flight, Millis idle_for) {
  const bool stops = settings.sleep_time_seconds > 0;
  const Millis stop_after = stops ? Millis(settings.sleep_time_seconds * 1000) : Millis::max();
  SleepDecision d;
  if (rung != Rung::kRunning && rung != Rung::kFrozen) return d;  // a transition or asleep already
  if (in_flight) {
    // The idle clock restarts when the request ends; look again a threshold later.
    Millis next = rung == Rung::kRunning && settings.freeze ? std::min(settings.freeze_after, stop_after) : stop_after;
    d.recheck_in = next;
    return d;
  }
  if (stops && idle_for >= stop_after) {
    d.step = SleepStep::kStop;
    return d;
  }
  if (rung == Rung::kRunning && settings.freeze) {
    if (idle_for >= settings.freeze_after) {
      d.step = SleepStep::kFreeze;
      return d;
    }
    d.recheck_in = std::min(settings.freeze_after, stop_after) - idle_for;
    return d;
  }
  if (stops) d.recheck_in = stop_after - idle_for;
  return d;
}

std::vector<std::string> SelectEvictions(std::vector<MemoryCandidate> candidates, int64_t budget_bytes) {
  int64_t total = 0;
  for (const MemoryCandidate& c : candidates) total += c.bytes;
  std::vector<std::string> out;
  if (total <= budget_bytes) return out;
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const MemoryCandidate& a, const MemoryCandidate& b) { return a.last_request < b.last_request; });
  // The most recently used instance stays: stopping the last app that was
  // used cannot help, its next request would start it again at once.
  if (!candidates.empty()) candidates.pop_back();
  for (const MemoryCandidate& c : candidates) {
    if (total <= budget_bytes) break;
    if (!c.evictable) continue;
    out.push_back(c.space_id);
    total -= c.bytes;
  }
  return out;
}

}  // namespace spaceport::runtime
