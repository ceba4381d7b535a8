#include "hub/router.h"

#include <algorithm>

#include "core/strings.h"

namespace spaceport::hub {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool SegmentsMatch(const Route& route, const std::vector<std::string>& segments,
                   std::map<std::string, std::string, std::less<>>* params) {
  bool rest = !route.segments.empty() && route.segments.back()[0] == '*';
  if (rest ? segments.size() < route.segments.size() : route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[std::min(i, route.segments.size() - 1)];
    if (rest && i + 1 >= route.segments.size()) {
      std::string& value = (*params)[want.substr(1)];
      value += (value.empty() ? "" : "/") + segments[i];
    } else if (!want.empty() && want[0] == ':') {
      (*params)[want.substr(1)] = segments[i];
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<std::string>> SplitPath(std::string_view raw_path) {
  std::string decoded;
  decoded.reserve(raw_path.size());
  for (size_t i = 0; i < raw_path.size(); ++i) {
    char c = raw_path[i];
    if (c == '%') {
      int hi = i + 2 < raw_path.size() ? HexValue(raw_path[i + 1]) : -1;
      int lo = hi >= 0 ? HexValue(raw_path[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::InvalidArgument("bad percent-escape in path");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("control character in path");
    }
    decoded.push_back(c);
  }
  std::vector<std::string> out;
  for (std::string& part : Split(decoded, '/')) {
    if (!part.empty()) out.push_back(std::move(part));
  }
  return out;
}

void Router::Add(std::string method, std::string pattern, RouteHandler handler, ErrorFormat format) {
  Route r;
  r.method = std::move(method);
  r.segments = SplitPath(pattern).value();
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  r.format = format;
  routes_.push_back(std::move(r));
}

RouteMatch Router::Find(std::string_view method, const std::vector<std::string>& segments) const {
  RouteMatch match;
  for (const Route& route : routes_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!SegmentsMatch(route, segments, &params)) continue;
    match.path_matched = true;
    if (route.method == method) {
      match.route = &route;
      match.params = std::move(params);
      return match;
    }
  }
  return match;
}

}  // namespace spaceport::hub
