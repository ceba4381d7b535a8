// Collections in the API, in Hugging Face's shape (directory/collections.h,
// docs/api.md "Collections"): anyone sees public collections; private ones
// only their owner or the owning organization's members; the owner or the
// organization's write members change them, with a write token. Items are
// Spaces; one the caller may not see is left out of what they get.
#include <optional>

#include "core/clock.h"
#include "core/strings.h"
#include "directory/collections.h"
#include "hub/hub_core.h"
#include "hub/space_json.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kMaxListLimit = 100;
constexpr int64_t kListedItems = 4;  // a listing shows the first items of each collection, as HF's

struct Rights {
  bool see_private = false;
  bool write = false;
};

Rights RightsOn(HubCore& hub, const std::optional<access::Principal>& who, const std::string& owner) {
  if (!who) return {};
  if (EqualsIgnoreCase(who->user.name, owner)) return {true, true};
  Result<store::OrgRole> role = hub.deps().store->GetOrgRole(owner, who->user.id);
  if (!role.ok()) return {};
  return {true, *role >= store::OrgRole::kWrite};
}

Result<directory::Collections*> RequireCollections(HubCore& hub) {
  if (hub.deps().collections == nullptr) return Status::FailedPrecondition("this server keeps no collections");
  return hub.deps().collections;
}

Json OwnerJson(HubCore& hub, const std::string& owner) {
  const bool user = hub.deps().store->GetUserByName(owner).ok();
  return {{"name", owner}, {"type", user ? "user" : "org"}};
}

// The items the caller may see, each the Space's listing entry with the
// item's _id, type, position and note.
Json ItemsJson(HubCore& hub, const std::optional<access::Principal>& who,
               const std::vector<store::CollectionItem>& items) {
  Json out = Json::array();
  for (const store::CollectionItem& item : items) {
    Result<store::Space> space = hub.deps().store->GetSpaceById(item.space_id);
    if (!space.ok() || !access::CanSee(hub.LevelOn(who, *space), *space)) continue;
    Json j = SpaceSummaryJson(hub, *space);
    j["_id"] = item.key;
    j["type"] = "space";
    j["position"] = item.position;
    if (!item.note.empty()) j["note"] = {{"text", item.note}, {"html", HtmlEscape(item.note)}};
    out.push_back(std::move(j));
  }
  return out;
}

Result<Json> CollectionJson(HubCore& hub, const std::optional<access::Principal>& who, const store::Collection& c,
                            int64_t items_limit) {
  ASSIGN_OR_RETURN(std::vector<store::CollectionItem> items,
                   hub.deps().collections->store()->ListItems(c.id, items_limit));
  const std::string slug = directory::Collections::SlugOf(c);
  return Json{{"slug", slug},
              {"title", c.title},
              {"description", c.description.empty() ? Json(nullptr) : Json(c.description)},
              {"owner", OwnerJson(hub, c.owner)},
              {"items", ItemsJson(hub, who, items)},
              {"lastUpdated", FormatIsoTime(c.updated_at)},
              {"position", c.position},
              {"private", c.is_private},
              {"theme", c.theme},
              {"upvotes", 0},
              {"isUpvotedByUser", false},
              {"gating", false},
              {"shareUrl", hub.PublicUrl() + "/collections/" + slug}};
}

// The collection of the URL, if the caller may see it (404 otherwise, as
// for one that does not exist); `write`: they must be allowed to change it.
Result<store::Collection> CollectionFor(HubCore& hub, Call& call, bool write) {
  ASSIGN_OR_RETURN(directory::Collections * collections, RequireCollections(hub));
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  ASSIGN_OR_RETURN(store::Collection c, collections->Find(call.Param("owner"), call.Param("slug")));
  const Rights rights = RightsOn(hub, who, c.owner);
  if (c.is_private && !rights.see_private) return Status::NotFound("collection not found");
  if (!write) return c;
  if (!who) return Status::Unauthenticated("sign in to change a collection");
  if (!rights.write) return Status::PermissionDenied("you need the write role on " + c.owner + " to change its collections");
  if (!who->can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  return c;
}

Status SendCollection(HubCore& hub, Call& call, const store::Collection& c, bool wrapped = false) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  ASSIGN_OR_RETURN(Json j, CollectionJson(hub, who, c, store::kMaxCollectionItems));
  return call.SendJson(200, wrapped ? Json{{"success", true}, {"data", std::move(j)}} : j);
}

