#include "edge/filters.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "edge/activation_filter.h"
#include "http/error_response.h"

namespace spaceport::edge {
namespace {

bool HasDotDotSegment(std::string_view path) {
  if (path.find('\\') != std::string_view::npos) return true;
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (path.substr(0, slash) == "..") return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

// The Host header without port (brackets of an IPv6 literal kept), as
// Request::host() but without lower-casing into a new string.
std::string_view HostName(const http::Headers& headers) {
  auto h = headers.Get("Host");
  if (!h) return {};
  std::string_view v = Trim(*h);
  if (!v.empty() && v.front() == '[') {
    size_t close = v.find(']');
    if (close != std::string_view::npos) v = v.substr(0, close + 1);
  } else if (size_t colon = v.rfind(':'); colon != std::string_view::npos) {
    v = v.substr(0, colon);
  }
  return v;
}

}  // namespace

bool PathHasDotDot(std::string_view path) {
  if (HasDotDotSegment(path)) return true;
  if (path.find('%') == std::string_view::npos) return false;
  // Decode twice so %252e%252e is caught too.
  std::string once = UrlDecode(path);
  return HasDotDotSegment(once) || HasDotDotSegment(UrlDecode(once));
}

http::Response NotServingResponse(const http::Request& request, const runtime::AppRoute& route) {
  const std::string stage(runtime::StageName(route.stage));
  std::string message = "Space " + route.space_id + " is not running (stage " + stage + ")";
  if (!route.error_message.empty()) message += ": " + route.error_message;
  const int status = http::HttpStatusFor(StatusCode::kUnavailable);
  http::Response r;
  auto accept = request.headers.Get("Accept");
  if (accept && accept->find("text/html") != std::string_view::npos) {
    r = http::Response::Text(status,
                             "<!doctype html><html><head><meta http-equiv=\"refresh\" content=\"5\"><title>" +
                                 HtmlEscape(route.space_id) + "</title></head><body><h1>" +
                                 HtmlEscape(route.space_id) + " is " + HtmlEscape(stage) + "</h1><p>" +
                                 HtmlEscape(route.error_message) + "</p></body></html>",
                             "text/html; charset=utf-8");
  } else {
    nlohmann::json body = {{"error", message}, {"stage", stage}, {"errorMessage", route.error_message}};
    r = http::Response::Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  r.headers.Add("Retry-After", "5");
  return r;
}

FilterStatus PathGuardFilter::OnRequestHeaders(RequestContext& ctx) {
  if (!PathHasDotDot(ctx.request.path)) return FilterStatus::kContinue;
  ctx.kind = RouteKind::kEdge;
  ctx.callbacks->SendError(Status::InvalidArgument("path contains '..'"));
  return FilterStatus::kStop;
}

FilterStatus RouteFilter::Serve(RequestContext& ctx, std::shared_ptr<const runtime::AppRoute> route) {
  // Whether the app serves is answered after the access check (AppStateFilter),
  // so a private Space's stage is never shown to a stranger.
  ctx.kind = route->static_root.empty() ? RouteKind::kAppProxy : RouteKind::kAppStatic;
  ctx.route = std::move(route);
  return FilterStatus::kContinue;
}

FilterStatus AppStateFilter::OnRequestHeaders(RequestContext& ctx) {
  if (!ctx.route || ctx.route->forwarded) return FilterStatus::kContinue;  // the app's node answers
  const runtime::AppRoute& route = *ctx.route;
  if (ctx.request.path == kAppStatusPath) {  // polled by the waking page; never wakes the app
    ctx.kind = RouteKind::kEdge;
    ctx.callbacks->SendLocalReply(AppStatusResponse(route));
    return FilterStatus::kStop;
  }
  if (!route.serving() && !route.wakeable) {
    ctx.kind = RouteKind::kEdge;
    ctx.callbacks->SendLocalReply(NotServingResponse(ctx.request, route));
    return FilterStatus::kStop;
  }
  return FilterStatus::kContinue;
}

FilterStatus RouteFilter::OnRequestHeaders(RequestContext& ctx) {
  http::Request& req = ctx.request;
  std::string_view host = HostName(req.headers);
  if (host.size() > apps_suffix_.size() &&
      http::NameEquals(host.substr(host.size() - apps_suffix_.size()), apps_suffix_)) {
    std::string_view sub = host.substr(0, host.size() - apps_suffix_.size());
    // Subdomains are lower case; fold into a stack buffer (no allocation).
    char lower[64];
    if (sub.find('.') == std::string_view::npos && sub.size() <= sizeof(lower)) {
      for (size_t i = 0; i < sub.size(); ++i) {
        char c = sub[i];
        lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
      }
      auto route = routes_->FindBySubdomain(std::string_view(lower, sub.size()));
      if (!route) {
        ctx.kind = RouteKind::kEdge;
        ctx.callbacks->SendError(Status::NotFound("no Space is served at " + req.host()));
        return FilterStatus::kStop;
      }
      req.headers.RemoveAnySpelling("X-Forwarded-Prefix");  // a client's own is no prefix of ours
      return Serve(ctx, std::move(route));
    }
  }
  constexpr std::string_view kSpaces = "/spaces/";
  if (!StartsWith(req.path, kSpaces)) return FilterStatus::kContinue;
  std::string_view rest = std::string_view(req.path).substr(kSpaces.size());
  size_t owner_end = rest.find('/');
  if (owner_end == std::string_view::npos || owner_end == 0) return FilterStatus::kContinue;
  size_t name_end = rest.find('/', owner_end + 1);
  if (name_end == std::string_view::npos || name_end == owner_end + 1) return FilterStatus::kContinue;
  std::string_view tail = rest.substr(name_end);
  if (tail != "/app" && !StartsWith(tail, "/app/")) return FilterStatus::kContinue;
  std::string space_id(rest.substr(0, name_end));
  std::string prefix = std::string(kSpaces) + space_id + "/app";
  if (tail == "/app") {
    http::Response redirect = http::Response::Text(301, "");
    redirect.headers.Set("Location", prefix + "/" + (req.query.empty() ? "" : "?" + req.query));
    ctx.kind = RouteKind::kEdge;
    ctx.callbacks->SendLocalReply(std::move(redirect));
    return FilterStatus::kStop;
  }
  auto route = routes_->FindBySpaceId(space_id);
  if (!route) {
    ctx.kind = RouteKind::kEdge;
    ctx.callbacks->SendError(Status::NotFound("Space " + space_id + " not found"));
    return FilterStatus::kStop;
  }
  req.path = std::string(tail.substr(4));
  req.target = req.query.empty() ? req.path : req.path + "?" + req.query;
  req.headers.RemoveAnySpelling("X-Forwarded-Prefix");
  req.headers.Add("X-Forwarded-Prefix", prefix);
  ctx.path_prefix = std::move(prefix);
  return Serve(ctx, std::move(route));
}

std::optional<std::string_view> CookieValue(const http::Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers.fields()) {
    if (!http::NameEquals(field, "Cookie") || value.find(name) == std::string::npos) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t end = rest.find(';');
      std::string_view pair = Trim(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) return Trim(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

bool StripCookie(std::string& value, std::string_view name, std::string* removed) {
  if (value.find(name) == std::string::npos) return false;
  std::string kept;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(';', start);
    if (end == std::string::npos) end = value.size();
    std::string_view pair = Trim(std::string_view(value).substr(start, end - start));
    std::string_view pair_name = Trim(pair.substr(0, pair.find('=')));
    if (!pair.empty() && pair_name != name) {
      if (!kept.empty()) kept += "; ";
      kept += pair;
    } else if (!pair.empty() && removed != nullptr && removed->empty()) {
      size_t eq = pair.find('=');
      *removed = eq == std::string_view::npos ? "" : std::string(Trim(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  value = std::move(kept);
  return value.empty();
}

void RemoveCookie(http::Headers& headers, std::string_view name) {
  auto& fields = headers.mutable_fields();
  for (auto it = fields.begin(); it != fields.end();) {
    bool emptied = http::NameEquals(it->first, "Cookie") && StripCookie(it->second, name);
    it = emptied ? fields.erase(it) : std::next(it);
  }
}

namespace {

// The hub's browser session cookie (access::kSessionCookieName). Apps never
// get it: an app served on the hub's origin (path-based routing) would
// otherwise receive every visitor's hub session.
constexpr std::string_view kHubSessionCookie = "spaceport_session";

}  // namespace

FilterStatus SanitizeFilter::OnRequestHeaders(RequestContext& ctx) {
  // One pass: drop X-Spaceport-* and the X-Forwarded-* this filter sets
  // (every spelling; X-Forwarded-Prefix is RouteFilter's, already set),
  // keeping the first prior X-Forwarded-For value (moved, not copied).
  auto& fields = ctx.request.headers.mutable_fields();
  std::string xff;
  bool have_prior = false;
  size_t kept = 0;
  // Only a path-based app shares the hub's origin (RouteFilter set the
  // prefix; it drops a client-sent one on app hosts).
  const bool app = ctx.kind == RouteKind::kAppProxy || ctx.kind == RouteKind::kAppStatic;
  std::string* hub_session = app && !ctx.path_prefix.empty() ? &ctx.hub_session : nullptr;
  for (size_t i = 0; i < fields.size(); ++i) {
    auto& f = fields[i];
    std::string_view name = f.first;
    bool drop = false;
    // Any spelling: a WSGI app reads X_Spaceport_User as X-Spaceport-User.
    if (name.size() >= 12 && http::SpellsName(name.substr(0, 12), "X-Spaceport-")) {
      drop = true;
      if (!probe_token_.empty() && http::NameEquals(name, "X-Spaceport-Probe") &&
          ConstantTimeEquals(f.second, probe_token_)) {
        ctx.probe = true;
      }
    } else if (http::NameEquals(name, "X-Forwarded-For")) {
      drop = true;
      if (!have_prior) {
        have_prior = true;
        xff = std::move(f.second);
      }
    } else if (http::SpellsName(name, "X-Forwarded-For") || http::SpellsName(name, "X-Forwarded-Proto") ||
               http::SpellsName(name, "X-Forwarded-Host")) {
      drop = true;
    } else if (app && http::NameEquals(name, "Cookie")) {
      drop = StripCookie(f.second, kHubSessionCookie, hub_session);
    }
    if (drop) continue;
    if (kept != i) fields[kept] = std::move(f);
    ++kept;
  }
  fields.resize(kept);
  std::optional<std::string> forwarded_host;  // copied before the vector may grow
  for (const auto& f : fields) {
    if (http::NameEquals(f.first, "Host")) {
      forwarded_host = f.second;
      break;
    }
  }
  if (have_prior) xff += ", ";
  xff += ctx.proxy_addr.empty() ? ctx.request.remote_addr : ctx.proxy_addr;
  fields.emplace_back("X-Forwarded-For", std::move(xff));
  fields.emplace_back("X-Forwarded-Proto", ctx.tls ? "https" : "http");
  if (forwarded_host) fields.emplace_back("X-Forwarded-Host", std::move(*forwarded_host));
  return FilterStatus::kContinue;
}

FilterStatus TrafficFilter::OnRequestHeaders(RequestContext& ctx) {
  const bool app = ctx.kind == RouteKind::kAppProxy || ctx.kind == RouteKind::kAppStatic;
  if (app && ctx.route && ctx.route->space_key != 0 && !ctx.probe) {
    counter_->Visit(ctx.route->space_key, ctx.caller_id, ctx.request.remote_addr, clock_->UnixMillis());
  }
  return FilterStatus::kContinue;
}

}  // namespace spaceport::edge
