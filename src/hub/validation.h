// Checks on what API callers send: SDK names, env keys, hardware flavors,
// and the subdomain a Space gets. Pure functions, thread safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace spaceport::hub {

bool IsValidSdk(std::string_view sdk);          // static | gradio | streamlit | docker | process
bool IsValidEnvKey(std::string_view key);       // [A-Za-z_][A-Za-z0-9_]*, at most 128 chars
bool IsValidHardware(std::string_view flavor);  // [a-z0-9-]+, at most 32 chars

// Lower-case "{owner}-{name}" with '.' and '_' as '-', trailing '-' dropped;
// InvalidArgument unless it is a DNS label ([a-z0-9-], at most 63 chars).
Result<std::string> MakeSubdomain(std::string_view owner, std::string_view name);

}  // namespace spaceport::hub
