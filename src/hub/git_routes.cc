// Git smart HTTP for Space repositories: /spaces/{owner}/{name}[.git]/...
//
// Fetch: public Spaces to anyone, protected and private ones to the owner and
// members of the owning organization. Push: the owner or a write member, with
// a write token. Anonymous callers are asked for credentials (401 with
// WWW-Authenticate) whenever credentials could change the answer, so git
// prompts or uses its credential helper.
#include "core/log.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

std::string RepoNameParam(const Call& call) {
  std::string name = call.Param("name");
  if (EndsWith(name, ".git")) name.resize(name.size() - 4);
  return name;
}

// Who may do `op` on owner/name: returns the Space or the error to send.
Result<store::Space> AuthorizeGit(HubCore& hub, Call& call, const std::string& owner, const std::string& name,
                                  repo::GitOp op) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  const Status ask = Status::Unauthenticated("authentication required for " + owner + "/" + name);
  Result<store::Space> space = hub.FindSpace(owner, name);
  if (!space.ok()) return who ? space.status() : ask;
  access::AccessLevel level = hub.LevelOn(who, *space);
  if (!access::CanRead(level, *space)) {
    return who ? Status::NotFound("Space " + space->full_id() + " not found") : ask;
  }
  if (op == repo::GitOp::kPush) {
    if (!who) return ask;
    if (level < access::AccessLevel::kWrite) {
      return Status::PermissionDenied("you need write access to push to " + space->full_id());
    }
    if (!who->can_write()) return Status::PermissionDenied("this token is read-only; push needs a write token");
  }
  return space;
}

Status HandleGit(HubCore& hub, Call& call, const std::string& git_path) {
  const http::Request& req = call.request;
  repo::GitOp op = repo::ClassifyGitRequest(req.method, git_path, req.query);
  if (op == repo::GitOp::kNone) return Status::NotFound("only the git smart HTTP protocol is served here");
  std::string owner = call.Param("owner");
  std::string name = RepoNameParam(call);
  ASSIGN_OR_RETURN(store::Space space, AuthorizeGit(hub, call, owner, name, op));
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  const HubDeps& d = hub.deps();
  int64_t space_id = space.id;
  auto on_push = [&hub, space_id](const std::string& sha) { hub.RecordPush(space_id, sha); };
  int64_t room = 0;
  if (op == repo::GitOp::kPush && git_path == "/git-receive-pack") {
    RETURN_IF_ERROR(hub.CheckRepoRoom(space, 1));  // already full: no push at all
    room = hub.RepoRoomLeft(space);
    if (room == INT64_MAX) room = 0;
  }
  d.git->Serve(space.owner, space.name, git_path, who ? who->user.name : "", req, call.body, call.out, on_push, room);
  return Status::Ok();
}

}  // namespace

void RegisterGitRoutes(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/spaces/:owner/:name";
  router.Add("GET", base + "/info/refs", [h](Call& c) { return HandleGit(*h, c, "/info/refs"); });
  router.Add("POST", base + "/git-upload-pack", [h](Call& c) { return HandleGit(*h, c, "/git-upload-pack"); });
  router.Add("POST", base + "/git-receive-pack", [h](Call& c) { return HandleGit(*h, c, "/git-receive-pack"); });
}

}  // namespace spaceport::hub
