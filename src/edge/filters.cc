#include "edge/filters.h"

#include <nlohmann/json.hpp>

#include "core/strings.h"

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

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

bool PathHasDotDot(std::string_view path) {
  if (HasDotDotSegment(path)) return true;
  if (path.find('%') == std::string_view::npos) return false;
  // Decode twice so %252e%252e is caught too.
  std::string once = UrlDecode(path);
  return HasDotDotSegment(once) || HasDotDotSegment(UrlDecode(once));
}

http::Response JsonError(int status, std::string_view message) {
  nlohmann::json body = {{"error", std::string(message)}};
  return http::Response::Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::Response NotServingResponse(const http::Request& request, const runtime::AppRoute& route) {
  std::string message = "Space " + route.space_id + " is not running (stage " + route.stage + ")";
  if (!route.error_message.empty()) message += ": " + route.error_message;
  http::Response r;
  auto accept = request.headers.Get("Accept");
  if (accept && accept->find("text/html") != std::string_view::npos) {
    r = http::Response::Text(503,
                             "<!doctype html><html><head><meta http-equiv=\"refresh\" content=\"5\"><title>" +
                                 HtmlEscape(route.space_id) + "</title></head><body><h1>" +
                                 HtmlEscape(route.space_id) + " is " + HtmlEscape(route.stage) + "</h1><p>" +
                                 HtmlEscape(route.error_message) + "</p></body></html>",
                             "text/html; charset=utf-8");
  } else {
    nlohmann::json body = {{"error", message}, {"stage", route.stage}, {"errorMessage", route.error_message}};
    r = http::Response::Json(503, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  r.headers.Add("Retry-After", "5");
  return r;
}

FilterStatus PathGuardFilter::OnRequestHeaders(RequestContext& ctx) {
  if (!PathHasDotDot(ctx.request.path)) return FilterStatus::kContinue;
  ctx.kind = RouteKind::kEdge;
  ctx.callbacks->SendLocalReply(JsonError(400, "path contains '..'"));
  return FilterStatus::kStop;
}

FilterStatus RouteFilter::Serve(RequestContext& ctx, std::shared_ptr<const runtime::AppRoute> route) {
  ctx.kind = route->static_root.empty() ? RouteKind::kAppProxy : RouteKind::kAppStatic;
  if (!route->serving()) {
    ctx.kind = RouteKind::kEdge;
    ctx.callbacks->SendLocalReply(NotServingResponse(ctx.request, *route));
    return FilterStatus::kStop;
  }
  ctx.route = std::move(route);
  return FilterStatus::kContinue;
}

FilterStatus RouteFilter::OnRequestHeaders(RequestContext& ctx) {
  http::Request& req = ctx.request;
  std::string host = req.host();
  if (host.size() > apps_suffix_.size() && EndsWith(host, apps_suffix_)) {
    std::string_view sub = std::string_view(host).substr(0, host.size() - apps_suffix_.size());
    if (sub.find('.') == std::string_view::npos) {
      auto route = routes_->FindBySubdomain(sub);
      if (!route) {
        ctx.kind = RouteKind::kEdge;
        ctx.callbacks->SendLocalReply(JsonError(404, "no Space is served at " + host));
        return FilterStatus::kStop;
      }
      req.headers.Remove("X-Forwarded-Prefix");
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
    ctx.callbacks->SendLocalReply(JsonError(404, "Space " + space_id + " not found"));
    return FilterStatus::kStop;
  }
  req.path = std::string(tail.substr(4));
  req.target = req.query.empty() ? req.path : req.path + "?" + req.query;
  req.headers.Set("X-Forwarded-Prefix", prefix);
  return Serve(ctx, std::move(route));
}

FilterStatus SanitizeFilter::OnRequestHeaders(RequestContext& ctx) {
  http::Headers& h = ctx.request.headers;
  std::erase_if(h.mutable_fields(), [](const http::Headers::Field& f) {
    return f.first.size() >= 12 && EqualsIgnoreCase(std::string_view(f.first).substr(0, 12), "X-Spaceport-");
  });
  std::string xff;
  if (auto prior = h.Get("X-Forwarded-For")) xff = std::string(*prior) + ", ";
  xff += ctx.request.remote_addr;
  h.Set("X-Forwarded-For", std::move(xff));
  h.Set("X-Forwarded-Proto", ctx.tls ? "https" : "http");
  if (auto host = h.Get("Host")) {
    h.Set("X-Forwarded-Host", std::string(*host));
  }
  return FilterStatus::kContinue;
}

}  // namespace spaceport::edge
