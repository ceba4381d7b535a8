#include "card/card_keys.h"

#include <algorithm>
#include <array>

#include "card/yaml_json.h"
#include "core/strings.h"

namespace spaceport::card::internal {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxShortDescription = 60;
constexpr int kMaxOauthMinutes = 43200;  // 30 days, the Hub's maximum
constexpr size_t kMaxEmbedOrigins = 32;  // keeps the CSP header short

struct StringKey {
  std::string_view name;
  std::string Card::*field;
};
constexpr std::array kStringKeys = {
    StringKey{"title", &Card::title},
    StringKey{"emoji", &Card::emoji},
    StringKey{"sdk_version", &Card::sdk_version},
    StringKey{"python_version", &Card::python_version},
    StringKey{"app_build_command", &Card::app_build_command},
    StringKey{"thumbnail", &Card::thumbnail},
    StringKey{"license", &Card::license},
    StringKey{"duplicated_from", &Card::duplicated_from},
    StringKey{"suggested_hardware", &Card::suggested_hardware},
    StringKey{"app_command", &Card::app_command},
};

struct BoolKey {
  std::string_view name;
  bool Card::*field;
};
constexpr std::array kBoolKeys = {
    BoolKey{"pinned", &Card::pinned},
    BoolKey{"hf_oauth", &Card::hf_oauth},
    BoolKey{"disable_embedding", &Card::disable_embedding},
};

struct ListKey {
  std::string_view name;
  std::vector<std::string> Card::*field;
};
constexpr std::array kListKeys = {
    ListKey{"tags", &Card::tags},
    ListKey{"models", &Card::models},
    ListKey{"datasets", &Card::datasets},
    ListKey{"preload_from_hub", &Card::preload_from_hub},
    ListKey{"hf_oauth_scopes", &Card::hf_oauth_scopes},
    ListKey{"hf_oauth_authorized_org", &Card::hf_oauth_authorized_org},
};

constexpr std::array<std::string_view, 5> kSdks = {"gradio", "streamlit", "docker", "static", "process"};
constexpr std::array<std::string_view, 8> kColors = {"red",    "yellow", "green", "blue",
                                                     "indigo", "purple", "pink",  "gray"};
constexpr std::array<std::string_view, 2> kHeaders = {"mini", "default"};
constexpr std::array<std::string_view, 3> kCustomHeaders = {
    "cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy"};

// Versions reach pip's command line: digits first, then version characters only.
bool IsVersion(const std::string& s) {
  if (s.empty() || s.size() > 64 || !isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '*' || c == '+' || c == '!' || c == '-';
  });
}

template <size_t N>
std::string OneOf(const std::array<std::string_view, N>& options) {
  std::string out = "one of ";
  for (size_t i = 0; i < N; ++i) out += (i ? "|" : "") + std::string(options[i]);
  return out;
}

Status ReadString(const YAML::Node& v, std::string_view key, std::string& out) {
  if (!v.IsScalar()) return Fail(v, key, "a string");
  out = v.Scalar();
  return Status::Ok();
}

template <size_t N>
Status ReadEnum(const YAML::Node& v, std::string_view key, const std::array<std::string_view, N>& options,
                std::string& out) {
  if (!v.IsScalar() || std::find(options.begin(), options.end(), v.Scalar()) == options.end()) {
    return Fail(v, key, OneOf(options));
  }
  out = v.Scalar();
  return Status::Ok();
}

Result<int> ReadInt(const YAML::Node& v, std::string_view key, int lo, int hi) {
  std::string range = "an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (!v.IsScalar()) return Fail(v, key, range);
  std::optional<int64_t> n = ParseInt(Trim(v.Scalar()));
  if (!n || *n < lo || *n > hi) return Fail(v, key, range);
  return static_cast<int>(*n);
}

Result<bool> ReadBool(const YAML::Node& v, std::string_view key) {
  Json j = v.IsScalar() ? ResolveScalar(v) : Json();
  if (!j.is_boolean()) return Fail(v, key, "true or false");
  return j.get<bool>();
}

