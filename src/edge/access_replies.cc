#include "edge/access_replies.h"

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "edge/filters.h"
#include "http/error_response.h"

namespace spaceport::edge {

http::Response NotFoundLikeUnknown(const RequestContext& ctx) {
  if (!ctx.path_prefix.empty()) {
    return http::ErrorResponse(Status::NotFound("Space " + ctx.route->space_id + " not found"));
  }
  return http::ErrorResponse(Status::NotFound("no Space is served at " + ctx.request.host()));
}

// Browsers treat TLS and localhost names as secure contexts, where a cookie
// may be SameSite=None; Secure; Partitioned and so also works inside the
// hub's iframe (a third-party context). Elsewhere over plain HTTP it can only
// be Lax: the app then signs in when opened in its own tab.
std::string SessionCookie(const std::string& value, bool secure_context, Millis ttl) {
  std::string c = std::string(kAppSessionCookie) + "=" + value +
                  "; Path=/; HttpOnly; Max-Age=" + std::to_string(ttl.count() / 1000);
  c += secure_context ? "; Secure; SameSite=None; Partitioned" : "; SameSite=Lax";
  return c;
}

bool IsLocalhostName(std::string_view host) { return host == "localhost" || EndsWith(host, ".localhost"); }

http::Response GatedResponse(const RequestContext& ctx, const std::string& hub_url) {
  std::string page = hub_url + "/spaces/" + ctx.route->space_id;
  std::string message = "Space " + ctx.route->space_id + " is gated: request access at " + page;
  auto accept = ctx.request.headers.Get("Accept");
  if (accept && accept->find("text/html") != std::string_view::npos) {
    return http::Response::Text(http::HttpStatusFor(StatusCode::kPermissionDenied),
                                "<!doctype html><html><head><title>Access requested</title></head><body><h1>" +
                                    HtmlEscape(ctx.route->space_id) +
                                    " is gated</h1><p>The author asks visitors to request access first.</p>"
                                    "<p><a href=\"" +
                                    HtmlEscape(page) + "\">Request access on its page</a></p></body></html>",
                                "text/html; charset=utf-8");
  }
  return http::ErrorResponse(Status::PermissionDenied(message));
}

http::Response DisabledResponse(const RequestContext& ctx, const std::string& notice) {
  constexpr int kUnavailableForLegalReasons = 451;
  auto accept = ctx.request.headers.Get("Accept");
  http::Response r;
  if (accept && accept->find("text/html") != std::string_view::npos) {
    r = http::Response::Text(kUnavailableForLegalReasons,
                             "<!doctype html><html><head><title>Space disabled</title></head><body><h1>" +
                                 HtmlEscape(ctx.route->space_id) + " is disabled</h1><p>" + HtmlEscape(notice) +
                                 "</p></body></html>",
                             "text/html; charset=utf-8");
  } else {
    nlohmann::json body = {{"error", "Space " + ctx.route->space_id + " is disabled: " + notice}, {"disabled", true}};
    r = http::Response::Json(kUnavailableForLegalReasons, body.dump());
  }
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace spaceport::edge
