#include "hub/space_json.h"

#include <algorithm>
#include <array>

#include "core/clock.h"
#include "core/strings.h"
#include "hub/api/space_signals.h"
#include "runtime/stage.h"

namespace spaceport::hub {

Json RuntimeJson(const HubCore& hub, const store::Space& space, const Result<runtime::RuntimeInfo>& info) {
  std::string stage = space.stage;
  std::string error = space.error_message;
  std::string current_hw;
  int replicas = 0;
  int64_t gc_timeout = space.sleep_time_seconds;
  std::string sha = space.sha;
  std::string rung;
  int64_t last_wake_ms = -1;
  bool serving = false;
  if (info.ok()) {
    serving = info->serving;
    rung = info->rung;
    last_wake_ms = info->last_wake_ms;
    stage = runtime::StageName(info->stage);
    error = info->error_message;
    current_hw = info->hardware;
    replicas = info->replicas;
    // gcTimeout stays the stored setting: the control plane's copy of the
    // Space is only refreshed at its next deploy.
    if (!info->sha.empty()) sha = info->sha;
  }
  Json j = {
      {"stage", stage},
      {"hardware", {{"current", current_hw.empty() ? Json(nullptr) : Json(current_hw)}, {"requested", space.hardware}}},
      {"gcTimeout", gc_timeout > 0 ? Json(gc_timeout) : Json(nullptr)},
      {"replicas", {{"current", replicas}, {"requested", 1}}},
      {"domains", Json::array({{{"domain", hub.AppHost(space)}, {"stage", "READY"}}})},
      {"storage", space.storage.empty() ? Json(nullptr) : Json(space.storage)},
      {"sha", sha.empty() ? Json(nullptr) : Json(sha)},
  };
  if (!error.empty()) j["errorMessage"] = error;
  // Spaceport additions (docs/api.md): whether a version serves, the sleep
  // ladder's rung and the last wake's latency.
  j["serving"] = serving;
  j["rung"] = rung.empty() ? Json(nullptr) : Json(rung);
  j["lastWakeMs"] = last_wake_ms >= 0 ? Json(last_wake_ms) : Json(nullptr);
  return j;
}

Json CurrentRuntimeJson(HubCore& hub, const store::Space& space) {
  return RuntimeJson(hub, space, hub.deps().control->Info(space.full_id()));
}

Json SpaceTags(const store::Space& space, const Json& card) {
  Json tags = Json::array();
  if (!space.sdk.empty()) tags.push_back(space.sdk);
  auto it = card.find("tags");
  if (it != card.end() && it->is_array()) {
    for (const Json& t : *it) {
      if (t.is_string() && t != Json(space.sdk)) tags.push_back(t);
    }
  }
  return tags;
}

Json SpaceSummaryJson(const HubCore& hub, const store::Space& space) {
  Json card = ParseStoredJson(space.card_json);
  Json j = {
      {"_id", std::to_string(space.id)},
      {"id", space.full_id()},
      {"author", space.owner},
      {"sha", space.sha.empty() ? Json(nullptr) : Json(space.sha)},
      {"createdAt", FormatIsoTime(space.created_at)},
      {"lastModified", FormatIsoTime(space.last_modified)},
      {"likes", space.likes},
      {"trendingScore", 0},
      {"private", space.is_private},
      {"visibility", store::VisibilityName(space.effective_visibility())},
      {"sdk", space.sdk},
      {"tags", SpaceTags(space, card)},
      {"subdomain", space.subdomain},
  };
  // trendingScore and the directory's signals (Spaceport additions).
  AddSignalsJson(hub, space, false, &j);
  return j;
}

namespace {

// The HF expand fields Spaceport can answer; HF's others (gitalyUid,
// resourceGroup, usedStorage, xetEnabled) are refused like unknown ones.
constexpr std::array<std::string_view, 16> kExpandFields = {
    "author", "cardData", "createdAt", "datasets", "disabled", "lastModified", "likes",   "models",
    "private", "runtime", "sdk",       "sha",      "siblings", "subdomain",    "tags",   "trendingScore"};

Json Siblings(HubCore& hub, const store::Space& space) {
  Json siblings = Json::array();
  if (space.sha.empty()) return siblings;
  auto files = hub.file_lists().Get(space.owner, space.name, space.sha);
  if (!files.ok()) return siblings;
  for (const std::string& path : **files) siblings.push_back({{"rfilename", path}});
  return siblings;
}

// A card key that HF lists as an array of names (models, datasets).
Json CardList(const Json& card, const char* key) {
  auto it = card.find(key);
  if (it == card.end()) return Json::array();
  if (it->is_string()) return Json::array({*it});
  return it->is_array() ? *it : Json::array();
}

}  // namespace

Result<std::vector<std::string>> ParseExpandFields(std::string_view query) {
  std::vector<std::string> raw = QueryParams(query, "expand");
  for (std::string& v : QueryParams(query, "expand[]")) raw.push_back(std::move(v));
  std::vector<std::string> fields;
  for (const std::string& value : raw) {
    for (const std::string& field : Split(value, ',')) {
      if (field.empty()) continue;
      if (std::find(kExpandFields.begin(), kExpandFields.end(), field) == kExpandFields.end()) {
        std::string known;
        for (std::string_view k : kExpandFields) known += (known.empty() ? "" : ", ") + std::string(k);
        return Status::InvalidArgument("\"expand\" must be one of [" + known + "]: got '" + field + "'");
      }
      if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(field);
    }
  }
  return fields;
}

Json ExpandedSpaceJson(HubCore& hub, const store::Space& space, const std::vector<std::string>& fields) {
  Json summary = SpaceSummaryJson(hub, space);
  Json card = ParseStoredJson(space.card_json);
  Json j = {{"_id", summary["_id"]}, {"id", summary["id"]}};
  for (const std::string& f : fields) {
    if (f == "cardData") {
      j[f] = card;
    } else if (f == "datasets" || f == "models") {
      j[f] = CardList(card, f.c_str());
    } else if (f == "disabled") {
      j[f] = !space.disabled.empty();
    } else if (f == "runtime") {
      j[f] = CurrentRuntimeJson(hub, space);
    } else if (f == "siblings") {
      j[f] = Siblings(hub, space);
    } else {
      j[f] = summary[f];  // every other field is in the summary
    }
  }
  return j;
}

Json SpaceInfoJson(HubCore& hub, const store::Space& space) {
  Json j = SpaceSummaryJson(hub, space);
  Json card = ParseStoredJson(space.card_json);
  j["cardData"] = card;
  std::string gate = hub.GateOf(space);  // as on HF: false, "auto" or "manual"
  j["gated"] = gate.empty() ? Json(false) : Json(gate);
  j["disabled"] = !space.disabled.empty();
  if (!space.disabled.empty()) j["disabledNotice"] = space.disabled;
  j["host"] = hub.AppUrl(space);
  j["runtime"] = CurrentRuntimeJson(hub, space);
  j["siblings"] = Siblings(hub, space);
  j["models"] = CardList(card, "models");
  j["datasets"] = CardList(card, "datasets");
  AddSignalsJson(hub, space, true, &j);  // with health
  return j;
}

}  // namespace spaceport::hub
