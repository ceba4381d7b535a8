// Name rules the store enforces for every backend (and that the hub may use to
// give early, friendly errors). Pure functions; thread safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace spaceport::store {

// [A-Za-z0-9][A-Za-z0-9._-]{0,38}
bool IsValidUserName(std::string_view name);
// Space (repo) names: [A-Za-z0-9][A-Za-z0-9._-]{0,95}, no "--" or "..",
// not ending in '.' or '-'.
bool IsValidSpaceName(std::string_view name);
// [A-Za-z_][A-Za-z0-9_]*, at most 255 characters.
bool IsValidEnvKey(std::string_view key);
// A DNS label: [a-z0-9] or [a-z0-9][a-z0-9-]*[a-z0-9], at most 63 characters.
bool IsValidSubdomain(std::string_view subdomain);
// "{owner}-{name}" lower-cased, every character outside [a-z0-9-] as '-',
// trailing '-' dropped.
std::string DefaultSubdomain(std::string_view owner, std::string_view name);
// DefaultSubdomain, or InvalidArgument naming the Space when that is not a
// valid label (too long for DNS, for one).
Result<std::string> MakeSubdomain(std::string_view owner, std::string_view name);

// A listing's search text: at most kMaxSearchBytes (longer can match no
// owner/name, and makes SQL LIKE patterns too complex), no NUL.
inline constexpr size_t kMaxSearchBytes = 256;
Status ValidateSearch(std::string_view search);

}  // namespace spaceport::store
