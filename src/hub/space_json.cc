#include "hub/space_json.h"

#include "core/clock.h"

namespace spaceport::hub {

Json RuntimeJson(const HubCore& hub, const store::Space& space, const Result<runtime::RuntimeInfo>& info) {
  std::string stage = space.stage;
  std::string error = space.error_message;
  std::string current_hw;
  int replicas = 0;
  int64_t gc_timeout = space.sleep_time_seconds;
  std::string sha = space.sha;
  if (info.ok()) {
    if (!info->stage.empty()) stage = info->stage;
    error = info->error_message;
    current_hw = info->hardware;
    replicas = info->replicas;
    if (info->gc_timeout_seconds != 0) gc_timeout = info->gc_timeout_seconds;
    if (!info->sha.empty()) sha = info->sha;
  }
  Json j = {
      {"stage", stage},
      {"hardware", {{"current", current_hw.empty() ? Json(nullptr) : Json(current_hw)}, {"requested", space.hardware}}},
      {"gcTimeout", gc_timeout > 0 ? Json(gc_timeout) : Json(nullptr)},
      {"replicas", {{"current", replicas}, {"requested", 1}}},
      {"domains", Json::array({{{"domain", hub.AppHost(space)}, {"stage", "READY"}}})},
      {"storage", nullptr},
      {"sha", sha.empty() ? Json(nullptr) : Json(sha)},
  };
  if (!error.empty()) j["errorMessage"] = error;
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
  return {
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
}

Json SpaceInfoJson(HubCore& hub, const store::Space& space) {
  Json j = SpaceSummaryJson(hub, space);
  Json card = ParseStoredJson(space.card_json);
  j["cardData"] = card;
  j["gated"] = false;
  j["disabled"] = false;
  j["host"] = hub.AppUrl(space);
  j["runtime"] = CurrentRuntimeJson(hub, space);
  Json siblings = Json::array();
  if (!space.sha.empty()) {
    auto tree = hub.deps().repos->ListTree(space.owner, space.name, space.sha, "", true);
    if (tree.ok()) {
      for (const repo::TreeEntry& e : *tree) {
        if (e.type == "file") siblings.push_back({{"rfilename", e.path}});
      }
    }
  }
  j["siblings"] = siblings;
  return j;
}

}  // namespace spaceport::hub
