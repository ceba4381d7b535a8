// Internal to the card module: yaml-cpp nodes -> JSON with hostile-input caps.
//
// Converts a loaded YAML node to nlohmann::json resolving plain scalars with
// the YAML 1.2 core schema (null, booleans, integers, floats; quoted scalars
// stay strings). Depth and the total number of values visited are capped so a
// cyclic or exponentially aliased document ("billion laughs") fails fast.
// Failure: InvalidArgument naming the README line (ReadmeLine()).
// Thread safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/status.h"

namespace spaceport::card::internal {

inline constexpr int kMaxValues = 100000;

// README.md line of a node: the front matter starts on the README's line 2.
int ReadmeLine(const YAML::Mark& mark);
std::string AtLine(const YAML::Node& node);  // "README.md line N: " or "README.md: "

struct ConvertBudget {
  int values_left = kMaxValues;
};

Result<nlohmann::json> YamlToJson(const YAML::Node& node, int depth, ConvertBudget& budget);

// A plain scalar resolved by the core schema (quoted scalars are strings).
nlohmann::json ResolveScalar(const YAML::Node& node);

// How a value reads in an error message: "abc" (quoted, shortened), a list, a mapping, nothing.
std::string Describe(const YAML::Node& node);

}  // namespace spaceport::card::internal
