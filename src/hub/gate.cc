#include "hub/gate.h"

#include "core/clock.h"
#include "core/strings.h"

namespace spaceport::hub {

card::GateForm GateFormOf(const store::Space& space) {
  return card::GateFormFromCardData(ParseStoredJson(space.card_json));
}

Json FormAnswers(std::string_view form_body) {
  Json fields = Json::object();
  for (const std::string& pair : Split(form_body, '&')) {
    size_t eq = pair.find('=');
    if (pair.empty() || eq == 0) continue;
    std::string key = UrlDecode(pair.substr(0, eq));
    if (key != "csrf") fields[key] = eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1));
  }
  return fields;
}

Status SetGateMode(HubCore& hub, const store::Space& space, std::string_view mode) {
  RETURN_IF_ERROR(hub.deps().store->SetGate(space.id, mode));
  hub.PublishAccess(space);
  return Status::Ok();
}

Status SetSpaceVisibility(HubCore& hub, const store::Space& space, store::Visibility visibility) {
  RETURN_IF_ERROR(hub.deps().store->SetSpaceVisibility(space.id, visibility));
  ASSIGN_OR_RETURN(store::Space fresh, hub.deps().store->GetSpaceById(space.id));
  hub.PublishAccess(fresh);
  return Status::Ok();
}

Result<store::AccessRequest> AskAccess(HubCore& hub, const store::Space& space, const access::Principal& who,
                                       const Json& answers) {
  ASSIGN_OR_RETURN(std::string mode, hub.deps().store->GetGate(space.id));
  if (mode.empty()) return Status::InvalidArgument("Space " + space.full_id() + " is not gated");
  RETURN_IF_ERROR(card::CheckGateAnswers(GateFormOf(space), answers));
  store::AccessRequestStatus initial =
      mode == "auto" ? store::AccessRequestStatus::kAccepted : store::AccessRequestStatus::kPending;
  Result<store::AccessRequest> made = hub.deps().store->RequestAccess(space.id, who.user.id, DumpJson(answers), initial,
                                                                      hub.deps().clock->UnixMillis());
  if (made.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("you already asked for access to " + space.full_id());
  }
  RETURN_IF_ERROR(made.status());
  hub.PublishAccess(space);
  return made;
}

Status DecideAccess(HubCore& hub, const store::Space& space, const std::string& user_name,
                    store::AccessRequestStatus status, const std::string& reason) {
  if (reason.size() > kMaxRejectionReasonBytes) {
    return Status::InvalidArgument("the rejection reason is longer than " + std::to_string(kMaxRejectionReasonBytes) +
                                   " bytes");
  }
  Result<store::User> user = hub.deps().store->GetUserByName(user_name);
  if (user.status().code() == StatusCode::kNotFound) return Status::NotFound("user " + user_name + " not found");
  RETURN_IF_ERROR(user.status());
  RETURN_IF_ERROR(hub.deps().store->DecideAccess(space.id, user->id, status, reason, hub.deps().clock->UnixMillis()));
  hub.PublishAccess(space);
  return Status::Ok();
}

Result<std::optional<store::AccessRequest>> OwnAccessRequest(HubCore& hub, const store::Space& space, int64_t user_id) {
  Result<store::AccessRequest> r = hub.deps().store->GetAccessRequest(space.id, user_id);
  if (r.status().code() == StatusCode::kNotFound) return std::optional<store::AccessRequest>();
  RETURN_IF_ERROR(r.status());
  return std::optional<store::AccessRequest>(std::move(*r));
}

}  // namespace spaceport::hub
