// Space directory and lifecycle API: whoami, create, duplicate, delete, list,
// info, forks.
#include <algorithm>

#include "card/card.h"
#include "runtime/deploy_env.h"
#include "runtime/stage.h"
#include "store/validation.h"
#include "core/log.h"
#include "core/strings.h"
#include "hub/commit/commit_ndjson.h"
#include "hub/api/space_search.h"
#include "hub/hub_core.h"
#include "hub/space_json.h"

namespace spaceport::hub {
namespace {

constexpr size_t kMaxEnvValue = 64 * 1024;

struct RepoRef {
  std::string owner;
  std::string name;
};

// {type:"space", name:"n" | "o/n", organization?}; the owner defaults to the caller.
Result<RepoRef> ParseRepoRef(const Json& body, const access::Principal& caller) {
  ASSIGN_OR_RETURN(std::optional<std::string> type, OptString(body, "type"));
  if (type.value_or("") != "space") {
    return Status::InvalidArgument("only Spaces are hosted here: send \"type\": \"space\"");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> name, OptString(body, "name"));
  ASSIGN_OR_RETURN(std::optional<std::string> org, OptString(body, "organization"));
  if (!name || name->empty()) return Status::InvalidArgument("'name' is required");
  RepoRef ref{org.value_or(caller.user.name), *name};
  if (size_t slash = name->find('/'); slash != std::string::npos) {
    ref.owner = name->substr(0, slash);
    ref.name = name->substr(slash + 1);
    if (org && !EqualsIgnoreCase(*org, ref.owner)) {
      return Status::InvalidArgument("'organization' and the owner in 'name' disagree");
    }
  }
  if (!store::IsValidUserName(ref.owner) || !repo::IsValidRepoName(ref.owner)) {
    return Status::InvalidArgument("invalid owner name '" + ref.owner + "'");
  }
  if (!store::IsValidSpaceName(ref.name) || !repo::IsValidRepoName(ref.name)) {
    return Status::InvalidArgument("invalid Space name '" + ref.name +
                                   "': use letters, digits, '-', '_' and '.', starting with a letter or digit");
  }
  return ref;
}

Status ParseEnvList(const Json& body, const char* key, bool secret, int64_t now, std::vector<store::EnvVar>* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return Status::InvalidArgument(std::string("'") + key + "' must be a list");
  for (const Json& item : *it) {
    ASSIGN_OR_RETURN(std::optional<std::string> k, OptString(item, "key"));
    ASSIGN_OR_RETURN(std::optional<std::string> v, OptString(item, "value"));
    ASSIGN_OR_RETURN(std::optional<std::string> d, OptString(item, "description"));
    if (!k || !store::IsValidEnvKey(*k)) return Status::InvalidArgument(std::string("invalid key in '") + key + "'");
    if (v.value_or("").size() > kMaxEnvValue) return Status::PayloadTooLarge("value of " + *k + " is too large");
    out->push_back(store::EnvVar{*k, v.value_or(""), d.value_or(""), secret, now});
  }
  return Status::Ok();
}

Result<store::Space> ParseNewSpace(const Json& body, const RepoRef& ref) {
  store::Space space;
  space.owner = ref.owner;
  space.name = ref.name;
  ASSIGN_OR_RETURN(std::optional<std::string> sdk, OptString(body, "sdk"));
  if (!sdk || !card::IsKnownSdk(*sdk)) {
    return Status::InvalidArgument("'sdk' must be one of static, gradio, streamlit, docker, process");
  }
  space.sdk = *sdk;
  ASSIGN_OR_RETURN(std::optional<bool> is_private, OptBool(body, "private"));
  ASSIGN_OR_RETURN(std::optional<std::string> visibility, OptString(body, "visibility"));
  space.SetVisibility(is_private.value_or(false) ? store::Visibility::kPrivate : store::Visibility::kPublic);
  if (visibility) {
    std::optional<store::Visibility> v = store::ParseVisibility(*visibility);
    if (!v) return Status::InvalidArgument("'visibility' must be public, private or protected");
    space.SetVisibility(*v);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> hardware, OptString(body, "hardware"));
  if (hardware && runtime::FindHardware(*hardware) == nullptr) {
    return Status::InvalidArgument("unknown 'hardware' flavor '" + *hardware + "'");
  }
  if (hardware) space.hardware = *hardware;
  ASSIGN_OR_RETURN(std::optional<int64_t> sleep, OptInt(body, "sleepTimeSeconds"));
  if (sleep && *sleep < -1) return Status::InvalidArgument("'sleepTimeSeconds' must be -1 (never) or more");
  if (sleep) space.sleep_time_seconds = *sleep;
  ASSIGN_OR_RETURN(space.subdomain, store::MakeSubdomain(space.owner, space.name));
  space.card_json = "{}";
  space.stage = runtime::StageName(runtime::Stage::kNoAppFile);
  return space;
}

// Repo (empty, or a full copy of `copy_of`'s), row, env, then the control
// plane; a failed step undoes the earlier ones.
Result<store::Space> CreateSpace(HubCore& hub, const store::Space& wanted, const std::vector<store::EnvVar>& env,
                                 const store::Space* copy_of = nullptr) {
  const HubDeps& d = hub.deps();
  if (d.store->GetSpace(wanted.owner, wanted.name).ok()) {
    return Status::AlreadyExists("You already created the Space " + wanted.full_id());
  }
  Result<store::Space> clash = d.store->GetSpaceBySubdomain(wanted.subdomain);
  if (clash.ok()) {
    return Status::AlreadyExists("the app host name '" + wanted.subdomain + "' is already taken by Space " +
                                 clash->full_id() + "; choose another name");
  }
  if (d.repos->Exists(wanted.owner, wanted.name)) {
    // Left over from a crash between the repo and the row: nobody owns it.
    SP_LOG(kWarn) << "removing orphan repository " << wanted.full_id();
    RETURN_IF_ERROR(d.repos->Remove(wanted.owner, wanted.name));
  }
  if (copy_of != nullptr) {
    RETURN_IF_ERROR(d.repos->CopyFrom(copy_of->owner, copy_of->name, wanted.owner, wanted.name));
  } else {
    RETURN_IF_ERROR(d.repos->Create(wanted.owner, wanted.name));
  }
  Result<store::Space> created = d.store->CreateSpace(wanted, d.clock->UnixMillis());
  if (!created.ok()) {
    (void)d.repos->Remove(wanted.owner, wanted.name);
    return created.status();
  }
  for (const store::EnvVar& var : env) {
    Status st = d.store->SetEnv(created->id, var);
    if (!st.ok()) {
      (void)d.store->DeleteSpace(created->id);
      (void)d.repos->Remove(wanted.owner, wanted.name);
      return st.WithContext("setting " + var.key);
    }
  }
  hub.PublishAccess(*created);  // before the route exists: never public by accident
  IndexForDirectory(hub, *created, "");  // found by its name at once; its words come with the first push
  d.control->OnCreated(*created);
  return created;
}

// createRepo's optional first files: [{path, content, encoding}].
Result<std::vector<repo::CommitOp>> ParseInitialFiles(const Json& body) {
  std::vector<repo::CommitOp> ops;
  auto files = body.find("files");
  if (files == body.end() || files->is_null()) return ops;
  if (!files->is_array()) return Status::InvalidArgument("'files' must be a list");
  for (const Json& f : *files) {
    ASSIGN_OR_RETURN(repo::CommitOp op, ParseCommitFile(f));
    ops.push_back(std::move(op));
  }
  return ops;
}

Status CommitInitialFiles(HubCore& hub, const store::Space& space, const std::string& author,
                          std::vector<repo::CommitOp> ops) {
  if (ops.empty()) return Status::Ok();
  repo::CommitRequest req;
  req.summary = "initial commit";
  req.author = author;
  req.ops = std::move(ops);
  ASSIGN_OR_RETURN(std::string sha, hub.writer().Commit(space.owner, space.name, req));
  hub.RecordPush(space.id, sha);
  return Status::Ok();
}

// The canonical owner name for a new Space: the caller, or an organization
// where the caller has the write or admin role.
Result<std::string> OwnerForNewSpace(HubCore& hub, const access::Principal& who, const std::string& owner) {
  if (EqualsIgnoreCase(owner, who.user.name)) return who.user.name;
  const Status denied = Status::PermissionDenied(
      "you can create Spaces under your own name (" + who.user.name +
      ") or an organization where you have the write role");
  Result<store::Organization> org = hub.deps().store->GetOrganizationByName(owner);
  if (org.status().code() == StatusCode::kNotFound) return denied;
  RETURN_IF_ERROR(org.status());
  Result<store::OrgRole> role = hub.deps().store->GetOrgRole(org->name, who.user.id);
  if (role.status().code() == StatusCode::kNotFound || (role.ok() && *role < store::OrgRole::kWrite)) return denied;
  RETURN_IF_ERROR(role.status());
  return org->name;
}

Status HandleWhoami(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(std::vector<store::Membership> memberships, hub.deps().store->ListMemberships(who.user.id));
  Json orgs = Json::array();
  for (const store::Membership& m : memberships) {
    orgs.push_back({{"type", "org"}, {"id", std::to_string(m.org.id)}, {"name", m.org.name},
                    {"fullname", m.org.name}, {"isEnterprise", false},
                    {"roleInOrg", std::string(store::OrgRoleName(m.role))}});
  }
  Json auth = {{"type", "access_token"},
               {"accessToken", {{"displayName", who.token_name.empty() ? "token" : who.token_name},
                                {"role", who.can_write() ? "write" : "read"}}}};
  if (who.via_session) auth = {{"type", "session"}};
  Json j = {
      {"type", "user"},
      {"id", std::to_string(who.user.id)},
      {"name", who.user.name},
      {"fullname", who.user.name},
      {"isPro", false},
      {"canPay", false},
      {"orgs", orgs},
      {"auth", auth},
  };
  return call.SendJson(200, j);
}

Status HandleCreate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(RepoRef ref, ParseRepoRef(body, who));
  ASSIGN_OR_RETURN(ref.owner, OwnerForNewSpace(hub, who, ref.owner));
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  ASSIGN_OR_RETURN(store::Space wanted, ParseNewSpace(body, ref));
  std::vector<store::EnvVar> env;
  int64_t now = hub.deps().clock->UnixMillis();
  RETURN_IF_ERROR(ParseEnvList(body, "secrets", true, now, &env));
  RETURN_IF_ERROR(ParseEnvList(body, "variables", false, now, &env));
  ASSIGN_OR_RETURN(std::vector<repo::CommitOp> files, ParseInitialFiles(body));
  ASSIGN_OR_RETURN(store::Space space, CreateSpace(hub, wanted, env));
  RETURN_IF_ERROR(CommitInitialFiles(hub, space, who.user.name, std::move(files)));
  return call.SendJson(200, {{"url", hub.SpaceUrl(space)}, {"id", space.full_id()}, {"name", space.full_id()}});
}

// {repository: "owner/name", private?, visibility?, hardware?, sleepTimeSeconds?}
// on top of the source's settings; the owner must be the caller or an
// organization where the caller has the write role.
Result<store::Space> ParseDuplicate(HubCore& hub, const Json& body, const store::Space& from,
                                    const access::Principal& who) {
  ASSIGN_OR_RETURN(std::optional<std::string> repository, OptString(body, "repository"));
  size_t slash = repository ? repository->find('/') : std::string::npos;
  if (slash == std::string::npos) return Status::InvalidArgument("'repository' must be \"owner/name\"");
  RepoRef ref{repository->substr(0, slash), repository->substr(slash + 1)};
  ASSIGN_OR_RETURN(ref.owner, OwnerForNewSpace(hub, who, ref.owner));
  if (!store::IsValidSpaceName(ref.name) || !repo::IsValidRepoName(ref.name)) {
    return Status::InvalidArgument("invalid Space name '" + ref.name + "'");
  }
  Json settings = {{"sdk", from.sdk}, {"visibility", store::VisibilityName(from.effective_visibility())},
                   {"hardware", from.hardware}, {"sleepTimeSeconds", from.sleep_time_seconds}};
  if (body.contains("private") && !body["private"].is_null()) settings.erase("visibility");
  for (const char* key : {"private", "visibility", "hardware", "sleepTimeSeconds"}) {
    if (body.contains(key) && !body[key].is_null()) settings[key] = body[key];
  }
  ASSIGN_OR_RETURN(store::Space space, ParseNewSpace(settings, ref));
  space.card_json = from.card_json;
  space.duplicated_from = from.id;
  return space;
}

// The source's variables (the body's override them) and the body's secrets;
// the source's secrets stay behind: `missing` lists the keys not given.
Status DuplicateEnv(HubCore& hub, const Json& body, const store::Space& from, std::vector<store::EnvVar>* env,
                    std::vector<std::string>* missing) {
  int64_t now = hub.deps().clock->UnixMillis();
  std::vector<store::EnvVar> given;
  RETURN_IF_ERROR(ParseEnvList(body, "secrets", true, now, &given));
  RETURN_IF_ERROR(ParseEnvList(body, "variables", false, now, &given));
  auto is_given = [&](const store::EnvVar& v) {
    return std::any_of(given.begin(), given.end(),
                       [&](const store::EnvVar& g) { return g.key == v.key && g.secret == v.secret; });
  };
  ASSIGN_OR_RETURN(std::vector<store::EnvVar> source, hub.deps().store->ListEnv(from.id));
  for (store::EnvVar& v : source) {
    if (is_given(v)) continue;
    if (v.secret) {
      missing->push_back(v.key);
    } else {
      v.updated_at = now;
      env->push_back(std::move(v));
    }
  }
  env->insert(env->end(), given.begin(), given.end());
  return Status::Ok();
}

// A git clone leaves out the LFS objects stored beside the repository; the
// copy needs them before it builds. Objects are immutable, so hard links do
// (a plain copy where links are refused). Belongs in RepoStore::CopyFrom.
Status HandleDuplicate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  ASSIGN_OR_RETURN(store::Space from, hub.ReadableSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(store::Space wanted, ParseDuplicate(hub, body, from, who));
  std::vector<store::EnvVar> env;
  std::vector<std::string> missing;
  RETURN_IF_ERROR(DuplicateEnv(hub, body, from, &env, &missing));
  ASSIGN_OR_RETURN(store::Space space, CreateSpace(hub, wanted, env, &from));
  // The copy's own head (the source may have moved since it was read).
  Result<std::string> head = hub.deps().repos->Resolve(space.owner, space.name, "main");
  if (head.ok()) hub.RecordPush(space.id, *head);
  return call.SendJson(200, {{"url", hub.SpaceUrl(space)}, {"id", space.full_id()}, {"missingSecrets", missing}});
}

Status HandleForks(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space from, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  ASSIGN_OR_RETURN(std::vector<store::Space> forks, hub.ForksOf(from, who, kMaxListLimit));
  Json list = Json::array();
  for (const store::Space& s : forks) list.push_back(SpaceSummaryJson(hub, s));
  return call.SendJson(200, list);
}

Status HandleDelete(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(RepoRef ref, ParseRepoRef(body, who));
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, ref.owner, ref.name, true, access::AccessLevel::kAdmin));
  const HubDeps& d = hub.deps();
  std::string id = owned.space.full_id();
  Status st = d.control->Remove(id);
  if (!st.ok() && st.code() != StatusCode::kNotFound) return st.WithContext("stopping " + id);
  RETURN_IF_ERROR(d.store->DeleteSpace(owned.space.id));
  hub.ForgetAccess(id);
  st = d.repos->Remove(owned.space.owner, owned.space.name);
  if (!st.ok() && st.code() != StatusCode::kNotFound) {
    SP_LOG(kWarn) << "removing repo of " << id << ": " << st.message();
  }
  d.logs->Forget(id);
  return call.SendJson(200, Json::object());
}

