// POST /api/repos/move {fromRepo, toRepo, type: "space"}: renames a Space.
//
// Order: repository dir, then the store row (undoing the first when the
// second fails), then the control plane, which re-keys its state, moves the
// Space's /data and serves it under the new name (the app restarts). The old
// id is simply gone afterwards (404): no redirect is kept.
#include "core/log.h"
#include "core/strings.h"
#include "hub/hub_core.h"
#include "store/validation.h"

namespace spaceport::hub {
namespace {

struct RepoId {
  std::string owner;
  std::string name;
};

Result<RepoId> ParseRepoId(const Json& body, const char* key) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, OptString(body, key));
  size_t slash = text ? text->find('/') : std::string::npos;
  if (slash == std::string::npos || text->find('/', slash + 1) != std::string::npos) {
    return Status::InvalidArgument(std::string("'") + key + "' must be \"owner/name\"");
  }
  return RepoId{text->substr(0, slash), text->substr(slash + 1)};
}

// The new name's owner must be the caller (organizations are not hosted
// yet), and the name must be one a Space can have.
Status CheckTarget(RepoId& to, const access::Principal& who) {
  if (!EqualsIgnoreCase(to.owner, who.user.name)) {
    return Status::PermissionDenied("you can only move Spaces to your own namespace (" + who.user.name + ")");
  }
  to.owner = who.user.name;  // canonical spelling
  if (!store::IsValidSpaceName(to.name) || !repo::IsValidRepoName(to.name)) {
    return Status::InvalidArgument("invalid Space name '" + to.name +
                                   "': use letters, digits, '-', '_' and '.', starting with a letter or digit");
  }
  return Status::Ok();
}

// 409 when another Space has the name or the app host name.
Status CheckFree(HubCore& hub, const store::Space& moving, const RepoId& to, const std::string& subdomain) {
  store::Store* s = hub.deps().store;
  if (Result<store::Space> other = s->GetSpace(to.owner, to.name); other.ok() && other->id != moving.id) {
    return Status::AlreadyExists("the Space " + other->full_id() + " already exists");
  }
  if (Result<store::Space> other = s->GetSpaceBySubdomain(subdomain); other.ok() && other->id != moving.id) {
    return Status::AlreadyExists("the app host name '" + subdomain + "' is already taken by Space " +
                                 other->full_id() + "; choose another name");
  }
  return Status::Ok();
}

Status HandleMove(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> type, OptString(body, "type"));
  if (type.value_or("") != "space") {
    return Status::InvalidArgument("only Spaces are hosted here: send \"type\": \"space\"");
  }
  ASSIGN_OR_RETURN(RepoId from, ParseRepoId(body, "fromRepo"));
  ASSIGN_OR_RETURN(RepoId to, ParseRepoId(body, "toRepo"));
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, from.owner, from.name, /*need_write=*/true));
  RETURN_IF_ERROR(CheckTarget(to, who));
  const store::Space& space = owned.space;
  if (to.owner == space.owner && to.name == space.name) {
    return Status::InvalidArgument("'toRepo' is the Space's current name");
  }
  ASSIGN_OR_RETURN(std::string subdomain, store::MakeSubdomain(to.owner, to.name));
  RETURN_IF_ERROR(CheckFree(hub, space, to, subdomain));

  const HubDeps& d = hub.deps();
  RETURN_IF_ERROR(d.repos->Move(space.owner, space.name, to.owner, to.name).WithContext("moving the repository"));
  Status renamed = d.store->RenameSpace(space.id, to.owner, to.name, subdomain);
  if (!renamed.ok()) {
    Status back = d.repos->Move(to.owner, to.name, space.owner, space.name);
    if (!back.ok()) {
      SP_LOG(kError) << "moving " << space.full_id() << " back: " << back.message();
    }
    return renamed;
  }
  ASSIGN_OR_RETURN(store::Space moved, d.store->GetSpaceById(space.id));
  hub.PublishAccess(moved);  // before the new route exists: a private app never shows under its new name
  Status told = d.control->Rename(space.full_id(), moved);
  hub.ForgetAccess(space.full_id());
  if (told.code() == StatusCode::kNotFound) {  // unknown to the control plane: start afresh
    d.control->OnCreated(moved);
    if (!moved.sha.empty()) d.control->OnPush(moved, moved.sha);
  } else if (!told.ok()) {
    SP_LOG(kWarn) << "renaming " << space.full_id() << " in the control plane: " << told.message();
  }
  return call.SendJson(200, {{"url", hub.SpaceUrl(moved)}, {"id", moved.full_id()}, {"name", moved.full_id()}});
}

}  // namespace

void RegisterMoveApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("POST", "/api/repos/move", [h](Call& c) { return HandleMove(*h, c); });
}

}  // namespace spaceport::hub
