// The git-lfs API of Space repositories (basic transfer):
//   POST /spaces/{o}/{n}.git/info/lfs/objects/batch   upload | download
//   PUT  /spaces/{o}/{n}.git/info/lfs/objects/{oid}   upload (signed link or owner token)
//   POST /spaces/{o}/{n}.git/info/lfs/verify          {oid, size}
//   GET  /spaces/{o}/{n}.git/info/lfs/objects/{oid}   download
// Upload links carry an HMAC of (Space, oid, size, expiry) because the HF
// clients PUT without credentials; git-lfs also gets the caller's
// Authorization header in each action. Errors use the LFS dialect
// (ErrorFormat::kLfs: validation errors are 422).
#include "core/clock.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kLinkSeconds = 3600;
constexpr size_t kMaxBatchObjects = 1000;
constexpr const char* kLfsType = "application/vnd.git-lfs+json";

std::string RepoName(const Call& call) {
  std::string name = call.Param("name");
  if (EndsWith(name, ".git")) name.resize(name.size() - 4);
  return name;
}

// Readable Space for downloads; anonymous callers are asked for credentials
// instead of being told "not found", so git-lfs retries with them.
Result<store::Space> ReadableForLfs(HubCore& hub, Call& call) {
  Result<store::Space> space = hub.ReadableSpace(call, call.Param("owner"), RepoName(call));
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  if (!space.ok() && space.status().code() == StatusCode::kNotFound && !who) {
    return Status::Unauthenticated("authentication required");
  }
  return space;
}

Status SendLfsJson(Call& call, int status, const Json& body) {
  http::Response r = http::Response::Json(status, DumpJson(body));
  r.headers.Set("Content-Type", kLfsType);
  r.headers.Set("Cache-Control", "no-store");
  return call.out.Send(r);
}

Json Action(const std::string& href, const Call& call) {
  Json a = {{"href", href}, {"expires_in", kLinkSeconds}};
  if (auto auth = call.request.headers.Get("Authorization")) a["header"] = {{"Authorization", std::string(*auth)}};
  return a;
}

Json BatchObject(HubCore& hub, const Call& call, const store::Space& space, const Json& item, bool upload) {
  Json oid_json = item.is_object() ? item.value("oid", Json()) : Json();
  Json size_json = item.is_object() ? item.value("size", Json()) : Json();
  std::string oid = oid_json.is_string() ? oid_json.get<std::string>() : "";
  int64_t size = size_json.is_number_integer() ? size_json.get<int64_t>() : -1;
  Json out = {{"oid", oid}, {"size", size}, {"authenticated", true}};
  if (!repo::IsValidLfsOid(oid) || size < 0) {
    out["error"] = {{"code", 422}, {"message", "invalid oid or size"}};
    return out;
  }
  std::string base = hub.PublicUrl() + "/spaces/" + space.full_id() + ".git/info/lfs";
  bool present = hub.lfs().Check(space.owner, space.name, repo::LfsPointer{oid, size}).ok();
  if (upload && !present) {
    int64_t expires = hub.deps().clock->UnixMillis() + kLinkSeconds * 1000;
    std::string sig = hub.SignLfsUpload(space, repo::LfsPointer{oid, size}, expires);
    out["actions"] = {{"upload", Action(base + "/objects/" + oid + "?size=" + std::to_string(size) +
                                            "&expires=" + std::to_string(expires) + "&sig=" + sig,
                                        call)},
                      {"verify", Action(base + "/verify", call)}};
  } else if (!upload && present) {
    out["actions"] = {{"download", Action(base + "/objects/" + oid, call)}};
  } else if (!upload) {
    out["error"] = {{"code", 404}, {"message", "object not found"}};
  }
  return out;
}

Status HandleBatch(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(4u << 20));
  ASSIGN_OR_RETURN(std::optional<std::string> operation, OptString(body, "operation"));
  bool upload = operation.value_or("") == "upload";
  if (!upload && operation.value_or("") != "download") {
    return Status::InvalidArgument("'operation' must be upload or download");
  }
  store::Space space;
  if (upload) {
    ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), RepoName(call), true));
    space = std::move(owned.space);
  } else {
    ASSIGN_OR_RETURN(space, ReadableForLfs(hub, call));
  }
  auto objects = body.find("objects");
  if (objects == body.end() || !objects->is_array()) return Status::InvalidArgument("'objects' must be a list");
  if (objects->size() > kMaxBatchObjects) return Status::InvalidArgument("at most 1000 objects per batch");
  if (upload) {  // the whole batch fits under the repo's size limit, or none of it is asked for
    int64_t incoming = 0;
    for (const Json& item : *objects) {
      const Json oid = item.is_object() ? item.value("oid", Json()) : Json();
      const Json size = item.is_object() ? item.value("size", Json()) : Json();
      if (!oid.is_string() || !repo::IsValidLfsOid(oid.get<std::string>()) || !size.is_number_integer()) continue;
      const repo::LfsPointer object{oid.get<std::string>(), size.get<int64_t>()};
      if (object.size < 0 || hub.lfs().Check(space.owner, space.name, object).ok()) continue;
      incoming = object.size > INT64_MAX - incoming ? INT64_MAX : incoming + object.size;
    }
    RETURN_IF_ERROR(hub.CheckRepoRoom(space, incoming));
  }
  Json out = Json::array();
  for (const Json& item : *objects) out.push_back(BatchObject(hub, call, space, item, upload));
  return SendLfsJson(call, 200, {{"transfer", "basic"}, {"objects", out}, {"hash_algo", "sha256"}});
}

