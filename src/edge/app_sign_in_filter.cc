#include "edge/app_sign_in_filter.h"

#include "core/strings.h"
#include "edge/access_replies.h"
#include "http/error_response.h"
#include "edge/filters.h"

namespace spaceport::edge {

FilterStatus AppSignInFilter::OnRequestHeaders(RequestContext& ctx) {
  // Only on an app's own host: the path-based URL shares the hub's origin,
  // where an app cookie would be the hub's.
  if (!ctx.route || ctx.route->forwarded || !ctx.path_prefix.empty()) return FilterStatus::kContinue;
  if (StartsWith(ctx.request.path, "/.spaceport/login")) return HandleLogin(ctx);
  if (ctx.request.path == "/.spaceport/embed") {
    std::shared_ptr<const access::SpaceAccess> rules = deps_.table->Find(ctx.route->space_id);
    return HandleEmbed(ctx, rules.get());
  }
  return FilterStatus::kContinue;
}

// GET /.spaceport/embed?t=ID.SECRET on an app host: a live embed link of this
// host's Space sets the embed viewer's cookie and opens the app at "/".
// Anything else answers as the Space answers strangers: a private Space as
// if it did not exist (404), a gated one 403 with the way to ask for access,
// an open one 403 (its existence is no secret).
FilterStatus AppSignInFilter::HandleEmbed(RequestContext& ctx, const access::SpaceAccess* rules) {
  ctx.kind = RouteKind::kEdge;
  const http::Request& req = ctx.request;
  std::optional<std::string> token = QueryParam(req.query, "t");
  std::optional<access::EmbedGrant> grant =
      token ? access::CheckEmbedToken(rules, *token, deps_.sessions->UnixMillis()) : std::nullopt;
  if (!grant) {
    if (rules != nullptr && rules->visibility == access::Visibility::kPrivate) {
      ctx.callbacks->SendLocalReply(NotFoundLikeUnknown(ctx));
    } else if (rules != nullptr && rules->gated) {
      ctx.callbacks->SendLocalReply(GatedResponse(ctx, deps_.sessions->issuer()));
    } else {
      ctx.callbacks->SendLocalReply(
          http::ErrorResponse(Status::PermissionDenied("this embed link has expired, was revoked or is not for this Space")));
    }
    return FilterStatus::kStop;
  }
  access::AppSessions::EmbedCookie cookie = deps_.sessions->EmbedSession(ctx.route->space_id, *grant);
  http::Response redirect = http::Response::Text(302, "");
  redirect.headers.Set("Location", "/");
  bool secure_context = ctx.tls || IsLocalhostName(req.host());
  redirect.headers.Add("Set-Cookie", SessionCookie(cookie.value, secure_context, cookie.ttl));
  // The link's secret was in this URL: keep it out of the app's Referer.
  redirect.headers.Set("Referrer-Policy", "no-referrer");
  redirect.headers.Set("Cache-Control", "no-store");
  ctx.callbacks->SendLocalReply(std::move(redirect));
  return FilterStatus::kStop;
}

FilterStatus AppSignInFilter::HandleLogin(RequestContext& ctx) {
  ctx.kind = RouteKind::kEdge;
  const http::Request& req = ctx.request;
  std::optional<std::string> code = QueryParam(req.query, "code");
  Result<std::string> session = code ? deps_.sessions->Redeem(*code, ctx.route->space_id)
                                     : Result<std::string>(Status::Unauthenticated("missing sign-in code"));
  if (!session.ok()) {
    ctx.callbacks->SendError(Status::Unauthenticated(session.status().message()));
    return FilterStatus::kStop;
  }
  http::Response redirect = http::Response::Text(302, "");
  redirect.headers.Set("Location", SafeNextPath(QueryParam(req.query, "next").value_or("/")));
  bool secure_context = ctx.tls || IsLocalhostName(req.host());
  redirect.headers.Add("Set-Cookie", SessionCookie(*session, secure_context, deps_.sessions->session_ttl()));
  // The code was in this URL: keep it out of the next page's Referer.
  redirect.headers.Set("Referrer-Policy", "no-referrer");
  redirect.headers.Set("Cache-Control", "no-store");
  ctx.callbacks->SendLocalReply(std::move(redirect));
  return FilterStatus::kStop;
}

}  // namespace spaceport::edge