Json ListEntry(HubCore& hub, const std::optional<access::Principal>& who, const store::Space& s,
               const std::vector<std::string>& expand, bool full) {
  const bool source = access::CanRead(hub.LevelOn(who, s), s);
  Json entry = !expand.empty() ? ExpandedSpaceJson(hub, s, expand)
               : full          ? SpaceInfoJson(hub, s)
                               : SpaceSummaryJson(hub, s);
  if (!source && entry.contains("siblings")) entry["siblings"] = Json::array();  // protected: the file list is source
  return entry;
}

// GET /api/spaces (HF's shape: an array, Link to the next page) and GET
// /api/spaces/search (an object with the count and the facets as well).
Status HandleList(HubCore& hub, Call& call, bool with_counts) {
  ASSIGN_OR_RETURN(ListRequest r, ParseListRequest(call));
  ASSIGN_OR_RETURN(std::vector<std::string> expand, ParseExpandFields(call.request.query));
  bool full = call.Query("full").value_or("") == "true";
  if (full && !expand.empty()) return Status::InvalidArgument("'expand' cannot be used together with 'full'");
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  ASSIGN_OR_RETURN(SpaceListing listing, ListOrSearch(hub, who, r, with_counts));
  Json list = Json::array();
  for (const store::Space& s : listing.spaces) {
    Json entry = ListEntry(hub, who, s, expand, full);
    if (auto it = listing.similar.find(s.id); it != listing.similar.end()) entry["similar"] = it->second;
    list.push_back(std::move(entry));
  }
  const store::SpaceQuery& q = r.query;
  std::string next;
  if (static_cast<int64_t>(listing.spaces.size()) == q.limit) {
    std::string rest = QueryWithoutOffset(call.request.query);
    next = hub.PublicUrl() + call.request.path + "?" + rest + (rest.empty() ? "" : "&") +
           "offset=" + std::to_string(q.offset + q.limit);
  }
  if (with_counts) {
    Json facets = {{"sdk", listing.facets.sdk},
                   {"stage", listing.facets.stage},
                   {"hardware", listing.facets.hardware},
                   {"verified", listing.facets.verified},
                   {"tags", listing.facets.tags}};
    Json body = {{"spaces", std::move(list)}, {"total", listing.total}, {"exact", listing.exact}};
    if (!q.search.empty()) body["facets"] = std::move(facets);
    if (!next.empty()) body["next"] = next;
    return call.SendJson(200, body);
  }
  http::Response resp = http::Response::Json(200, DumpJson(list));
  if (!next.empty()) resp.headers.Set("Link", "<" + next + ">; rel=\"next\"");
  return call.out.Send(resp);
}

