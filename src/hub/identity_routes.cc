// The hub's side of identity at the edge: the JWKS apps verify
// X-Spaceport-Identity with, the sign-in hand-off to app hosts, and keeping
// the edge's AccessTable in step with the store.
#include "core/log.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

Status HandleJwks(HubCore& hub, Call& call) {
  const access::SigningKeys* keys = hub.deps().signing_keys;
  if (keys == nullptr) return Status::NotFound("this server signs no identities");
  http::Response r = http::Response::Json(200, DumpJson(keys->Jwks()));
  // Short, so rotated keys are picked up well within the overlap.
  r.headers.Set("Cache-Control", "public, max-age=300");
  return call.out.Send(r);
}

// GET /.spaceport/handoff?space=owner/name&next=/path: signs the caller in on
// the Space's app host (a one-use code in the redirect, see app_sessions.h).
Status HandleHandoff(HubCore& hub, Call& call) {
  access::AppSessions* sessions = hub.deps().app_sessions;
  if (sessions == nullptr) return Status::NotFound("no app sign-in on this server");
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  std::string space_id = call.Query("space").value_or("");
  size_t slash = space_id.find('/');
  if (slash == std::string::npos) return Status::InvalidArgument("space must be owner/name");
  // Anyone who may see the Space may sign in on its app host (the edge then
  // decides what the app gives them): members of a private Space, every
  // visitor of a protected or gated one.
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, space_id.substr(0, slash), space_id.substr(slash + 1)));
  std::string next = call.Query("next").value_or("/");
  access::Caller caller{who.user.id, who.user.name};
  http::Response r = http::Response::Text(302, "");
  r.headers.Set("Location", hub.AppUrl(space) + "/.spaceport/login?code=" +
                                UrlEncode(sessions->MintCode(caller, space.full_id(), who.session_hash)) +
                                "&next=" + UrlEncode(next));
  r.headers.Set("Referrer-Policy", "no-referrer");
  r.headers.Set("Cache-Control", "no-store");
  return call.out.Send(r);
}

}  // namespace

void HubCore::PublishAccess(const store::Space& space) {
  ApplyAccess(space);
  Announce("space", std::to_string(space.id));
}

void HubCore::ApplyAccess(const store::Space& space) {
  if (deps_.access_table == nullptr) return;
  access::SpaceAccess rules;
  rules.visibility = space.effective_visibility();
  rules.disabled = space.disabled;
  // Readers of the app: the owning user, or every member of the owning
  // organization (any role reads); admins are let in by the edge itself.
  if (Result<store::User> owner = deps_.store->GetUserByName(space.owner); owner.ok()) {
    rules.readers.insert(owner->id);
  } else if (Result<store::Organization> org = deps_.store->GetOrganizationByName(space.owner); org.ok()) {
    if (auto members = deps_.store->ListOrgMembers(org->id); members.ok()) {
      for (const store::OrgMember& m : *members) rules.readers.insert(m.user.id);
    }
  }
  deps_.access_table->PublishOwner(space.owner, rules.readers);  // billing passes them
  rules.gated = !GateOf(space).empty();
  if (rules.gated) {
    auto accepted = deps_.store->ListAccessRequests(space.id, store::AccessRequestStatus::kAccepted);
    if (accepted.ok()) {
      for (const store::AccessRequest& r : *accepted) rules.readers.insert(r.user_id);
    }
  }
  AddLiveEmbedLinks(space, rules);
  deps_.access_table->Publish(space.full_id(), std::move(rules));
}

// Unrevoked, unexpired embed links; on a store error none (a link then
// fails closed until the next publish).
void HubCore::AddLiveEmbedLinks(const store::Space& space, access::SpaceAccess& rules) {
  Result<std::vector<store::EmbedLink>> links = deps_.store->ListEmbedLinks(space.id);
  if (!links.ok()) {
    SP_LOG(kWarn) << "embed links of " << space.full_id() << ": " << links.status().ToString();
    return;
  }
  const int64_t now = deps_.clock->UnixMillis();
  for (const store::EmbedLink& l : *links) {
    if (!l.revoked && l.expires_at > now) rules.embed_links[l.id] = {l.secret_hash, l.expires_at};
  }
}

std::string HubCore::GateOf(const store::Space& space) {
  Result<std::string> gate = deps_.store->GetGate(space.id);
  return gate.ok() ? *gate : "";
}

void HubCore::ForgetAccess(const std::string& space_id) {
  if (deps_.access_table != nullptr) deps_.access_table->Remove(space_id);
  Announce("forget", space_id);
}

// Every node reads every Space's rules at its own start: nothing to announce.
Status HubCore::PublishAllAccess() { return ApplyOwnerAccess(""); }

Status HubCore::PublishOwnerAccess(const std::string& owner) {
  Status s = ApplyOwnerAccess(owner);
  Announce("owner", owner);
  return s;
}

void HubCore::ForgetCallers() {
  if (deps_.callers != nullptr) deps_.callers->ForgetAll();
  Announce("callers", "");
}

void HubCore::Announce(std::string_view kind, std::string_view key) {
  if (deps_.changes == nullptr) return;
  // The change is made here already; another node that misses it catches
  // up at its next resync (a reconnect), so a failure is logged, not returned.
  if (Result<int64_t> seq = deps_.changes->Publish(kind, key); !seq.ok()) {
    SP_LOG(kWarn) << "announcing " << kind << " " << key << " to the other nodes: " << seq.status().message();
  }
}

void HubCore::ApplyChange(const store::Change& change) {
  if (change.kind == "space") {
    std::optional<int64_t> id = ParseInt(change.key);
    Result<store::Space> space = id ? deps_.store->GetSpaceById(*id) : Result<store::Space>(Status::NotFound(""));
    if (space.ok()) ApplyAccess(*space);  // a deleted Space comes with a "forget"
  } else if (change.kind == "forget") {
    if (deps_.access_table != nullptr) deps_.access_table->Remove(change.key);
  } else if (change.kind == "owner") {
    if (Status s = ApplyOwnerAccess(change.key); !s.ok()) {
      SP_LOG(kWarn) << "access rules of " << change.key << ": " << s.message();
    }
  } else if (change.kind == "callers") {
    if (deps_.callers != nullptr) deps_.callers->ForgetAll();
  } else if (change.kind == "session") {
    if (deps_.sessions != nullptr) deps_.sessions->ForgetCached(change.key);
  }
}

Status HubCore::ApplyOwnerAccess(const std::string& owner) {
  if (deps_.access_table == nullptr) return Status::Ok();
  store::SpaceQuery q;  // a system listing: private Spaces included
  q.author = owner;
  q.include_all_private = true;
  q.limit = 1000;
  return store::ForEachSpace(*deps_.store, q, [this](const store::Space& space) {
    ApplyAccess(space);
    return Status::Ok();
  });
}

void RegisterIdentityRoutes(Router& router, HubCore& hub) {
  router.Add("GET", "/.well-known/jwks.json", [&hub](Call& call) { return HandleJwks(hub, call); });
  router.Add(
      "GET", "/.spaceport/handoff", [&hub](Call& call) { return HandleHandoff(hub, call); }, ErrorFormat::kHtml);
}

}  // namespace spaceport::hub
