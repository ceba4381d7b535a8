// Command-line parsing for the client: one CommandSpec per subcommand says
// which flags it takes and how many positional arguments.
//
// Flags are "--name", "--name value" or "--name=value"; "--" ends flags;
// "-h" is "--help". Every command also accepts --json and --help.
// Parse errors come back as InvalidArgument with a message meant for the
// user (the caller prints it with the usage line and exits 2).
// Pure functions, thread safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace spaceport::cli {

struct FlagSpec {
  std::string name;          // without the leading "--"
  bool takes_value = false;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // flags with a value
  std::set<std::string> switches;             // flags without one

  bool Has(std::string_view flag) const;
  std::optional<std::string> Value(std::string_view flag) const;
  bool json() const { return Has("json"); }
  bool help() const { return Has("help"); }
};

// `min_positional`/`max_positional` bound the positional count. --help skips
// the count check so "spaceport push --help" works without arguments.
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<FlagSpec>& flags,
                             size_t min_positional, size_t max_positional);

// "owner/name" with both parts made of [A-Za-z0-9._-], neither "." nor "..".
bool IsValidSpaceId(std::string_view id);

}  // namespace spaceport::cli
