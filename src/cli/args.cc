#include "cli/args.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace spaceport::cli {
namespace {

// nullopt: unknown flag; otherwise whether it takes a value.
std::optional<bool> FlagTakesValue(const std::vector<FlagSpec>& flags, std::string_view name) {
  if (name == "json" || name == "help") return false;
  auto it = std::find_if(flags.begin(), flags.end(), [&](const FlagSpec& f) { return f.name == name; });
  if (it == flags.end()) return std::nullopt;
  return it->takes_value;
}

bool IsValidIdPart(std::string_view part) {
  if (part.empty() || part == "." || part == ".." || part.size() > 96) return false;
  return std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

bool ParsedArgs::Has(std::string_view flag) const {
  return switches.count(std::string(flag)) > 0 || values.count(std::string(flag)) > 0;
}

std::optional<std::string> ParsedArgs::Value(std::string_view flag) const {
  auto it = values.find(std::string(flag));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<FlagSpec>& flags,
                             size_t min_positional, size_t max_positional) {
  ParsedArgs out;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (flags_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    if (a == "-h") {
      out.switches.insert("help");
      continue;
    }
    if (!StartsWith(a, "--")) return Status::InvalidArgument("unknown option " + a);
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    std::optional<bool> takes_value = FlagTakesValue(flags, name);
    if (!takes_value) return Status::InvalidArgument("unknown option --" + name);
    if (!*takes_value) {
      if (inline_value) return Status::InvalidArgument("option --" + name + " takes no value");
      out.switches.insert(name);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("option --" + name + " needs a value");
      inline_value = args[++i];
    }
    out.values[name] = *inline_value;
  }
  if (out.help()) return out;
  if (out.positional.size() < min_positional) return Status::InvalidArgument("missing arguments");
  if (out.positional.size() > max_positional) {
    return Status::InvalidArgument("unexpected argument " + out.positional[max_positional]);
  }
  return out;
}

bool IsValidSpaceId(std::string_view id) {
  size_t slash = id.find('/');
  if (slash == std::string_view::npos || id.find('/', slash + 1) != std::string_view::npos) return false;
  return IsValidIdPart(id.substr(0, slash)) && IsValidIdPart(id.substr(slash + 1));
}

}  // namespace spaceport::cli
