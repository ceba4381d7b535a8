// The edge's built-in filters: path guard, route, sanitize, app state.
//
// PathGuardFilter rejects any path with a ".." segment (also %2e%2e and
// backslashes) with 400 before anything else looks at it. RouteFilter maps
// the Host or the /spaces/{owner}/{name}/app/ prefix to an AppRoute (404 for
// unknown apps, 301 to add the trailing slash) and leaves everything else to
// the hub. SanitizeFilter strips client-sent X-Spaceport-* identity headers
// and the hub's session cookie, and sets X-Forwarded-*. AppStateFilter runs
// after the access filter: it answers /.spaceport/status on an app host and
// 503s apps that neither serve nor can be woken (a wakeable one passes on to
// the activation filter), so a private Space's stage never reaches a stranger.
// Thread safety: stateless apart from the shared RouteTable (itself safe).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "directory/traffic.h"
#include "edge/filter.h"
#include "runtime/routes.h"

namespace spaceport::edge {

// True when the path (raw or percent-decoded) has a ".." segment or a backslash.
bool PathHasDotDot(std::string_view path);

class PathGuardFilter : public Filter {
 public:
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;
};

class RouteFilter : public Filter {
 public:
  RouteFilter(const runtime::RouteTable* routes, std::string apps_domain)
      : routes_(routes), apps_suffix_("." + apps_domain) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  FilterStatus Serve(RequestContext& ctx, std::shared_ptr<const runtime::AppRoute> route);

  const runtime::RouteTable* routes_;
  std::string apps_suffix_;
};

// After access checks: answers /.spaceport/status on app hosts and 503s apps
// that neither serve nor can be woken.
class AppStateFilter : public Filter {
 public:
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;
};

// Drops the X-Spaceport-* and X-Forwarded-* headers a client sent; an
// X-Spaceport-Probe carrying `probe_token` (non-empty) marks the request as
// the directory's health probe.
class SanitizeFilter : public Filter {
 public:
  explicit SanitizeFilter(std::string probe_token = "") : probe_token_(std::move(probe_token)) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  std::string probe_token_;
};

// Counts each app request's visitor for the directory (traffic.h): after
// access, so a signed-in caller counts once wherever they come from.
class TrafficFilter : public Filter {
 public:
  TrafficFilter(directory::TrafficCounter* counter, const Clock* clock) : counter_(counter), clock_(clock) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  directory::TrafficCounter* counter_;
  const Clock* clock_;
};

// Cookies. CookieValue: the value of cookie `name` (a view into `headers`).
// StripCookie: removes cookie `name` from one Cookie header value, allocating
// only when it is there; true when nothing is left. With `removed`, the
// (first) removed value is stored there. RemoveCookie: the same
// over every Cookie header, dropping the emptied ones.
std::optional<std::string_view> CookieValue(const http::Headers& headers, std::string_view name);
bool StripCookie(std::string& value, std::string_view name, std::string* removed = nullptr);
void RemoveCookie(http::Headers& headers, std::string_view name);

// The JSON or HTML 503 for an app that is not serving (by Accept).
http::Response NotServingResponse(const http::Request& request, const runtime::AppRoute& route);

}  // namespace spaceport::edge
