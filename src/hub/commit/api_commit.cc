// Writing files over the HF API: preupload (which files go to LFS) and
// commit (NDJSON operations applied with git plumbing, see repo/repo_commit.h).
// A commit to main builds the Space, as a git push does.
#include <filesystem>

#include "core/strings.h"
#include "hub/commit/commit_stream.h"
#include "hub/commit/commit_ndjson.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kLfsThresholdBytes = 10 * 1000 * 1000;  // as HF: 10 MB and up go to LFS
constexpr size_t kMaxCommitBody = 256u << 20;
constexpr size_t kMaxPreuploadFiles = 1000;

// The .gitattributes that decides LFS paths: as sent, else the branch's.
std::string CurrentAttributes(HubCore& hub, const store::Space& space, const std::string& rev, const Json& body) {
  auto sent = body.find("gitAttributes");
  if (sent != body.end() && sent->is_string()) return sent->get<std::string>();
  Result<std::string> stored = hub.deps().repos->ReadFile(space.owner, space.name, rev, ".gitattributes");
  return stored.ok() ? *stored : "";
}

// HF's rule: tracked by .gitattributes, 10 MB or more, or binary-looking
// (a NUL byte in the first 512 bytes).
bool GoesToLfs(const std::string& attributes, const std::string& path, int64_t size, const std::string& sample) {
  if (path == ".gitattributes") return false;
  return repo::LfsAttributesCover(attributes, path) || size >= kLfsThresholdBytes ||
         sample.find('\0') != std::string::npos;
}

Status HandlePreupload(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(16u << 20));
  auto files = body.find("files");
  if (files == body.end() || !files->is_array()) return Status::InvalidArgument("'files' must be a list");
  if (files->size() > kMaxPreuploadFiles) return Status::InvalidArgument("at most 1000 files per preupload call");
  const std::string& rev = call.Param("rev");
  Result<std::string> head = hub.deps().repos->Resolve(owned.space.owner, owned.space.name, "refs/heads/" + rev);
  if (!head.ok() && rev != "main") return Status::NotFound("branch '" + rev + "' not found");
  std::string attributes = CurrentAttributes(hub, owned.space, rev, body);
  Json out = Json::array();
  for (const Json& f : *files) {
    ASSIGN_OR_RETURN(std::optional<std::string> path, OptString(f, "path"));
    ASSIGN_OR_RETURN(std::optional<int64_t> size, OptInt(f, "size"));
    ASSIGN_OR_RETURN(std::optional<std::string> sample, OptString(f, "sample"));
    if (!path) return Status::InvalidArgument("each file needs a 'path'");
    RETURN_IF_ERROR(repo::ValidateRepoPath(*path));
    std::string bytes = Base64Decode(sample.value_or("")).value_or("");
    bool lfs = GoesToLfs(attributes, *path, size.value_or(0), bytes);
    out.push_back({{"path", *path}, {"uploadMode", lfs ? "lfs" : "regular"}, {"shouldIgnore", false}});
  }
  return call.SendJson(200, {{"files", out}, {"commitOid", head.ok() ? Json(*head) : Json(nullptr)}});
}

Status HandleCommit(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  if (call.Query("create_pr").value_or("0") != "0") {
    return Status::InvalidArgument("pull requests are not supported; commit to a branch");
  }
  ASSIGN_OR_RETURN(CommitSlots::Slot slot, hub.commit_slots().Take(owned.caller.user.name));
  // Read as it arrives: big contents wait in files beside the repositories
  // (hub/commit/commit_stream.h), removed once the commit is made or refused.
  // They stop at what the repository has room for (as base64 text, up to a
  // third more than the bytes it stands for); the exact check follows.
  ASSIGN_OR_RETURN(std::string spill_dir, hub.deps().repos->SpillDir());
  int64_t room = hub.RepoRoomLeft(owned.space);
  uint64_t spill_max = room >= INT64_MAX / 2 ? UINT64_MAX : static_cast<uint64_t>(room) / 3 * 4 + 4;
  SpillFiles spill(spill_dir, spill_max,
                   "the commit's contents pass the " + std::to_string(room >> 20) + " MB left in the repository of " +
                       owned.space.full_id());
  ASSIGN_OR_RETURN(repo::CommitRequest req, ReadCommitNdjson(call.body, kMaxCommitBody, spill));
  int64_t incoming = 0;
  for (const repo::CommitOp& op : req.ops) {
    std::error_code ec;
    incoming += op.content_file.empty() ? static_cast<int64_t>(op.content.size())
                                        : static_cast<int64_t>(std::filesystem::file_size(op.content_file, ec));
  }
  RETURN_IF_ERROR(hub.CheckRepoRoom(owned.space, incoming));
  req.branch = call.Param("rev");
  req.author = owned.caller.user.name;
  ASSIGN_OR_RETURN(std::string sha, hub.writer().Commit(owned.space.owner, owned.space.name, req));
  if (req.branch == "main") hub.RecordPush(owned.space.id, sha);
  return call.SendJson(200, {{"success", true},
                             {"commitOid", sha},
                             {"commitUrl", hub.SpaceUrl(owned.space) + "/commit/" + sha},
                             {"hookOutput", ""}});
}

}  // namespace

void RegisterCommitApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string api = "/api/spaces/:owner/:name";
  router.Add("POST", api + "/preupload/:rev", [h](Call& c) { return HandlePreupload(*h, c); });
  router.Add("POST", api + "/commit/:rev", [h](Call& c) { return HandleCommit(*h, c); });
}

}  // namespace spaceport::hub
