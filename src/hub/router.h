// Router: maps (method, path) to a hub handler by path-segment patterns.
//
// Patterns are like "/api/spaces/:owner/:name/runtime": literal segments
// match exactly, ":x" captures one segment, a final "*x" captures the rest
// (one or more segments, joined with '/'). Paths are percent-decoded before
// they are split (so "owner%2Fname" is two segments) and empty segments are
// ignored (a trailing slash does not matter). Built once at start-up, then
// read-only: Find is thread safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "hub/http_error.h"

namespace spaceport::hub {

class Call;
using RouteHandler = std::function<Status(Call&)>;

struct Route {
  std::string method;
  std::string pattern;  // also the route's name in metrics
  std::vector<std::string> segments;
  RouteHandler handler;
  ErrorFormat format = ErrorFormat::kJson;
};

struct RouteMatch {
  const Route* route = nullptr;        // nullptr: no route
  bool path_matched = false;           // some route had this path (405 if route is null)
  std::map<std::string, std::string, std::less<>> params;
};

// Percent-decodes a raw request path and splits it into non-empty segments.
// InvalidArgument for bad escapes, NUL or control characters.
Result<std::vector<std::string>> SplitPath(std::string_view raw_path);

class Router {
 public:
  void Add(std::string method, std::string pattern, RouteHandler handler, ErrorFormat format = ErrorFormat::kJson);
  RouteMatch Find(std::string_view method, const std::vector<std::string>& segments) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace spaceport::hub