Status HandleInfo(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(std::vector<std::string> expand, ParseExpandFields(call.request.query));
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  const bool source = access::CanRead(hub.LevelOn(who, space), space);
  const std::string& rev = call.Param("rev");
  const bool head = rev == "HEAD" || rev == "main";
  // Only the head is public for a protected Space (its sha is in the info anyway).
  if (!rev.empty() && !head && !source) return Status::NotFound("Space " + space.full_id() + " not found");
  if (!rev.empty() && !(head && space.sha.empty())) {  // nothing pushed yet: sha stays null
    ASSIGN_OR_RETURN(space.sha, hub.deps().repos->Resolve(space.owner, space.name, rev));
  }
  Json info = expand.empty() ? SpaceInfoJson(hub, space) : ExpandedSpaceJson(hub, space, expand);
  if (!source && info.contains("siblings")) info["siblings"] = Json::array();  // protected: the file list is source
  return call.SendJson(200, info);
}

}  // namespace

std::string QueryWithoutOffset(std::string_view query) {
  std::string kept;
  for (const std::string& pair : Split(query, '&')) {
    if (pair.empty() || UrlDecode(pair.substr(0, pair.find('='))) == "offset") continue;
    kept += (kept.empty() ? "" : "&") + pair;
  }
  return kept;
}

void RegisterSpacesApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/api/whoami-v2", [h](Call& c) { return HandleWhoami(*h, c); });
  router.Add("POST", "/api/repos/create", [h](Call& c) { return HandleCreate(*h, c); });
  router.Add("POST", "/api/spaces/:owner/:name/duplicate", [h](Call& c) { return HandleDuplicate(*h, c); });
  router.Add("GET", "/api/spaces/:owner/:name/forks", [h](Call& c) { return HandleForks(*h, c); });
  router.Add("DELETE", "/api/repos/delete", [h](Call& c) { return HandleDelete(*h, c); });
  router.Add("GET", "/api/spaces", [h](Call& c) { return HandleList(*h, c, false); });
  router.Add("GET", "/api/spaces/search", [h](Call& c) { return HandleList(*h, c, true); });
  router.Add("GET", "/api/spaces/:owner/:name", [h](Call& c) { return HandleInfo(*h, c); });
  router.Add("GET", "/api/spaces/:owner/:name/revision/:rev", [h](Call& c) { return HandleInfo(*h, c); });
}

}  // namespace spaceport::hub
