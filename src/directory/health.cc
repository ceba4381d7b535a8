#include "directory/health.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/strings.h"

namespace spaceport::directory {
namespace {

constexpr int64_t kDeployWaitMs = 30 * 60 * 1000;  // a deploy not done by then: the schedule covers it
constexpr int64_t kRetrySoonMs = 60 * 1000;

bool Building(const std::string& stage) {
  return stage == "BUILDING" || stage == "APP_STARTING" || stage == "RUNNING_BUILDING" ||
         stage == "RUNNING_APP_STARTING";
}

}  // namespace

void Prober::AfterDeploy(int64_t space_id, const std::string& sha) {
  std::lock_guard lock(mu_);
  deploys_[space_id] = {sha, clock_->UnixMillis()};
}

bool Prober::Passes(const card::ProbeSpec& spec, const ProbeAnswer& a, std::string* why) {
  if (a.status == 0) {
    *why = a.error.empty() ? "no answer" : a.error;
    return false;
  }
  const bool status_ok = spec.expect_status != 0 ? a.status == spec.expect_status : a.status >= 200 && a.status < 400;
  if (!status_ok) {
    *why = "status " + std::to_string(a.status) +
           (spec.expect_status != 0 ? " (expected " + std::to_string(spec.expect_status) + ")" : "");
    return false;
  }
  if (!spec.expect_text.empty() && a.body.find(spec.expect_text) == std::string::npos) {
    *why = "the answer does not contain \"" + spec.expect_text + "\"";
    return false;
  }
  return true;
}

Status Prober::Schedule(int64_t space_id, int64_t at) {
  return signals_->directory()->store()->ScheduleProbe(space_id, at);
}

Result<bool> Prober::Probe(const store::Space& space, bool after_deploy) {
  const int64_t now = clock_->UnixMillis();
  const int64_t next = now + options_.interval.count();
  // Private and protected Spaces are not probed; nor are disabled ones (their
  // app answers only the moderators' notice).
  if (space.is_private || space.effective_visibility() != store::Visibility::kPublic || !space.disabled.empty()) {
    RETURN_IF_ERROR(Schedule(space.id, next));
    return false;
  }
  ASSIGN_OR_RETURN(ProbeTarget target, deps_.target(space));
  if (target.stage == "NO_APP_FILE" || target.stage == "PAUSED" || target.stage.empty()) {
    RETURN_IF_ERROR(Schedule(space.id, next));  // nothing to run: nothing to verify
    return false;
  }
  if (Building(target.stage) && !target.serving) {
    RETURN_IF_ERROR(Schedule(space.id, now + kRetrySoonMs));
    return false;
  }
  store::ProbeRecord record;
  record.space_id = space.id;
  record.at = now;
  if (!target.serving) {
    // A failed build or a crashed app: nothing answers.
    record.detail = target.stage;
    RETURN_IF_ERROR(signals_->RecordProbe(record, next));
    return true;
  }
  if (target.asleep && !after_deploy) {
    ASSIGN_OR_RETURN(store::HealthSummary h, signals_->directory()->store()->Health(space.id, now));
    if (h.last_woke_at != 0 && now - h.last_woke_at < options_.wake_interval.count()) {
      RETURN_IF_ERROR(Schedule(space.id, h.last_woke_at + options_.wake_interval.count()));
      return false;
    }
  }
  card::ProbeSpec spec;
  const nlohmann::json card = nlohmann::json::parse(space.card_json, nullptr, false);
  if (auto sp = card.is_object() ? card.find("spaceport") : card.end(); sp != card.end() && sp->is_object()) {
    if (auto p = sp->find("probe"); p != sp->end()) {
      Result<card::ProbeSpec> declared = card::ProbeSpecFromJson(*p);
      if (declared.ok()) spec = std::move(declared).value();
    }
  }
  ProbeAnswer answer = deps_.send(space, spec);
  record.status = answer.status;
  record.woke = target.asleep;
  record.ok = Passes(spec, answer, &record.detail);
  RETURN_IF_ERROR(signals_->RecordProbe(record, next));
  return true;
}

Result<bool> Prober::ProbeNow(int64_t space_id) {
  ASSIGN_OR_RETURN(store::Space space, store_->GetSpaceById(space_id));
  {
    const int64_t now = clock_->UnixMillis();
    std::lock_guard lock(mu_);
    std::erase_if(asked_, [&](const auto& e) { return now - e.second >= kProbeNowEveryMs; });
    if (!asked_.try_emplace(space_id, now).second) {
      return Status::ResourceExhausted("a probe of this Space ran less than a minute ago");
    }
  }
  return Probe(space, true);
}

int Prober::Tick() {
  const int64_t now = clock_->UnixMillis();
  int recorded = 0;
  std::map<int64_t, std::pair<std::string, int64_t>> deploys;
  {
    std::lock_guard lock(mu_);
    deploys = deploys_;
  }
  for (const auto& [id, pending] : deploys) {
    const auto& [sha, since] = pending;
    bool done = now - since > kDeployWaitMs;
    Result<store::Space> space = store_->GetSpaceById(id);
    if (space.ok() && !done) {
      Result<ProbeTarget> target = deps_.target(*space);
      // Deployed (this commit serves) or failed for good: probe now.
      done = !target.ok() || (target->sha == sha && !Building(target->stage)) ||
             (!target->serving && !Building(target->stage) && target->stage != "NO_APP_FILE");
      if (done && target.ok()) {
        Result<bool> probed = Probe(*space, true);
        if (!probed.ok()) {
          SP_LOG(kWarn) << "directory: probing " << space->full_id() << ": " << probed.status().message();
        } else if (*probed) {
          ++recorded;
        }
      }
    }
    if (done || !space.ok()) {
      std::lock_guard lock(mu_);
      auto it = deploys_.find(id);
      if (it != deploys_.end() && it->second == pending) deploys_.erase(it);
    }
  }
  Result<std::vector<int64_t>> due = signals_->directory()->store()->DueForProbe(now, options_.batch);
  if (!due.ok()) {
    SP_LOG(kWarn) << "directory: listing probes due: " << due.status().message();
    return recorded;
  }
  for (int64_t id : *due) {
    Result<store::Space> space = store_->GetSpaceById(id);
    Result<bool> probed = space.ok() ? Probe(*space, false) : Result<bool>(space.status());
    if (!probed.ok()) {
      SP_LOG(kWarn) << "directory: probing Space " << id << ": " << probed.status().message();
      // Not again at once: a broken Space must not hold the queue's head.
      (void)Schedule(id, now + options_.interval.count());
    } else if (*probed) {
      ++recorded;
    }
  }
  return recorded;
}

}  // namespace spaceport::directory
