#include "directory/document.h"

#include <nlohmann/json.hpp>

namespace spaceport::directory {
namespace {

std::string StringOf(const nlohmann::json& card, const char* key) {
  auto it = card.find(key);
  return it != card.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A list of strings (or one string) as space-separated words.
std::string WordsOf(const nlohmann::json& card, const char* key) {
  auto it = card.find(key);
  if (it == card.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  std::string out;
  if (!it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out += (out.empty() ? "" : " ") + v.get<std::string>();
  }
  return out;
}

// Cut at a character boundary: never inside a UTF-8 sequence.
std::string_view CapUtf8(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

std::string_view ReadmeBody(std::string_view md) {
  if (md.substr(0, 3) != "---") return md;
  size_t first = md.find('\n');
  if (first == std::string_view::npos) return md;
  size_t pos = first + 1;
  while (pos < md.size()) {
    size_t eol = md.find('\n', pos);
    std::string_view line = md.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "---") return eol == std::string_view::npos ? std::string_view() : md.substr(eol + 1);
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return md;  // no closing line: not front matter
}

store::DirectoryText DocumentOf(const store::Space& space, std::string_view readme_md) {
  nlohmann::json card = nlohmann::json::parse(space.card_json.empty() ? "{}" : space.card_json, nullptr, false);
  if (!card.is_object()) card = nlohmann::json::object();
  store::DirectoryText t;
  t.owner = space.owner;
  t.name = space.name;
  t.title = StringOf(card, "title");
  t.description = StringOf(card, "short_description");
  t.tags = space.sdk;
  std::string tags = WordsOf(card, "tags");
  if (!tags.empty()) t.tags += (t.tags.empty() ? "" : " ") + tags;
  t.refs = WordsOf(card, "models");
  std::string datasets = WordsOf(card, "datasets");
  if (!datasets.empty()) t.refs += (t.refs.empty() ? "" : " ") + datasets;
  t.readme = std::string(CapUtf8(ReadmeBody(readme_md), kMaxIndexedReadmeBytes));
  return t;
}

}  // namespace spaceport::directory
