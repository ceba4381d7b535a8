// Small string helpers shared by every module. Pure functions, thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace spaceport {

std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string_view Trim(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// A byte count for messages, in the largest binary unit that divides it
// (GiB, MiB, else KiB, rounded down): "50 GiB", "64 MiB", "512 KiB".
std::string SizeText(int64_t bytes);
std::optional<int64_t> ParseInt(std::string_view s);

std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);
std::string UrlDecode(std::string_view s);  // %XX and '+' as space
std::string UrlEncode(std::string_view s);  // RFC 3986 unreserved kept
// Value of one key of an application/x-www-form-urlencoded query string.
std::optional<std::string> QueryParam(std::string_view query, std::string_view key);
// All values of a key (for expand[]=a&expand[]=b).
std::vector<std::string> QueryParams(std::string_view query, std::string_view key);

// A redirect target kept on this site: `next` when it is a plain path
// ("/..."), else "/". Refuses "//host", "/\host", backslashes and control
// characters, so sign-in redirects can never leave the site.
std::string SafeNextPath(std::string_view next);

// Escapes & < > " ' so the result is safe in HTML text and quoted attributes.
std::string HtmlEscape(std::string_view text);

// SHA-256 of bytes as lower-case hex.
std::string Sha256Hex(std::string_view bytes);
// HMAC-SHA256 of `message` under `key`: the 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view message);
// Cryptographically random bytes, hex-encoded (2*n characters).
std::string RandomHex(size_t n_bytes);
// True when every character is 0-9 or a-f (what RandomHex and Sha256Hex
// produce); the empty string is hex.
bool IsLowerHex(std::string_view s);
// Constant-time comparison for secrets.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what a JSON text may hold.
bool IsValidUtf8(std::string_view s);
// The one check for untrusted text on its way into JSON (tokens, API
// answers): InvalidArgument naming `what` unless it is valid UTF-8, so the
// caller answers 400 instead of a dump throwing later.
Status CheckJsonText(std::string_view what, std::string_view value);

}  // namespace spaceport
