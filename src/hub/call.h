// Call: one hub request in flight, as the route handlers see it.
//
// Holds the request, its body reader and response writer (borrowed from the
// server for the duration of Handle), the route's captured parameters, and
// the caller's identity, resolved on first use and cached. JSON helpers here
// are the adapter edge for nlohmann::json: parse errors and type mismatches
// become InvalidArgument, never exceptions.
// Thread safety: a Call belongs to one request on one thread.
#pragma once

#include <map>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "access/tokens.h"
#include "core/status.h"
#include "http/handler.h"

namespace spaceport::hub {

using Json = nlohmann::json;

class Call {
 public:
  Call(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out,
       const access::Authenticator* auth)
      : request(request), body(body), out(out), auth_(auth) {}

  const http::Request& request;
  http::BodyReader& body;
  http::ResponseWriter& out;
  std::map<std::string, std::string, std::less<>> params;
  // A web-form route (checks its own CSRF field). Elsewhere a session cookie
  // counts for unsafe methods only with a matching X-CSRF-Token header.
  bool form_route = false;

  // A captured route parameter ("" when absent).
  const std::string& Param(std::string_view name) const;
  std::optional<std::string> Query(std::string_view key) const;
  // An integer query parameter in [min, max]; `fallback` when absent;
  // InvalidArgument naming the key and the range otherwise.
  Result<int64_t> IntQuery(std::string_view key, int64_t fallback, int64_t min,
                           int64_t max = std::numeric_limits<int64_t>::max()) const;

  // nullopt: anonymous. Unauthenticated: credentials present but bad.
  // A session cookie without its CSRF header on an unsafe API request is
  // ignored (anonymous), so another site cannot act with it.
  Result<std::optional<access::Principal>> Caller();
  // Unauthenticated when anonymous.
  Result<access::Principal> RequireCaller();

  // The body as a JSON object (an empty body is {}).
  Result<Json> ReadJsonObject(size_t limit = 1 << 20);

  Status SendJson(int status, const Json& body);
  Status SendHtml(int status, std::string html);

 private:
  const access::Authenticator* auth_;
  bool caller_resolved_ = false;
  Result<std::optional<access::Principal>> caller_{std::optional<access::Principal>()};
};

// Serializes without throwing (invalid UTF-8 is replaced).
std::string DumpJson(const Json& j);

// Typed optional fields of a JSON object: nullopt when missing or null,
// InvalidArgument when present with the wrong type.
Result<std::optional<std::string>> OptString(const Json& obj, std::string_view key);
Result<std::optional<bool>> OptBool(const Json& obj, std::string_view key);
Result<std::optional<int64_t>> OptInt(const Json& obj, std::string_view key);

// Parses stored JSON text (card_json); {} when empty or malformed.
Json ParseStoredJson(const std::string& text);

}  // namespace spaceport::hub
