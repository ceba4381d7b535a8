// Embed links (a Spaceport addition): expiring URLs that open a Space's app
// (private or gated too) inside an iframe on another site, without sign-in.
//   POST   /api/spaces/{o}/{n}/embed-links {expiresIn?, name?} -> {id, name, url, expiresAt, ...}
//   GET    /api/spaces/{o}/{n}/embed-links          (never the secret again)
//   DELETE /api/spaces/{o}/{n}/embed-links/{id}     (revokes at once)
// Creating and revoking need write level and a write-scoped credential;
// listing needs write level. Every change is copied to the edge's
// AccessTable (HubCore::PublishAccess), so a revoked link stops working on
// the next request. The URL's token is made by access/embed_links.h.
#include "access/embed_links.h"
#include "core/clock.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kMinExpiresIn = 60;
constexpr int64_t kMaxExpiresIn = 90LL * 24 * 3600;
constexpr int64_t kDefaultExpiresIn = 7LL * 24 * 3600;
constexpr size_t kMaxNameBytes = 100;

Json LinkJson(HubCore& hub, const store::EmbedLink& l, int64_t now) {
  Result<store::User> creator = hub.deps().store->GetUser(l.created_by);
  return {{"id", l.id},
          {"name", l.name},
          {"createdBy", creator.ok() ? Json(creator->name) : Json(nullptr)},
          {"createdAt", FormatIsoTime(l.created_at)},
          {"expiresAt", FormatIsoTime(l.expires_at)},
          {"revoked", l.revoked},
          {"expired", l.expires_at <= now}};
}

Result<int64_t> ReadExpiresIn(const Json& body) {
  ASSIGN_OR_RETURN(std::optional<int64_t> seconds, OptInt(body, "expiresIn"));
  int64_t value = seconds.value_or(kDefaultExpiresIn);
  if (value < kMinExpiresIn || value > kMaxExpiresIn) {
    return Status::InvalidArgument("'expiresIn' must be between 60 seconds and 90 days (7776000 seconds)");
  }
  return value;
}

Result<std::string> ReadName(const Json& body) {
  ASSIGN_OR_RETURN(std::optional<std::string> name, OptString(body, "name"));
  std::string trimmed(Trim(name.value_or("")));
  if (trimmed.size() > kMaxNameBytes) return Status::InvalidArgument("'name' must be at most 100 characters");
  for (char c : trimmed) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("'name' must not contain control characters");
    }
  }
  return trimmed;
}

Status HandleCreate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(64 * 1024));
  ASSIGN_OR_RETURN(int64_t expires_in, ReadExpiresIn(body));
  ASSIGN_OR_RETURN(std::string name, ReadName(body));
  const int64_t now = hub.deps().clock->UnixMillis();
  access::NewEmbedLink made = access::GenerateEmbedLink();
  store::EmbedLink link{.id = made.id,
                        .space_id = owned.space.id,
                        .name = name,
                        .created_by = owned.caller.user.id,
                        .secret_hash = made.secret_hash,
                        .created_at = now,
                        .expires_at = now + expires_in * 1000,
                        .revoked = false};
  ASSIGN_OR_RETURN(store::EmbedLink stored, hub.deps().store->CreateEmbedLink(link));
  hub.PublishAccess(owned.space);
  Json out = LinkJson(hub, stored, now);
  out["url"] = hub.AppUrl(owned.space) + "/.spaceport/embed?t=" + made.token;
  return call.SendJson(200, out);
}

Status HandleList(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), false));
  ASSIGN_OR_RETURN(std::vector<store::EmbedLink> links, hub.deps().store->ListEmbedLinks(owned.space.id));
  const int64_t now = hub.deps().clock->UnixMillis();
  Json out = Json::array();
  for (const store::EmbedLink& l : links) out.push_back(LinkJson(hub, l, now));
  return call.SendJson(200, out);
}

Status HandleRevoke(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  std::string id = call.Param("id");
  if (!access::IsEmbedLinkId(id)) return Status::NotFound("embed link " + id + " not found");
  RETURN_IF_ERROR(hub.deps().store->RevokeEmbedLink(owned.space.id, id));
  hub.PublishAccess(owned.space);
  return call.SendJson(200, {{"id", id}, {"revoked", true}});
}

}  // namespace

void RegisterEmbedLinksApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/api/spaces/:owner/:name/embed-links";
  router.Add("POST", base, [h](Call& c) { return HandleCreate(*h, c); });
  router.Add("GET", base, [h](Call& c) { return HandleList(*h, c); });
  router.Add("DELETE", base + "/:id", [h](Call& c) { return HandleRevoke(*h, c); });
}

}  // namespace spaceport::hub
