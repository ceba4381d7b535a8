// Card: the YAML front matter of a Space's README.md, parsed and checked.
//
// ParseCard reads the block between a first line `---` and the next `---`
// line, checks every Hugging Face Spaces key with the types the Hub accepts,
// plus Spaceport's own `app_command` and `spaceport:` map and the gating form
// (gate_form.h), and keeps unknown keys (they come back in ToJson()). A
// README without front matter gives a Card with defaults (sdk empty: the
// builder reports it).
// Failure: InvalidArgument whose message names the key and the README line,
// e.g. `README.md line 4: app_port: expected an integer between 1 and 65535,
// got "abc"`. YAML syntax errors name their line too. Hostile input (huge,
// deeply nested, alias bombs, binary) is rejected, never crashes or hangs:
// the front matter is capped at kMaxFrontMatterBytes and kMaxDepth levels.
// Thread safety: pure function; Card is a value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/pricing.h"
#include "card/gate_form.h"
#include "core/status.h"

namespace spaceport::card {

inline constexpr size_t kMaxFrontMatterBytes = 64 * 1024;
inline constexpr int kMaxDepth = 32;
inline constexpr int kDefaultAppPort = 7860;
inline constexpr int64_t kDefaultStartupTimeoutSeconds = 30 * 60;

// The health probe's request and what its answer must hold.
struct ProbeSpec {
  std::string path = "/";
  std::string method = "GET";
  std::string body;
  int expect_status = 0;    // 0: any 2xx or 3xx
  std::string expect_text;  // "": any body; else the body must contain it
};

// spaceport.probe of a stored card's JSON (a path string or a mapping);
// defaults for null. InvalidArgument says what is wrong. card_probe.cc.
Result<ProbeSpec> ProbeSpecFromJson(const nlohmann::json& probe);

struct Card {
  // HF Spaces keys. Strings are empty and optionals unset when the key is absent.
  std::string title;
  std::string emoji;
  std::string color_from;  // colorFrom
  std::string color_to;    // colorTo
  std::string sdk;         // gradio | streamlit | docker | static | process
  std::string sdk_version;
  std::string python_version;
  std::string app_file;
  std::optional<int> app_port;
  std::string app_build_command;
  std::string base_path;
  std::optional<bool> full_width;  // fullWidth
  std::string header;              // mini | default
  std::string short_description;
  std::string thumbnail;
  bool pinned = false;
  std::vector<std::string> tags;
  std::vector<std::string> models;
  std::vector<std::string> datasets;
  std::string license;
  std::string duplicated_from;
  std::optional<int64_t> startup_duration_timeout_seconds;
  std::map<std::string, std::string> custom_headers;
  std::vector<std::string> preload_from_hub;
  std::string suggested_hardware;
  bool hf_oauth = false;
  std::vector<std::string> hf_oauth_scopes;
  std::optional<int> hf_oauth_expiration_minutes;
  std::vector<std::string> hf_oauth_authorized_org;  // a string or a list in the card
  bool disable_embedding = false;

  // Spaceport's own keys.
  std::string app_command;                              // the command of `sdk: process`
  nlohmann::json spaceport = nlohmann::json::object();  // the `spaceport:` map, as given
  // spaceport.sleep (docs/card.md): freeze when idle (default yes), and after how long.
  std::optional<bool> sleep_freeze;
  std::optional<int64_t> sleep_freeze_after_seconds;
  // spaceport.embed.allow: origins ("https://blog.example.com",
  // "https://*.example.com", "http://localhost:8080") that may frame the app,
  // lower-cased; empty: no list (embeddable anywhere unless disable_embedding).
  std::vector<std::string> embed_allow;
  // spaceport.probe (docs/directory.md): the health probe's request; unset:
  // GET / expecting a 2xx or 3xx.
  std::optional<ProbeSpec> probe;
  // spaceport.pricing (docs/billing.md): what the app's requests cost;
  // unset: free.
  std::optional<billing::Pricing> pricing;
  // spaceport.gated (or HF's extra_gated_prompt / extra_gated_fields): the
  // access-request form of a gated Space (gate_form.h).
  GateForm gate;

  // Every key of the front matter as JSON (known keys normalised, unknown kept).
  nlohmann::json data = nlohmann::json::object();

  bool has_front_matter = false;

  int AppPortOr(int fallback = kDefaultAppPort) const { return app_port.value_or(fallback); }
  int64_t StartupTimeoutSeconds() const {
    return startup_duration_timeout_seconds.value_or(kDefaultStartupTimeoutSeconds);
  }
  // The cardData object the HF API returns, as JSON text ("{}" without a card).
  std::string ToJson() const;
};

// True for the SDKs a card may name: gradio, streamlit, docker, static, process.
bool IsKnownSdk(std::string_view sdk);

Result<Card> ParseCard(std::string_view readme_md);

// The pricing of a stored card (Card::ToJson of a card that parsed): its
// spaceport.pricing checked again as ParseCard does; nullopt when it has none.
Result<std::optional<billing::Pricing>> PricingOfCardJson(const nlohmann::json& card_data);

// "30m", "1h", "90s", "1h30m", "2d" -> seconds. nullopt when malformed or zero.
std::optional<int64_t> ParseDuration(std::string_view text);

}  // namespace spaceport::card
