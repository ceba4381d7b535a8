#include "card/card.h"

#include <algorithm>
#include <set>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "card/card_keys.h"
#include "card/yaml_json.h"
#include "core/strings.h"

namespace spaceport::card {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

struct FrontMatter {
  bool present = false;
  std::string yaml;
};

// A `---` line, allowing trailing spaces and CR.
bool IsFence(std::string_view line) { return Trim(line) == "---" && StartsWith(line, "---"); }

Result<FrontMatter> CheckedFrontMatter(std::string yaml) {
  size_t nul = yaml.find('\0');
  if (nul != std::string::npos) {
    int line = 2 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(nul), '\n'));
    return Status::InvalidArgument("README.md line " + std::to_string(line) + ": the card contains a NUL byte");
  }
  return FrontMatter{true, std::move(yaml)};
}

Result<FrontMatter> ExtractFrontMatter(std::string_view md) {
  if (StartsWith(md, kBom)) md.remove_prefix(kBom.size());
  size_t eol = md.find('\n');
  if (eol == std::string_view::npos || !IsFence(md.substr(0, eol))) return FrontMatter{};
  const size_t start = eol + 1;
  // Never scan past the cap: a huge README costs no more than a 64 KiB one.
  const std::string_view window = md.substr(0, start + kMaxFrontMatterBytes + 4096);
  const Status too_large = Status::InvalidArgument("README.md: the card (front matter) is larger than " +
                                                   std::to_string(kMaxFrontMatterBytes / 1024) + " KiB");
  for (size_t pos = start; pos <= window.size();) {
    size_t next = window.find('\n', pos);
    size_t line_end = next == std::string_view::npos ? window.size() : next;
    if (IsFence(window.substr(pos, line_end - pos))) {
      if (pos - start > kMaxFrontMatterBytes) return too_large;
      return CheckedFrontMatter(std::string(window.substr(start, pos - start)));
    }
    if (line_end - start > kMaxFrontMatterBytes) return too_large;
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return Status::InvalidArgument("README.md line 1: the card opened with --- has no closing --- line");
}

Result<YAML::Node> LoadYaml(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    return Status::InvalidArgument("README.md line " + std::to_string(internal::ReadmeLine(e.mark)) +
                                   ": the card nests too deeply");
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? "README.md: " : "README.md line " +
                                                               std::to_string(internal::ReadmeLine(e.mark)) + ": ";
    return Status::InvalidArgument(where + "invalid YAML in the card: " + e.msg);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("README.md: invalid YAML in the card: ") + e.what());
  }
}

Result<Card> ParseMapping(const YAML::Node& root) {
  Card card;
  card.has_front_matter = true;
  if (root.IsNull()) return card;
  if (!root.IsMap()) {
    return Status::InvalidArgument(internal::AtLine(root) + "the card must be a mapping of keys, got " +
                                   internal::Describe(root));
  }
  internal::ConvertBudget budget;
  ASSIGN_OR_RETURN(card.data, internal::YamlToJson(root, 0, budget));
  std::set<std::string> seen;
  for (const auto& kv : root) {
    const std::string& key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      return Status::InvalidArgument(internal::AtLine(kv.first) + key + ": the key appears twice");
    }
    RETURN_IF_ERROR(internal::ApplyKnownKey(key, kv.second, card));
  }
  RETURN_IF_ERROR(internal::ApplyGateKeys(root, card));
  return card;
}

}  // namespace

std::string Card::ToJson() const {
  return data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Card> ParseCard(std::string_view readme_md) {
  ASSIGN_OR_RETURN(FrontMatter fm, ExtractFrontMatter(readme_md));
  if (!fm.present) return Card{};
  ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(fm.yaml));
  try {
    return ParseMapping(root);
  } catch (const std::exception& e) {
    // yaml-cpp throws on malformed node access; the card is at fault, not us.
    return Status::InvalidArgument(std::string("README.md: the card could not be read: ") + e.what());
  }
}

Result<std::optional<billing::Pricing>> PricingOfCardJson(const nlohmann::json& card_data) {
  if (!card_data.is_object()) return std::optional<billing::Pricing>();
  auto sp = card_data.find("spaceport");
  if (sp == card_data.end() || !sp->is_object() || !sp->contains("pricing")) return std::optional<billing::Pricing>();
  // JSON is YAML: the same checks as at build time, on the stored value.
  nlohmann::json only = {{"spaceport", {{"pricing", (*sp)["pricing"]}}}};
  ASSIGN_OR_RETURN(Card card, ParseCard("---\n" + only.dump() + "\n---\n"));
  return card.pricing;
}

std::optional<int64_t> ParseDuration(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() > 32) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;  // a number needs a unit
    int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return std::nullopt;
    }
    ++i;
    total += n * unit;
    if (total > 365LL * 86400) return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

}  // namespace spaceport::card
