// Gated Spaces, in HF's shape: the owner turns gating on (PUT .../settings
// {gated: "auto"|"manual"|false}); a signed-in visitor asks for access
// (POST .../ask-access with the card's custom fields); the owner lists
// requests by status and handles or grants them. Every change is copied to
// the edge's AccessTable at once (HubCore::PublishAccess), so the app opens
// or closes for that visitor on the next request.
#include "core/clock.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

Status PublishAfter(HubCore& hub, const store::Space& space, Status status) {
  if (status.ok()) hub.PublishAccess(space);
  return status;
}

Status HandleSettings(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  if (body.contains("gated")) {
    const Json& g = body["gated"];
    std::string mode;
    if (g.is_string()) {
      mode = g.get<std::string>();
    } else if (!(g.is_boolean() && !g.get<bool>())) {
      return Status::InvalidArgument("gated must be false, \"auto\" or \"manual\"");
    }
    RETURN_IF_ERROR(PublishAfter(hub, owned.space, hub.deps().store->SetGate(owned.space.id, mode)));
  }
  ASSIGN_OR_RETURN(std::string mode, hub.deps().store->GetGate(owned.space.id));
  return call.SendJson(200, {{"gated", mode.empty() ? Json(false) : Json(mode)}});
}

// The visitor's answers: a JSON object of strings (or a form), at most 64 KiB.
Result<Json> ReadFields(Call& call) {
  auto type = call.request.headers.Get("Content-Type");
  if (type && type->find("application/x-www-form-urlencoded") != std::string_view::npos) {
    ASSIGN_OR_RETURN(std::string form, call.body.ReadAll(64 * 1024));
    Json fields = Json::object();
    for (const std::string& pair : Split(form, '&')) {
      size_t eq = pair.find('=');
      if (pair.empty() || eq == 0) continue;
      std::string key = UrlDecode(pair.substr(0, eq));
      if (key != "csrf") fields[key] = eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1));
    }
    return fields;
  }
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  for (const auto& [k, v] : body.items()) {
    if (!v.is_string()) return Status::InvalidArgument("field '" + k + "' must be a string");
  }
  return body;
}

Status HandleAskAccess(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(store::Space space, hub.ReadableSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(std::string mode, hub.deps().store->GetGate(space.id));
  if (mode.empty()) return Status::InvalidArgument("Space " + space.full_id() + " is not gated");
  ASSIGN_OR_RETURN(Json fields, ReadFields(call));
  store::AccessRequestStatus initial =
      mode == "auto" ? store::AccessRequestStatus::kAccepted : store::AccessRequestStatus::kPending;
  Result<store::AccessRequest> made =
      hub.deps().store->RequestAccess(space.id, who.user.id, DumpJson(fields), initial, hub.deps().clock->UnixMillis());
  if (made.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("you already asked for access to " + space.full_id());
  }
  RETURN_IF_ERROR(made.status());
  hub.PublishAccess(space);
  return call.SendJson(200, {{"status", std::string(store::AccessRequestStatusName(made->status))}});
}

Json RequestJson(const store::AccessRequest& r) {
  Json fields = ParseStoredJson(r.fields_json);
  Json out = {{"user", {{"user", r.user_name}, {"fullname", r.user_name}, {"type", "user"}}},
              {"status", std::string(store::AccessRequestStatusName(r.status))},
              {"timestamp", FormatIsoTime(r.created_at)},
              {"fields", fields}};
  if (!r.rejection_reason.empty()) out["rejectionReason"] = r.rejection_reason;
  return out;
}

Status HandleList(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), false));
  std::optional<store::AccessRequestStatus> status = store::ParseAccessRequestStatus(call.Param("status"));
  if (!status) return Status::NotFound("status must be pending, accepted or rejected");
  ASSIGN_OR_RETURN(std::vector<store::AccessRequest> list,
                   hub.deps().store->ListAccessRequests(owned.space.id, *status));
  Json out = Json::array();
  for (const store::AccessRequest& r : list) out.push_back(RequestJson(r));
  return call.SendJson(200, out);
}

// handle {user, status, rejectionReason?} and grant {user}.
Status HandleDecision(HubCore& hub, Call& call, bool grant) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> user_name, OptString(body, "user"));
  if (!user_name) return Status::InvalidArgument("user is required");
  store::AccessRequestStatus status = store::AccessRequestStatus::kAccepted;
  if (!grant) {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptString(body, "status"));
    std::optional<store::AccessRequestStatus> parsed = store::ParseAccessRequestStatus(s.value_or(""));
    if (!parsed) return Status::InvalidArgument("status must be pending, accepted or rejected");
    status = *parsed;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> reason, OptString(body, "rejectionReason"));
  Result<store::User> user = hub.deps().store->GetUserByName(*user_name);
  if (user.status().code() == StatusCode::kNotFound) return Status::NotFound("user " + *user_name + " not found");
  RETURN_IF_ERROR(user.status());
  RETURN_IF_ERROR(PublishAfter(hub, owned.space,
                               hub.deps().store->DecideAccess(owned.space.id, user->id, status, reason.value_or(""),
                                                              hub.deps().clock->UnixMillis())));
  return call.SendJson(200, {{"user", user->name}, {"status", std::string(store::AccessRequestStatusName(status))}});
}

}  // namespace

void RegisterGatedApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/api/spaces/:owner/:name";
  router.Add("PUT", base + "/settings", [h](Call& c) { return HandleSettings(*h, c); });
  router.Add("POST", base + "/ask-access", [h](Call& c) { return HandleAskAccess(*h, c); });
  router.Add("GET", base + "/user-access-request/:status", [h](Call& c) { return HandleList(*h, c); });
  router.Add("POST", base + "/user-access-request/handle", [h](Call& c) { return HandleDecision(*h, c, false); });
  router.Add("POST", base + "/user-access-request/grant", [h](Call& c) { return HandleDecision(*h, c, true); });
}

}  // namespace spaceport::hub
