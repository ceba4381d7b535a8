// Likes API: like and unlike a Space, who likes a Space, what a user likes.
// Liking needs a signed-in user who can read the Space; the lists show only
// the Spaces the caller may read.
#include "core/clock.h"
#include "core/log.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

Status HandleLike(HubCore& hub, Call& call, bool like) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  store::Store* store = hub.deps().store;
  if (like) {
    RETURN_IF_ERROR(store->Like(who.user.id, space.id, hub.deps().clock->UnixMillis()));
  } else {
    RETURN_IF_ERROR(store->Unlike(who.user.id, space.id));
  }
  ASSIGN_OR_RETURN(int64_t likes, store->CountLikes(space.id));
  // Likes are a quality signal and make trending: the Space's place in the
  // index follows.
  Status ranked = Status::Ok();
  if (directory::Signals* signals = hub.deps().signals) {
    ranked = signals->OnLikesChanged(space.id);
  } else if (directory::Directory* directory = hub.deps().directory) {
    ranked = directory->Refresh(space.id, likes);
  }
  if (!ranked.ok() && ranked.code() != StatusCode::kNotFound) {
    SP_LOG(kWarn) << "directory: re-ranking " << space.full_id() << ": " << ranked.message();
  }
  return call.SendJson(200, {{"likes", likes}});
}

Status HandleLikers(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(std::vector<store::User> users, hub.deps().store->ListLikers(space.id));
  Json list = Json::array();
  for (const store::User& u : users) list.push_back({{"user", u.name}, {"fullname", u.name}, {"type", "user"}});
  return call.SendJson(200, list);
}

Status HandleUserLikes(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  Result<store::User> user = hub.deps().store->GetUserByName(call.Param("user"));
  if (user.status().code() == StatusCode::kNotFound) return Status::NotFound("user not found");
  RETURN_IF_ERROR(user.status());
  ASSIGN_OR_RETURN(std::vector<store::LikedSpace> liked, hub.deps().store->ListLikedSpaces(user->id));
  Json list = Json::array();
  for (const store::LikedSpace& l : liked) {
    if (!access::CanSee(hub.LevelOn(who, l.space), l.space)) continue;
    list.push_back({{"createdAt", FormatIsoTime(l.liked_at)},
                    {"repo", {{"name", l.space.full_id()}, {"type", "space"}}}});
  }
  return call.SendJson(200, list);
}

}  // namespace

void RegisterLikesApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/api/spaces/:owner/:name";
  router.Add("POST", base + "/like", [h](Call& c) { return HandleLike(*h, c, true); });
  router.Add("DELETE", base + "/like", [h](Call& c) { return HandleLike(*h, c, false); });
  router.Add("GET", base + "/likers", [h](Call& c) { return HandleLikers(*h, c); });
  router.Add("GET", "/api/users/:user/likes", [h](Call& c) { return HandleUserLikes(*h, c); });
}

}  // namespace spaceport::hub