Status HandleCreate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(directory::Collections * collections, RequireCollections(hub));
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  ASSIGN_OR_RETURN(std::optional<std::string> title, OptString(body, "title"));
  ASSIGN_OR_RETURN(std::optional<std::string> ns, OptString(body, "namespace"));
  ASSIGN_OR_RETURN(std::optional<std::string> description, OptString(body, "description"));
  ASSIGN_OR_RETURN(std::optional<std::string> theme, OptString(body, "theme"));
  ASSIGN_OR_RETURN(std::optional<bool> is_private, OptBool(body, "private"));
  std::string owner = ns.value_or(who.user.name);  // kept as the account spells it
  if (EqualsIgnoreCase(owner, who.user.name)) {
    owner = who.user.name;
  } else if (Result<store::Organization> org = hub.deps().store->GetOrganizationByName(owner); org.ok()) {
    owner = org->name;
  }
  if (!RightsOn(hub, who, owner).write) {
    return Status::PermissionDenied("you may create collections only under your name or an organization you write to");
  }
  Result<store::Collection> made = collections->Create(owner, title.value_or(""), description.value_or(""),
                                                       is_private.value_or(false), theme.value_or(""));
  if (made.status().code() == StatusCode::kAlreadyExists) {
    // HF's answer names the existing collection (the clients' exists_ok reads it).
    const std::string wanted(Trim(title.value_or("")));
    store::CollectionQuery q;
    q.owners = {owner};
    q.text = wanted;
    q.private_of = {owner};
    q.limit = kMaxListLimit;
    ASSIGN_OR_RETURN(std::vector<store::Collection> same, collections->store()->ListCollections(q));
    for (const store::Collection& c : same) {
      if (EqualsIgnoreCase(c.title, wanted)) {
        return call.SendJson(409, {{"error", made.status().message()}, {"slug", directory::Collections::SlugOf(c)}});
      }
    }
  }
  RETURN_IF_ERROR(made.status());
  return SendCollection(hub, call, *made);
}

Status HandleGet(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Collection c, CollectionFor(hub, call, false));
  return SendCollection(hub, call, c);
}

Status HandleUpdate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Collection c, CollectionFor(hub, call, true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  directory::CollectionPatch patch;
  ASSIGN_OR_RETURN(patch.title, OptString(body, "title"));
  ASSIGN_OR_RETURN(patch.description, OptString(body, "description"));
  ASSIGN_OR_RETURN(patch.theme, OptString(body, "theme"));
  ASSIGN_OR_RETURN(patch.is_private, OptBool(body, "private"));
  ASSIGN_OR_RETURN(patch.position, OptInt(body, "position"));
  ASSIGN_OR_RETURN(store::Collection updated, hub.deps().collections->Update(c, patch));
  return SendCollection(hub, call, updated, true);
}

Status HandleDelete(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Collection c, CollectionFor(hub, call, true));
  RETURN_IF_ERROR(hub.deps().collections->Delete(c));
  return call.SendJson(200, {{"success", true}});
}

Status HandleAddItem(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Collection c, CollectionFor(hub, call, true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  auto item = body.find("item");
  if (item == body.end() || !item->is_object()) return Status::InvalidArgument("item: {type, id} required");
  ASSIGN_OR_RETURN(std::optional<std::string> type, OptString(*item, "type"));
  ASSIGN_OR_RETURN(std::optional<std::string> id, OptString(*item, "id"));
  ASSIGN_OR_RETURN(std::optional<std::string> note, OptString(body, "note"));
  if (type.value_or("") != "space") {
    return Status::InvalidArgument("item.type: this server hosts Spaces only (\"space\")");
  }
  const std::string full = id.value_or("");
  const size_t slash = full.find('/');
  if (slash == std::string::npos) return Status::InvalidArgument("item.id: owner/name");
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, full.substr(0, slash), full.substr(slash + 1)));
  ASSIGN_OR_RETURN(store::CollectionItem added, hub.deps().collections->AddItem(c, space.id, note.value_or("")));
  (void)added;
  ASSIGN_OR_RETURN(store::Collection now, hub.deps().collections->store()->GetCollection(c.key));
  return SendCollection(hub, call, now);
}

