// HTTP/1.1 message heads shared by the edge, the hub and the client.
//
// Plain values: no I/O here. Header names keep the case they arrived with and
// compare case-insensitively. Bodies are not part of Request (they stream, see
// handler.h); Response carries a small in-memory body for simple handlers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spaceport::http {

// ASCII case-insensitive equality for field names and tokens (no locale;
// the length check rejects most candidates before any byte is compared).
inline bool NameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = a[i], y = b[i];
    if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
  }
  return true;
}

// NameEquals where '_' also matches '-': the names CGI and WSGI servers
// (and so many apps) read a field by, HTTP_X_FORWARDED_FOR for both
// X-Forwarded-For and X_Forwarded_For. Headers the edge sets or strips are
// compared this way, so no spelling of them gets through.
inline bool SpellsName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = a[i] == '_' ? '-' : a[i], y = b[i] == '_' ? '-' : b[i];
    if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
  }
  return true;
}

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  void Add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field of that name with one.
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  // Removes every field SpellsName(name) matches.
  void RemoveAnySpelling(std::string_view name);
  // The first field of that name.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Does a comma-separated header (Connection, Upgrade...) contain `token`?
  bool HasToken(std::string_view name, std::string_view token) const;
  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>& mutable_fields() { return fields_; }
  bool empty() const { return fields_.empty(); }
  void Reserve(size_t n) { fields_.reserve(n); }

 private:
  std::vector<Field> fields_;
};

struct Request {
  std::string method;       // "GET"
  std::string target;       // raw request-target as sent: "/a/b?x=1"
  std::string path;         // target up to '?', percent-decoding NOT applied
  std::string query;        // after '?', without it; empty if none
  int version_minor = 1;    // HTTP/1.x
  Headers headers;
  std::string remote_addr;  // peer IP address, filled by the server
  // Host without port, lower-cased (from the Host header).
  std::string host() const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response Json(int status, std::string json_body);
};

std::string_view ReasonPhrase(int status);

// Hop-by-hop fields (RFC 9110 7.6.1): Connection, Keep-Alive, Proxy-Connection,
// TE, Trailer, Transfer-Encoding, Upgrade, plus every name listed in Connection.
// Removes them in place. Upgrade/Connection are re-added by the proxy itself
// for WebSocket.
void StripHopByHop(Headers& headers);

}  // namespace spaceport::http
