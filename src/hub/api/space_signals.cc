#include "hub/api/space_signals.h"

#include <cmath>

#include "core/clock.h"
#include "core/log.h"
#include "directory/fingerprint.h"
#include "directory/health.h"
#include "directory/signals.h"
#include "directory/trending.h"

namespace spaceport::hub {
namespace {

constexpr size_t kMaxFingerprintFiles = 500;
constexpr int64_t kMaxFingerprintFileBytes = 256 * 1024;
constexpr int64_t kMaxFingerprintBytes = 4 * 1024 * 1024;

Json HealthJson(const directory::Health& h) {
  return {{"verified", h.verified},
          {"lastProbeAt", h.last_probe_at != 0 ? Json(FormatIsoTime(h.last_probe_at)) : Json(nullptr)},
          {"lastProbeOk", h.last_probe_at != 0 ? Json(h.last_probe_ok) : Json(nullptr)},
          {"uptime30d", h.uptime30d ? Json(std::round(*h.uptime30d * 10000.0) / 10000.0) : Json(nullptr)}};
}

Result<directory::Signals*> RequireSignals(HubCore& hub) {
  if (hub.deps().signals == nullptr) return Status::FailedPrecondition("this server keeps no directory signals");
  return hub.deps().signals;
}

Status HandleHealth(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(directory::Signals * signals, RequireSignals(hub));
  ASSIGN_OR_RETURN(directory::Health h, signals->HealthOf(space.id));
  Json j = HealthJson(h);
  j["lastProbeStatus"] = h.last_status != 0 ? Json(h.last_status) : Json(nullptr);
  j["lastProbeDetail"] = h.last_detail;
  j["answers48h"] = h.answers;
  j["errors48h"] = h.errors;
  return call.SendJson(200, j);
}

// POST .../health/probe: the owner asks for a probe now (once a minute).
Status HandleProbeNow(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(directory::Signals * signals, RequireSignals(hub));
  if (hub.deps().prober == nullptr) return Status::FailedPrecondition("this server runs no health probes");
  ASSIGN_OR_RETURN(bool probed, hub.deps().prober->ProbeNow(owned.space.id));
  ASSIGN_OR_RETURN(directory::Health h, signals->HealthOf(owned.space.id));
  Json j = HealthJson(h);
  j["probed"] = probed;
  j["lastProbeDetail"] = h.last_detail;
  return call.SendJson(200, j);
}

Status HandleArchive(HubCore& hub, Call& call, bool archived) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(directory::Signals * signals, RequireSignals(hub));
  RETURN_IF_ERROR(signals->SetArchived(owned.space.id, archived));
  ASSIGN_OR_RETURN(store::DirectorySignals s, signals->directory()->store()->Signals(owned.space.id));
  return call.SendJson(200, {{"archived", s.archived}, {"abandoned", s.abandoned}});
}

// The app's files at `sha` for its fingerprint: paths and blob ids of all
// (up to a cap), contents of the small text ones.
Result<std::vector<directory::SpaceFile>> FilesAt(HubCore& hub, const store::Space& space, const std::string& sha) {
  repo::RepoStore* repos = hub.deps().repos;
  ASSIGN_OR_RETURN(std::vector<repo::TreeEntry> tree, repos->ListTree(space.owner, space.name, sha, "", true));
  std::vector<directory::SpaceFile> files;
  int64_t read = 0;
  for (const repo::TreeEntry& e : tree) {
    if (e.type != "file" || !directory::FingerprintCounts(e.path)) continue;
    if (files.size() >= kMaxFingerprintFiles) break;
    directory::SpaceFile f{e.path, e.lfs ? e.lfs->oid : e.oid, "", false};
    if (!e.lfs && e.size <= kMaxFingerprintFileBytes && read + e.size <= kMaxFingerprintBytes) {
      Result<std::string> content = repos->ReadFile(space.owner, space.name, sha, e.path);
      if (content.ok() && content->find('\0') == std::string::npos) {
        read += e.size;
        f.content = std::move(content).value();
        f.read = true;
      }
    }
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace

void AddSignalsJson(const HubCore& hub, const store::Space& space, bool with_health, Json* j) {
  directory::Directory* directory = hub.deps().directory;
  if (directory == nullptr) return;
  Result<store::DirectorySignals> s = directory->store()->Signals(space.id);
  if (!s.ok()) return;  // not indexed yet: the defaults stand
  const int64_t now = hub.deps().clock->UnixMillis();
  (*j)["trendingScore"] = std::llround(directory::ScoreAt(s->trending_key, now));
  (*j)["verified"] = s->verified;
  (*j)["abandoned"] = s->abandoned;
  (*j)["archived"] = s->archived;
  Json duplicate_of = nullptr;
  if (s->duplicate_of != 0) {
    if (Result<store::Space> original = hub.deps().store->GetSpaceById(s->duplicate_of); original.ok()) {
      duplicate_of = original->full_id();
    }
  }
  (*j)["duplicateOf"] = duplicate_of;
  if (with_health && hub.deps().signals != nullptr) {
    if (Result<directory::Health> h = hub.deps().signals->HealthOf(space.id); h.ok()) (*j)["health"] = HealthJson(*h);
    (*j)["likeBurstAt"] = s->like_burst_at != 0 ? Json(FormatIsoTime(s->like_burst_at)) : Json(nullptr);
  }
}

void SignalsAfterPush(HubCore& hub, const store::Space& space, const std::string& sha) {
  directory::Signals* signals = hub.deps().signals;
  if (signals == nullptr) return;
  if (hub.deps().prober != nullptr) hub.deps().prober->AfterDeploy(space.id, sha);
  Result<std::vector<directory::SpaceFile>> files = FilesAt(hub, space, sha);
  Status s = files.ok() ? signals->OnFiles(space, *files).status() : files.status();
  if (s.ok()) s = signals->ReviewAbandoned(space.id);
  if (!s.ok()) {
    SP_LOG(kWarn) << "directory: signals of " << space.full_id() << " after a push: " << s.message();
  }
}

void RegisterSignalsApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/api/spaces/:owner/:name";
  router.Add("GET", base + "/health", [h](Call& c) { return HandleHealth(*h, c); });
  router.Add("POST", base + "/health/probe", [h](Call& c) { return HandleProbeNow(*h, c); });
  router.Add("POST", base + "/archive", [h](Call& c) { return HandleArchive(*h, c, true); });
  router.Add("DELETE", base + "/archive", [h](Call& c) { return HandleArchive(*h, c, false); });
}

}  // namespace spaceport::hub