Status HandleUpdateItem(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Collection c, CollectionFor(hub, call, true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  ASSIGN_OR_RETURN(std::optional<std::string> note, OptString(body, "note"));
  ASSIGN_OR_RETURN(std::optional<int64_t> position, OptInt(body, "position"));
  RETURN_IF_ERROR(hub.deps().collections->UpdateItem(c, call.Param("item"), note, position).status());
  return call.SendJson(200, {{"success", true}});
}

Status HandleDeleteItem(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Collection c, CollectionFor(hub, call, true));
  RETURN_IF_ERROR(hub.deps().collections->DeleteItem(c, call.Param("item")));
  return call.SendJson(200, {{"success", true}});
}

// GET /api/collections?owner=&item=spaces/o/n&q=&sort=lastModified&limit=&offset=
// (owner and item repeatable: any of them), HF's array with a Link to the
// next page.
Status HandleList(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(directory::Collections * collections, RequireCollections(hub));
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  const std::string_view query = call.request.query;
  store::CollectionQuery q;
  q.owners = QueryParams(query, "owner");
  q.text = call.Query("q").value_or("");
  if (q.text.size() > 200) return Status::InvalidArgument("q: at most 200 bytes");
  const std::string sort = call.Query("sort").value_or("lastModified");
  if (sort != "lastModified") {
    return Status::InvalidArgument("sort: lastModified (collections have no upvotes or trending here)");
  }
  ASSIGN_OR_RETURN(q.limit, call.IntQuery("limit", q.limit, 0, kMaxListLimit));
  ASSIGN_OR_RETURN(q.offset, call.IntQuery("offset", q.offset, 0));
  const std::vector<std::string> items = QueryParams(query, "item");
  for (const std::string& item : items) {
    // HF's form: "spaces/owner/name"; a Space the caller cannot see is in no collection.
    constexpr std::string_view kSpaces = "spaces/";
    const size_t slash = item.find('/', kSpaces.size());
    if (!StartsWith(item, kSpaces) || slash == std::string::npos) {
      return Status::InvalidArgument("item: spaces/owner/name (this server hosts Spaces only)");
    }
    Result<store::Space> space =
        hub.VisibleSpace(call, item.substr(kSpaces.size(), slash - kSpaces.size()), item.substr(slash + 1));
    if (space.ok()) q.space_ids.push_back(space->id);
  }
  if (!items.empty() && q.space_ids.empty()) return call.SendJson(200, Json::array());
  q.private_of = hub.NamespacesOf(who);
  ASSIGN_OR_RETURN(std::vector<store::Collection> found, collections->store()->ListCollections(q));
  Json list = Json::array();
  for (const store::Collection& c : found) {
    ASSIGN_OR_RETURN(Json j, CollectionJson(hub, who, c, kListedItems));
    list.push_back(std::move(j));
  }
  http::Response resp = http::Response::Json(200, DumpJson(list));
  if (q.limit > 0 && static_cast<int64_t>(found.size()) == q.limit) {
    const std::string rest = QueryWithoutOffset(query);
    resp.headers.Set("Link", "<" + hub.PublicUrl() + call.request.path + "?" + rest + (rest.empty() ? "" : "&") +
                                 "offset=" + std::to_string(q.offset + q.limit) + ">; rel=\"next\"");
  }
  return call.out.Send(resp);
}

}  // namespace

void RegisterCollectionsApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/api/collections", [h](Call& c) { return HandleList(*h, c); });
  router.Add("POST", "/api/collections", [h](Call& c) { return HandleCreate(*h, c); });
  const std::string one = "/api/collections/:owner/:slug";
  router.Add("GET", one, [h](Call& c) { return HandleGet(*h, c); });
  router.Add("PATCH", one, [h](Call& c) { return HandleUpdate(*h, c); });
  router.Add("DELETE", one, [h](Call& c) { return HandleDelete(*h, c); });
  router.Add("POST", one + "/items", [h](Call& c) { return HandleAddItem(*h, c); });
  router.Add("PATCH", one + "/items/:item", [h](Call& c) { return HandleUpdateItem(*h, c); });
  router.Add("DELETE", one + "/items/:item", [h](Call& c) { return HandleDeleteItem(*h, c); });
}

}  // namespace spaceport::hub
