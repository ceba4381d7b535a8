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
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "card/card.h"
#include "core/status.h"

namespace spaceport::card::internal {

Status ApplyKnownKey(const std::string& key, const YAML::Node& value, Card& card);

// The access-request form (gate_form.h) from `spaceport.gated` and HF's
// `extra_gated_prompt` / `extra_gated_fields` of the whole card: sets
// card.gate and writes the normalised form to card.data["spaceport"]["gated"].
// Runs after every key was applied (spaceport.gated wins over the HF keys,
// whatever their order). card_gate.cc.
Status ApplyGateKeys(const YAML::Node& root, Card& card);

// `spaceport.pricing` into card.pricing (card_pricing.cc); `spaceport` is
// the card's spaceport: mapping.
Status ReadSpaceportPricing(const YAML::Node& spaceport, Card& card);
Status ReadSpaceportProbe(const YAML::Node& spaceport, Card& card);

// InvalidArgument "README.md line N: KEY: expected EXPECTED, got VALUE".
Status Fail(const YAML::Node& node, std::string_view key, std::string_view expected);

}  // namespace spaceport::card::internal
