// Fuzz target: Cookie headers from untrusted clients; each input line is one
// Cookie header. Calls edge::CookieValue, StripCookie and RemoveCookie
// (edge/filters.h) for the hub session and app-session cookie names, and
// access::SessionIdFromCookies (access/sessions.h). Checks (filters.h):
// StripCookie returns true only when nothing is left, and once a cookie is
// stripped or removed CookieValue no longer finds it (apps never get it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "access/sessions.h"
#include "core/strings.h"
#include "edge/access_filter.h"
#include "edge/filters.h"
#include "fuzz_support.h"
#include "http/message.h"

namespace spaceport::edge {
namespace {

http::Headers CookieHeaders(std::string_view lines) {
  http::Headers headers;
  for (std::string& line : Split(lines, '\n')) headers.Add("Cookie", std::move(line));
  return headers;
}

void FuzzCookieName(std::string_view lines, std::string_view name) {
  http::Headers headers = CookieHeaders(lines);
  static_cast<void>(CookieValue(headers, name));
  for (const http::Headers::Field& field : headers.fields()) {
    std::string value = field.second;
    std::string removed;
    bool emptied = StripCookie(value, name, &removed);
    SP_FUZZ_CHECK(!emptied || value.empty());
    http::Headers stripped;
    stripped.Add("Cookie", value);
    SP_FUZZ_CHECK(!CookieValue(stripped, name).has_value());
  }
  RemoveCookie(headers, name);
  SP_FUZZ_CHECK(!CookieValue(headers, name).has_value());
}

}  // namespace
}  // namespace spaceport::edge

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view lines(reinterpret_cast<const char*>(data), size);
  spaceport::edge::FuzzCookieName(lines, spaceport::access::kSessionCookieName);
  spaceport::edge::FuzzCookieName(lines, spaceport::edge::kAppSessionCookie);
  static_cast<void>(spaceport::access::SessionIdFromCookies(spaceport::edge::CookieHeaders(lines)));
  return 0;
}
