// Gated Spaces, in HF's shape: the owner turns gating on (PUT .../settings
// {gated: "auto"|"manual"|false}, and changes the visibility there too:
// {private: bool} or {visibility: "public"|"protected"|"private"}); a signed-in visitor asks for access
// (POST .../ask-access with answers to the card's custom fields); the owner
// lists requests by status and handles or grants them. The work is shared
// with the web pages (hub/gate.h): every change reaches the edge's
// AccessTable at once, so the app opens or closes for that visitor on the
// next request.
#include "core/clock.h"
#include "core/strings.h"
#include "hub/gate.h"

namespace spaceport::hub {
namespace {

// The visibility asked for: "visibility" (public, protected or private)
// and/or "private" (true: private; false: public if private now, else as
// it is); nullopt when neither is given.
Result<std::optional<store::Visibility>> RequestedVisibility(const Json& body, const store::Space& space) {
  std::optional<store::Visibility> out;
  if (body.contains("visibility")) {
    const Json& v = body["visibility"];
    std::optional<store::Visibility> parsed =
        v.is_string() ? store::ParseVisibility(v.get<std::string>()) : std::nullopt;
    if (!parsed) return Status::InvalidArgument("visibility must be \"public\", \"protected\" or \"private\"");
    out = parsed;
  }
  if (body.contains("private")) {
    const Json& p = body["private"];
    if (!p.is_boolean()) return Status::InvalidArgument("private must be true or false");
    const bool make_private = p.get<bool>();
    if (out && (*out == store::Visibility::kPrivate) != make_private) {
      return Status::InvalidArgument("private and visibility disagree");
    }
    if (!out) {
      const store::Visibility now = space.effective_visibility();
      out = make_private ? store::Visibility::kPrivate
                         : (now == store::Visibility::kPrivate ? store::Visibility::kPublic : now);
    }
  }
  return out;
}

Status HandleSettings(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  // Everything checked before anything changes.
  ASSIGN_OR_RETURN(std::optional<store::Visibility> visibility, RequestedVisibility(body, owned.space));
  std::optional<std::string> gate;
  if (body.contains("gated")) {
    const Json& g = body["gated"];
    if (g.is_boolean() && !g.get<bool>()) {
      gate = "";
    } else if (g.is_string() && (g.get<std::string>() == "auto" || g.get<std::string>() == "manual")) {
      gate = g.get<std::string>();
    } else {
      return Status::InvalidArgument("gated must be false, \"auto\" or \"manual\"");
    }
  }
  if (visibility) RETURN_IF_ERROR(SetSpaceVisibility(hub, owned.space, *visibility));
  if (gate) RETURN_IF_ERROR(SetGateMode(hub, owned.space, *gate));
  ASSIGN_OR_RETURN(std::string mode, hub.deps().store->GetGate(owned.space.id));
  ASSIGN_OR_RETURN(store::Space now, hub.deps().store->GetSpaceById(owned.space.id));
  return call.SendJson(200, {{"gated", mode.empty() ? Json(false) : Json(mode)},
                             {"private", now.effective_visibility() == store::Visibility::kPrivate},
                             {"visibility", std::string(store::VisibilityName(now.effective_visibility()))}});
}

// The visitor's answers: a JSON object of strings (booleans count as
// "true"/"false", for checkboxes) or a form, at most 64 KiB.
Result<Json> ReadAnswers(Call& call) {
  auto type = call.request.headers.Get("Content-Type");
  if (type && type->find("application/x-www-form-urlencoded") != std::string_view::npos) {
    ASSIGN_OR_RETURN(std::string form, call.body.ReadAll(64 * 1024));
    return FormAnswers(form);
  }
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  for (auto it = body.begin(); it != body.end(); ++it) {
    Json& v = it.value();
    if (v.is_boolean()) v = v.get<bool>() ? "true" : "false";
    if (!v.is_string()) return Status::InvalidArgument("field '" + it.key() + "' must be a string");
  }
  return body;
}

Status HandleAskAccess(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(Json answers, ReadAnswers(call));
  ASSIGN_OR_RETURN(store::AccessRequest made, AskAccess(hub, space, who, answers));
  return call.SendJson(200, {{"status", std::string(store::AccessRequestStatusName(made.status))}});
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
  RETURN_IF_ERROR(DecideAccess(hub, owned.space, *user_name, status, reason.value_or("")));
  return call.SendJson(200, {{"user", *user_name}, {"status", std::string(store::AccessRequestStatusName(status))}});
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