// A list of strings; a single string counts as a list of one, as on the Hub.
Result<std::vector<std::string>> ReadList(const YAML::Node& v, std::string_view key) {
  if (v.IsScalar()) return std::vector<std::string>{v.Scalar()};
  if (!v.IsSequence()) return Fail(v, key, "a list of strings");
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.IsScalar()) return Fail(item, key, "a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

Status ReadAppFile(const YAML::Node& v, Card& card) {
  RETURN_IF_ERROR(ReadString(v, "app_file", card.app_file));
  const std::string& f = card.app_file;
  bool escapes = f.empty() || StartsWith(f, "/") || f.find('\\') != std::string::npos;
  for (const auto& part : Split(f, '/')) escapes = escapes || part == "..";
  if (escapes) return Fail(v, "app_file", "a path inside the repository");
  return Status::Ok();
}

Status ReadCustomHeaders(const YAML::Node& v, Card& card) {
  if (!v.IsMap()) return Fail(v, "custom_headers", "a mapping of header names to values");
  for (const auto& kv : v) {
    std::string name = kv.first.IsScalar() ? ToLower(kv.first.Scalar()) : "";
    if (std::find(kCustomHeaders.begin(), kCustomHeaders.end(), name) == kCustomHeaders.end()) {
      return Fail(kv.first, "custom_headers", OneOf(kCustomHeaders));
    }
    if (!kv.second.IsScalar() || kv.second.Scalar().find_first_of("\r\n") != std::string::npos) {
      return Fail(kv.second, "custom_headers." + name, "a one-line string");
    }
    card.custom_headers[name] = kv.second.Scalar();
  }
  return Status::Ok();
}

// spaceport: {sleep: {freeze: BOOL, freeze_after: SECONDS | "90s"}} (docs/card.md).
Status ReadSpaceportSleep(const YAML::Node& spaceport, Card& card) {
  const YAML::Node sleep = spaceport["sleep"];
  if (!sleep || sleep.IsNull()) return Status::Ok();
  if (!sleep.IsMap()) return Fail(sleep, "spaceport.sleep", "a mapping with freeze and freeze_after");
  if (const YAML::Node freeze = sleep["freeze"]; freeze && !freeze.IsNull()) {
    ASSIGN_OR_RETURN(card.sleep_freeze, ReadBool(freeze, "spaceport.sleep.freeze"));
  }
  if (const YAML::Node after = sleep["freeze_after"]; after && !after.IsNull()) {
    std::optional<int64_t> seconds;
    if (after.IsScalar()) {
      seconds = ParseInt(Trim(after.Scalar()));
      if (!seconds) seconds = ParseDuration(after.Scalar());
    }
    if (!seconds || *seconds < 1 || *seconds > 30 * 24 * 3600) {
      return Fail(after, "spaceport.sleep.freeze_after", "seconds (1 to 30 days) or a duration like 90s");
    }
    card.sleep_freeze_after_seconds = seconds;
  }
  return Status::Ok();
}

// One origin of spaceport.embed.allow: scheme://host[:port], the host made of
// DNS labels ([a-z0-9-], an optional leading "*." wildcard label). Nothing
// else (paths, spaces, quotes, ';', ',') so the value is safe to put in a
// Content-Security-Policy header as is.
bool IsFrameOrigin(const std::string& origin) {
  size_t sep = origin.find("://");
  if (sep == std::string::npos) return false;
  std::string_view scheme(origin.data(), sep);
  if (scheme != "http" && scheme != "https") return false;
  std::string_view rest(origin.data() + sep + 3, origin.size() - sep - 3);
  size_t colon = rest.find(':');
  std::string_view host = rest.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    std::optional<int64_t> n = port.size() <= 5 ? ParseInt(port) : std::nullopt;
    if (!n || *n < 1 || *n > 65535 || port[0] == '0') return false;
  }
  if (StartsWith(host, "*.")) host.remove_prefix(2);
  if (host.empty() || host.size() > 253) return false;
  for (const std::string& label : Split(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
  }
  return true;
}

// spaceport: {embed: {allow: [ORIGIN, ...]}} (docs/card.md).
Status ReadSpaceportEmbed(const YAML::Node& spaceport, Card& card) {
  const YAML::Node embed = spaceport["embed"];
  if (!embed || embed.IsNull()) return Status::Ok();
  if (!embed.IsMap()) return Fail(embed, "spaceport.embed", "a mapping with allow");
  const YAML::Node allow = embed["allow"];
  if (!allow || allow.IsNull()) return Status::Ok();
  constexpr std::string_view kExpected = "a list of origins like https://blog.example.com or https://*.example.com";
  if (!allow.IsScalar() && !allow.IsSequence()) return Fail(allow, "spaceport.embed.allow", kExpected);
  std::vector<YAML::Node> items;
  if (allow.IsScalar()) {
    items.push_back(allow);
  } else {
    for (const auto& item : allow) items.push_back(item);
  }
  if (items.size() > kMaxEmbedOrigins) return Fail(allow, "spaceport.embed.allow", "at most 32 origins");
  for (const YAML::Node& item : items) {
    std::string origin = item.IsScalar() ? ToLower(item.Scalar()) : "";
    if (!IsFrameOrigin(origin)) {
      return Fail(item, "spaceport.embed.allow", "an origin scheme://host[:port] (http or https, no path)");
    }
    card.embed_allow.push_back(origin);
  }
  return Status::Ok();
}

Status ReadSpecial(const std::string& key, const YAML::Node& v, Card& card) {
  if (key == "sdk") return ReadEnum(v, key, kSdks, card.sdk);
  if (key == "colorFrom") return ReadEnum(v, key, kColors, card.color_from);
  if (key == "colorTo") return ReadEnum(v, key, kColors, card.color_to);
  if (key == "header") return ReadEnum(v, key, kHeaders, card.header);
  if (key == "app_file") return ReadAppFile(v, card);
  if (key == "custom_headers") return ReadCustomHeaders(v, card);
  if (key == "app_port") {
    ASSIGN_OR_RETURN(card.app_port, ReadInt(v, key, 1, 65535));
    card.data[key] = *card.app_port;
  } else if (key == "hf_oauth_expiration_minutes") {
    ASSIGN_OR_RETURN(card.hf_oauth_expiration_minutes, ReadInt(v, key, 1, kMaxOauthMinutes));
    card.data[key] = *card.hf_oauth_expiration_minutes;
  } else if (key == "fullWidth") {
    ASSIGN_OR_RETURN(card.full_width, ReadBool(v, key));
  } else if (key == "base_path") {
    RETURN_IF_ERROR(ReadString(v, key, card.base_path));
    if (!StartsWith(card.base_path, "/")) return Fail(v, key, "a path starting with /");
  } else if (key == "short_description") {
    RETURN_IF_ERROR(ReadString(v, key, card.short_description));
    size_t chars = std::count_if(card.short_description.begin(), card.short_description.end(),
                                 [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    if (chars > kMaxShortDescription) return Fail(v, key, "at most 60 characters");
  } else if (key == "startup_duration_timeout") {
    card.startup_duration_timeout_seconds = v.IsScalar() ? ParseDuration(v.Scalar()) : std::nullopt;
    if (!card.startup_duration_timeout_seconds) return Fail(v, key, "a duration like 30m, 1h or 90s");
  } else if (key == "spaceport") {
    if (!v.IsMap()) return Fail(v, key, "a mapping of Spaceport settings");
    card.spaceport = card.data[key];
    RETURN_IF_ERROR(ReadSpaceportSleep(v, card));
    RETURN_IF_ERROR(ReadSpaceportEmbed(v, card));
    RETURN_IF_ERROR(ReadSpaceportPricing(v, card));
    RETURN_IF_ERROR(ReadSpaceportProbe(v, card));
  }
  return Status::Ok();
}

}  // namespace

Status Fail(const YAML::Node& node, std::string_view key, std::string_view expected) {
  return Status::InvalidArgument(AtLine(node) + std::string(key) + ": expected " + std::string(expected) +
                                 ", got " + Describe(node));
}

Status ApplyKnownKey(const std::string& key, const YAML::Node& v, Card& card) {
  if (v.IsNull()) return Status::Ok();
  for (const auto& k : kStringKeys) {
    if (k.name != key) continue;
    RETURN_IF_ERROR(ReadString(v, key, card.*k.field));
    if ((key == "sdk_version" || key == "python_version") && !IsVersion(card.*k.field)) {
      return Fail(v, key, "a version like 4.44.0");
    }
    card.data[key] = card.*k.field;  // "3.10" stays "3.10", not 3.1
    return Status::Ok();
  }
  for (const auto& k : kBoolKeys) {
    if (k.name != key) continue;
    ASSIGN_OR_RETURN(card.*k.field, ReadBool(v, key));
    return Status::Ok();
  }
  for (const auto& k : kListKeys) {
    if (k.name != key) continue;
    ASSIGN_OR_RETURN(card.*k.field, ReadList(v, key));
    if (key != "hf_oauth_authorized_org") card.data[key] = card.*k.field;
    return Status::Ok();
  }
  return ReadSpecial(key, v, card);
}

}  // namespace spaceport::card::internal

namespace spaceport::card {

bool IsKnownSdk(std::string_view sdk) {
  return std::find(internal::kSdks.begin(), internal::kSdks.end(), sdk) != internal::kSdks.end();
}

}  // namespace spaceport::card
