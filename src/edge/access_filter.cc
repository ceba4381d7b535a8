#include "edge/access_filter.h"

#include "core/strings.h"
#include "edge/access_replies.h"
#include "edge/filters.h"

namespace spaceport::edge {
namespace {

bool IsSafeMethod(std::string_view method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

// A state-changing request from this origin itself: another app host of the
// same site sends the (SameSite=Lax) hub cookie too, but not this Origin.
bool FromSameOrigin(const http::Request& req) {
  if (auto site = req.headers.Get("Sec-Fetch-Site")) return *site == "same-origin";
  std::optional<std::string_view> origin = req.headers.Get("Origin");
  std::optional<std::string_view> host = req.headers.Get("Host");
  if (!origin || !host) return false;
  std::string o = ToLower(*origin), h = ToLower(*host);
  return o == "http://" + h || o == "https://" + h;
}

}  // namespace

FilterStatus AccessFilter::OnRequestHeaders(RequestContext& ctx) {
  // A forwarded route's request keeps its credentials for the edge that runs the app.
  if (!ctx.route || ctx.route->forwarded) return FilterStatus::kContinue;
  const http::Request& req = ctx.request;
  std::shared_ptr<const access::SpaceAccess> entry = deps_.table->Find(ctx.route->space_id);
  Rules rules = entry.get();
  if (entry && !entry->disabled.empty()) {
    // A private Space stays unknown, disabled or not: the notice is for public and gated ones.
    ctx.callbacks->SendLocalReply(entry->visibility == access::Visibility::kPrivate
                                      ? NotFoundLikeUnknown(ctx)
                                      : DisabledResponse(ctx, entry->disabled));
    return FilterStatus::kStop;
  }
  if (ctx.probe) return FilterStatus::kContinue;  // the directory's health probe (filter.h)

  Credentials carried;
  std::optional<std::string> embed_link;
  if (std::optional<std::string_view> cookie = CookieValue(req.headers, kAppSessionCookie)) {
    carried.app_cookie = true;
    access::AppSessions::CookieHolder holder = deps_.sessions->ReadCookie(*cookie, ctx.route->space_id);
    if (holder.caller) {
      // Made from a hub session: it counts while that session lives, so
      // signing out of the hub signs the visitor out of the app host too.
      if (holder.session_hash.empty() || deps_.hub_sessions == nullptr) {
        return Decide(ctx, rules, holder.caller, carried);
      }
      if (std::optional<int64_t> user = deps_.hub_sessions->CachedUserOf(holder.session_hash)) {
        if (*user == holder.caller->user_id) return Decide(ctx, rules, holder.caller, carried);
      }
      return DecideBySession(ctx, rules, std::move(holder.session_hash), holder.caller->user_id, std::string(*cookie),
                             carried);
    }
    if (holder.embed_link && rules != nullptr &&
        rules->EmbedLinkLive(*holder.embed_link, deps_.sessions->UnixMillis())) {
      embed_link = std::move(holder.embed_link);
    }
  }
  std::optional<std::string_view> auth = req.headers.Get("Authorization");
  // Only Spaceport tokens are ours to check; other schemes belong to the app.
  // A visitor's own token outranks an embed viewer's cookie.
  if (!auth || !(auth->find(" sp_") != std::string_view::npos || auth->find(" hf_") != std::string_view::npos)) {
    if (embed_link) return AdmitEmbedViewer(ctx, *embed_link);
    return DecideWithHubSession(ctx, rules, carried);
  }
  if (std::optional<access::CallerCache::Answer> known = deps_.callers->Peek(*auth)) {
    if (!known->ok()) return RefuseBadToken(ctx, rules, known->status(), carried);
    return Decide(ctx, rules, **known, {carried.app_cookie, true});
  }
  // A miss: one store read, off the event loop. The rules may change
  // meanwhile, so the continuation reads them again.
  FilterCallbacks* callbacks = ctx.callbacks;
  std::string header(*auth);
  bool queued = workers_->Submit([this, callbacks, header, carried] {
    access::CallerCache::Answer answer = deps_.callers->Lookup(header);
    callbacks->ContinueDecodingWith([this, answer, carried](RequestContext& resumed) {
      std::shared_ptr<const access::SpaceAccess> now = deps_.table->Find(resumed.route->space_id);
      if (!answer.ok()) return RefuseBadToken(resumed, now.get(), answer.status(), carried);
      return Decide(resumed, now.get(), *answer, {carried.app_cookie, true});
    });
  });
  if (!queued) {
    ctx.callbacks->SendError(Status::Unavailable("server is shutting down"));
  }
  return FilterStatus::kStop;
}

FilterStatus AccessFilter::DecideWithHubSession(RequestContext& ctx, Rules rules, Credentials carried) {
  if (ctx.hub_session.empty() || deps_.hub_sessions == nullptr || ctx.path_prefix.empty()) {
    return Decide(ctx, rules, std::nullopt, carried);
  }
  if (!IsSafeMethod(ctx.request.method) && !FromSameOrigin(ctx.request)) {
    return Decide(ctx, rules, std::nullopt, carried);
  }
  if (rules == nullptr || rules->AllowsApp(0) || !access::IsWellFormedSessionId(ctx.hub_session)) {
    return Decide(ctx, rules, std::nullopt, carried);
  }
  return DecideBySession(ctx, rules, access::HashSessionId(ctx.hub_session), 0, "", carried);
}

FilterStatus AccessFilter::DecideBySession(RequestContext& ctx, Rules rules, std::string id_hash, int64_t only_user,
                                           std::string cookie, Credentials carried) {
  const access::AppSessions* app_sessions = deps_.sessions;
  auto caller_of = [only_user, cookie = std::move(cookie),
                    app_sessions](const std::optional<access::SessionIdentity>& s) -> std::optional<access::Caller> {
    if (!s || (only_user != 0 && s->user.id != only_user)) {
      if (!cookie.empty()) app_sessions->EndCookie(cookie);
      return std::nullopt;
    }
    return access::Caller{s->user.id, s->user.name};
  };
  if (std::optional<access::SessionIdentity> known = deps_.hub_sessions->FindCachedByHash(id_hash)) {
    return Decide(ctx, rules, caller_of(known), carried);
  }
  // A miss (a restart, or a session this process has not seen yet): one
  // store read, off the event loop. Unknown sessions are not remembered: the
  // hub reads the store for every request with such a cookie anyway.
  FilterCallbacks* callbacks = ctx.callbacks;
  bool queued = workers_->Submit([this, callbacks, id_hash = std::move(id_hash), caller_of, carried] {
    Result<std::optional<access::SessionIdentity>> found = deps_.hub_sessions->LookupByHash(id_hash);
    callbacks->ContinueDecodingWith([this, found = std::move(found), caller_of, carried](RequestContext& resumed) {
      if (!found.ok()) {
        resumed.callbacks->SendError(Status::Unavailable("cannot check the session now; try again"));
        return FilterStatus::kStop;
      }
      std::shared_ptr<const access::SpaceAccess> now = deps_.table->Find(resumed.route->space_id);
      return Decide(resumed, now.get(), caller_of(*found), carried);
    });
  });
  if (!queued) ctx.callbacks->SendError(Status::Unavailable("server is shutting down"));
  return FilterStatus::kStop;
}

// A token that is not a valid Spaceport token: refused where access matters;
// on an open app it may be the app's own business (an HF token meant for the
// app), so the request goes on anonymously with the header untouched.
FilterStatus AccessFilter::RefuseBadToken(RequestContext& ctx, Rules rules, const Status& why, Credentials carried) {
  if (why.code() == StatusCode::kUnauthenticated && (rules == nullptr || rules->Unrestricted())) {
    return Decide(ctx, rules, std::nullopt, carried);
  }
  // A bad token is 401; anything else (the store failing) is for later.
  ctx.callbacks->SendError(why.code() == StatusCode::kUnauthenticated ? why : Status::Unavailable(why.message()));
  return FilterStatus::kStop;
}

FilterStatus AccessFilter::Decide(RequestContext& ctx, Rules rules, const std::optional<access::Caller>& caller,
                                  Credentials carried) {
  http::Headers& headers = ctx.request.headers;
  if (rules != nullptr && !rules->AllowsApp(caller ? caller->user_id : 0)) {
    bool hidden = rules->visibility == access::Visibility::kPrivate;
    ctx.callbacks->SendLocalReply(hidden ? NotFoundLikeUnknown(ctx) : GatedResponse(ctx, deps_.sessions->issuer()));
    return FilterStatus::kStop;
  }
  if (carried.app_cookie) RemoveCookie(headers, kAppSessionCookie);
  if (carried.token) headers.Remove("Authorization");  // the visitor's own Spaceport token
  if (!caller) return FilterStatus::kContinue;
  ctx.caller_id = caller->user_id;
  ctx.caller_name = caller->name;
  headers.Add("X-Spaceport-User", caller->name);
  headers.Add("X-Spaceport-Identity", deps_.sessions->IdentityToken(*caller, ctx.route->space_id));
  return FilterStatus::kContinue;
}

// An embed viewer is no user: the app gets the link's id, no identity.
FilterStatus AccessFilter::AdmitEmbedViewer(RequestContext& ctx, const std::string& link_id) {
  RemoveCookie(ctx.request.headers, kAppSessionCookie);
  ctx.request.headers.Add("X-Spaceport-Embed", link_id);
  return FilterStatus::kContinue;
}

}  // namespace spaceport::edge
