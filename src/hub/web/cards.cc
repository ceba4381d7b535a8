#include "hub/web/cards.h"

#include <map>

#include "core/strings.h"

namespace spaceport::hub {

std::string CardColor(const Json& card, const char* key, const char* fallback) {
  static const std::map<std::string, std::string, std::less<>> kPalette = {
      {"red", "#f87171"},    {"yellow", "#facc15"}, {"green", "#4ade80"}, {"blue", "#60a5fa"},
      {"indigo", "#818cf8"}, {"purple", "#c084fc"}, {"pink", "#f472b6"},  {"gray", "#9ca3af"},
  };
  auto it = card.find(key);
  if (it != card.end() && it->is_string()) {
    auto color = kPalette.find(it->get_ref<const std::string&>());
    if (color != kPalette.end()) return color->second;
  }
  return fallback;
}

std::string CardString(const Json& card, const char* key, std::string fallback) {
  auto it = card.find(key);
  if (it != card.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    return it->get<std::string>();
  }
  return fallback;
}

std::string StageBadge(const std::string& stage) {
  std::string cls;
  for (char c : stage) {
    if ((c >= 'A' && c <= 'Z') || c == '_') cls.push_back(c);
  }
  return "<span class=\"badge " + cls + "\">" + HtmlEscape(stage) + "</span>";
}

store::DirectorySignals SignalsOf(HubCore& hub, int64_t space_id) {
  if (hub.deps().directory == nullptr) return {};
  Result<store::DirectorySignals> s = hub.deps().directory->store()->Signals(space_id);
  return s.ok() ? *s : store::DirectorySignals{};
}

std::string TrustBadges(const store::DirectorySignals& signals) {
  std::string html;
  if (signals.verified) html += "<span class=\"badge trust verified\" title=\"Its health probes pass\">✓ verified</span>";
  if (signals.archived) {
    html += "<span class=\"badge trust abandoned\" title=\"Archived by its owner\">archived</span>";
  } else if (signals.abandoned) {
    html += "<span class=\"badge trust abandoned\" title=\"No push or visitor for months, or failing\">abandoned</span>";
  }
  if (signals.duplicate_of != 0) html += "<span class=\"badge trust copy\">near-copy</span>";
  return html;
}

std::string SpaceCard(HubCore& hub, const store::Space& s, int64_t similar) {
  Json card = ParseStoredJson(s.card_json);
  std::string html = "<a class=\"card\" data-id=\"" + HtmlEscape(s.full_id()) + "\" href=\"/spaces/" +
                     HtmlEscape(s.owner) + "/" + HtmlEscape(s.name) +
                     "\" style=\"--from:" + CardColor(card, "colorFrom", "#6366f1") +
                     ";--to:" + CardColor(card, "colorTo", "#a855f7") + "\">";
  html += StageBadge(s.stage);
  html += "<div class=\"emoji\">" + HtmlEscape(CardString(card, "emoji", "🚀").substr(0, 16)) + "</div>";
  html += "<div class=\"title\">" + HtmlEscape(CardString(card, "title", s.name)) + "</div>";
  std::string badge = s.is_private ? " · private"
                      : s.effective_visibility() == store::Visibility::kProtected ? " · protected" : "";
  html += "<div class=\"id\">" + HtmlEscape(s.full_id()) + badge + " · ♥ " + std::to_string(s.likes) + "</div>";
  std::string desc = CardString(card, "short_description");
  if (!desc.empty()) html += "<div class=\"desc\">" + HtmlEscape(desc.substr(0, 200)) + "</div>";
  std::string trust = TrustBadges(SignalsOf(hub, s.id));
  if (similar > 0) {
    trust += "<span class=\"badge trust similar\">" + std::to_string(similar) + " similar</span>";
  }
  if (!trust.empty()) html += "<div class=\"trust-row\">" + trust + "</div>";
  return html + "</a>";
}

}  // namespace spaceport::hub
