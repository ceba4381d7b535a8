// Command-line flags of the `spaceport` binary's server-side subcommands.
//
// A tiny parser for "--name value" and "--name=value" and bare switches; it
// knows nothing of the commands, which say what they accept. Pure values.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace spaceport::app {

struct Flags {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  bool Has(const std::string& name) const { return switches.count(name) > 0 || values.count(name) > 0; }
};

// `with_value` names the flags that take a value; any other --flag is a switch
// if listed in `switch_names`, else an InvalidArgument error.
Result<Flags> ParseFlags(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                         const std::set<std::string>& switch_names);

}  // namespace spaceport::app