// A valid, unexpired signed link, or the owner with a write token.
Result<store::Space> AuthorizeUpload(HubCore& hub, Call& call, const repo::LfsPointer& object) {
  std::optional<std::string> sig = call.Query("sig");
  std::optional<int64_t> expires = ParseInt(call.Query("expires").value_or(""));
  if (sig && expires) {
    ASSIGN_OR_RETURN(store::Space space, hub.FindSpace(call.Param("owner"), RepoName(call)));
    if (*expires < hub.deps().clock->UnixMillis()) return Status::PermissionDenied("the upload link has expired");
    if (!ConstantTimeEquals(*sig, hub.SignLfsUpload(space, object, *expires))) {
      return Status::PermissionDenied("the upload link is not valid for this object");
    }
    return space;
  }
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), RepoName(call), true));
  return owned.space;
}

Status HandleUpload(HubCore& hub, Call& call) {
  repo::LfsPointer object{call.Param("oid"), -1};
  std::optional<std::string_view> length = call.request.headers.Get("Content-Length");
  std::optional<int64_t> size = ParseInt(call.Query("size").value_or(std::string(length.value_or(""))));
  if (!size || *size < 0) return Status::InvalidArgument("the object's size is unknown: send Content-Length");
  object.size = *size;
  if (!repo::IsValidLfsOid(object.oid)) return Status::InvalidArgument("invalid oid");
  ASSIGN_OR_RETURN(store::Space space, AuthorizeUpload(hub, call, object));
  if (!hub.lfs().Check(space.owner, space.name, object).ok()) {
    RETURN_IF_ERROR(hub.CheckRepoRoom(space, object.size));  // links outlive the room they were signed for
    RETURN_IF_ERROR(hub.lfs().Put(space.owner, space.name, object, call.body));
  }
  return SendLfsJson(call, 200, Json::object());
}

Status HandleVerify(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), RepoName(call), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> oid, OptString(body, "oid"));
  ASSIGN_OR_RETURN(std::optional<int64_t> size, OptInt(body, "size"));
  if (!oid || !size) return Status::InvalidArgument("'oid' and 'size' are required");
  RETURN_IF_ERROR(hub.lfs().Check(owned.space.owner, owned.space.name, repo::LfsPointer{*oid, *size}));
  return SendLfsJson(call, 200, {{"oid", *oid}, {"size", *size}});
}

Status HandleDownload(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, ReadableForLfs(hub, call));
  const std::string& oid = call.Param("oid");
  ASSIGN_OR_RETURN(int64_t size, hub.lfs().Size(space.owner, space.name, oid));
  http::Headers h;
  h.Set("Content-Type", "application/octet-stream");
  h.Set("Content-Length", std::to_string(size));
  h.Set("ETag", "\"" + oid + "\"");
  RETURN_IF_ERROR(call.out.Start(200, h));
  if (size == 0) return call.out.Finish();
  return SendFileRange(call.out, hub.lfs().ObjectPath(space.owner, space.name, oid), 0, static_cast<uint64_t>(size));
}

// The LFS locking API is not offered. 501 is how the LFS spec says so: the
// git-lfs client then stops verifying locks for this remote and pushes on,
// where other statuses make it warn or retry on every push.
Status HandleLocks(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, ReadableForLfs(hub, call));
  return SendLfsJson(call, 501, {{"message", "file locking is not supported for " + space.full_id()}});
}

}  // namespace

void RegisterLfsRoutes(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/spaces/:owner/:name/info/lfs";
  const ErrorFormat lfs = ErrorFormat::kLfs;
  router.Add("POST", base + "/objects/batch", [h](Call& c) { return HandleBatch(*h, c); }, lfs);
  router.Add("PUT", base + "/objects/:oid", [h](Call& c) { return HandleUpload(*h, c); }, lfs);
  router.Add("GET", base + "/objects/:oid", [h](Call& c) { return HandleDownload(*h, c); }, lfs);
  router.Add("POST", base + "/verify", [h](Call& c) { return HandleVerify(*h, c); }, lfs);
  auto locks = [h](Call& c) { return HandleLocks(*h, c); };
  router.Add("GET", base + "/locks", locks, lfs);
  router.Add("POST", base + "/locks", locks, lfs);
  router.Add("POST", base + "/locks/verify", locks, lfs);
  router.Add("POST", base + "/locks/:id/unlock", locks, lfs);
}

}  // namespace spaceport::hub
