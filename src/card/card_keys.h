// Internal to the card module: the checks of each known card key.
//
// ApplyKnownKey checks one top-level key's value the way the Hugging Face Hub
// does (plus Spaceport's app_command and spaceport:), stores it in the Card
// and normalises card.data[key]. Unknown keys are left alone (kept as given).
// A null value (`key:` with nothing after it) counts as absent.
// Failure: InvalidArgument "README.md line N: KEY: expected ..., got ...".
// Thread safety: pure function.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "card/card.h"
#include "core/status.h"

namespace spaceport::card::internal {

Status ApplyKnownKey(const std::string& key, const YAML::Node& value, Card& card);

}  // namespace spaceport::card::internal
