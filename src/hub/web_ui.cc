// The web UI: the directory of Spaces (GET /) and a page per Space
// (GET /spaces/{owner}/{name}). Server-rendered; every user-supplied string
// goes through HtmlEscape.
#include <map>

#include "core/strings.h"
#include "hub/hub_core.h"
#include "hub/html.h"
#include "hub/space_json.h"
#include "hub/web_forms.h"
#include "hub/web_gate.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kIndexLimit = 60;

// The card's colorFrom/colorTo keywords (HF's palette); anything else is ignored.
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

std::string CardString(const Json& card, const char* key, std::string fallback = "") {
  auto it = card.find(key);
  if (it != card.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    return it->get<std::string>();
  }
  return fallback;
}

std::string Badge(const std::string& stage) {
  std::string cls;
  for (char c : stage) {
    if ((c >= 'A' && c <= 'Z') || c == '_') cls.push_back(c);
  }
  return "<span class=\"badge " + cls + "\">" + HtmlEscape(stage) + "</span>";
}

std::string SpaceCard(const store::Space& s) {
  Json card = ParseStoredJson(s.card_json);
  std::string html = "<a class=\"card\" href=\"/spaces/" + HtmlEscape(s.owner) + "/" + HtmlEscape(s.name) +
                     "\" style=\"--from:" + CardColor(card, "colorFrom", "#6366f1") +
                     ";--to:" + CardColor(card, "colorTo", "#a855f7") + "\">";
  html += Badge(s.stage);
  html += "<div class=\"emoji\">" + HtmlEscape(CardString(card, "emoji", "🚀").substr(0, 16)) + "</div>";
  html += "<div class=\"title\">" + HtmlEscape(CardString(card, "title", s.name)) + "</div>";
  std::string badge = s.is_private ? " · private"
                      : s.effective_visibility() == store::Visibility::kProtected ? " · protected" : "";
  html += "<div class=\"id\">" + HtmlEscape(s.full_id()) + badge + "</div>";
  std::string desc = CardString(card, "short_description");
  if (!desc.empty()) html += "<div class=\"desc\">" + HtmlEscape(desc.substr(0, 200)) + "</div>";
  return html + "</a>";
}

Status HandleIndex(HubCore& hub, Call& call) {
  Result<std::optional<access::Principal>> who = call.Caller();  // a bad token just browses anonymously
  store::SpaceQuery q;
  q.search = call.Query("search").value_or("");
  q.limit = kIndexLimit;
  if (who.ok() && who->has_value()) {
    q.include_private_of_user = true;
    q.viewer_user_id = (*who)->user.id;
  }
  ASSIGN_OR_RETURN(std::vector<store::Space> spaces, hub.deps().store->ListSpaces(q));
  std::string body = "<main><form class=\"search\" method=\"get\" action=\"/\">"
                     "<input type=\"search\" name=\"search\" placeholder=\"Search Spaces\" value=\"" +
                     HtmlEscape(q.search) + "\"><button type=\"submit\">Search</button></form>";
  if (spaces.empty()) {
    body += "<div class=\"empty\">" +
            std::string(q.search.empty() ? "No Spaces yet. Create one with <code>spaceport create</code>."
                                         : "No Space matches this search.") +
            "</div>";
  } else {
    body += "<div class=\"grid\">";
    for (const store::Space& s : spaces) body += SpaceCard(s);
    body += "</div>";
  }
  body += "</main>";
  return call.SendHtml(200, RenderAccountPage(call, "Spaces", body));
}

constexpr std::string_view kSpaceScript = R"js(
<script>
(function(){
  var pre = document.getElementById('log'), es = null;
  function follow(kind){
    if (es) es.close();
    pre.textContent = '';
    document.querySelectorAll('.tabs button').forEach(function(b){ b.classList.toggle('on', b.dataset.kind === kind); });
    es = new EventSource(pre.dataset.base + kind);
    es.onmessage = function(e){
      try { var d = JSON.parse(e.data); pre.textContent += d.data; pre.scrollTop = pre.scrollHeight; } catch (_) {}
    };
  }
  document.querySelectorAll('.tabs button').forEach(function(b){ b.onclick = function(){ follow(b.dataset.kind); }; });
  follow(pre.dataset.kind);
  var stage = document.body.dataset.stage;
  setInterval(function(){
    fetch(document.body.dataset.runtime).then(function(r){ return r.json(); }).then(function(j){
      if (j.stage && j.stage !== stage) location.reload();
    }).catch(function(){});
  }, 5000);
})();
</script>)js";

std::string StatusPanel(const std::string& stage, const std::string& error) {
  std::string html = "<section class=\"panel\"><h2>Status: " + Badge(stage) + "</h2>";
  if (stage == "NO_APP_FILE") {
    html += "<p class=\"muted\">Push an app to this Space's repository to build it.</p>";
  } else {
    html += "<p class=\"muted\">The app is not running right now.</p>";
  }
  if (!error.empty()) html += "<pre class=\"error\">" + HtmlEscape(error) + "</pre>";
  return html + "</section>";
}

// `source`: the visitor may read the source (logs, clone URL); false for
// non-members of a protected Space. `gate`: a gated Space's panel for this
// visitor, shown instead of the app until the visitor is let in.
std::string SpaceBody(HubCore& hub, const store::Space& s, const Json& runtime, bool source, const GatePanel& gate) {
  Json card = ParseStoredJson(s.card_json);
  std::string stage = runtime.value("stage", s.stage);
  std::string error = runtime.contains("errorMessage") && runtime["errorMessage"].is_string()
                          ? runtime["errorMessage"].get<std::string>() : "";
  std::string path = "/spaces/" + HtmlEscape(s.owner) + "/" + HtmlEscape(s.name);
  std::string api = "/api/spaces/" + HtmlEscape(s.owner) + "/" + HtmlEscape(s.name);
  std::string html = "<main><div class=\"space-head\"><span style=\"font-size:32px\">" +
                     HtmlEscape(CardString(card, "emoji", "🚀").substr(0, 16)) + "</span><h1>" +
                     HtmlEscape(CardString(card, "title", s.name)) + "</h1><span class=\"muted\">" +
                     HtmlEscape(s.full_id()) + "</span>" + Badge(stage);
  if (s.effective_visibility() != store::Visibility::kPublic) {
    html += "<span class=\"badge\" id=\"visibility\">" +
            std::string(store::VisibilityName(s.effective_visibility())) + "</span>";
  }
  if (!gate.mode.empty()) html += "<span class=\"badge\" id=\"gated\">gated</span>";
  html += "</div>";
  std::string desc = CardString(card, "short_description");
  if (!desc.empty()) html += "<p>" + HtmlEscape(desc) + "</p>";
  html += gate.html;  // a gate that holds the visitor back stands in for the app (the edge would refuse it)
  if (gate.show_app && (stage == "RUNNING" || stage == "RUNNING_BUILDING")) {
    // The app runs on its own origin (its app host), never the hub's: a
    // same-origin frame could act as the signed-in visitor on the hub. Apps
    // with restricted access sign the visitor in there first (the hand-off).
    std::string app = HtmlEscape(hub.AppUrl(s)) + "/";
    bool restricted = s.effective_visibility() == store::Visibility::kPrivate || !gate.mode.empty();
    std::string frame = restricted ? "/.spaceport/handoff?space=" + HtmlEscape(UrlEncode(s.full_id())) : app;
    html += "<p><a href=\"" + (restricted ? frame : app) + "\" target=\"_blank\" rel=\"noopener\">Open the app in "
            "its own tab</a></p><iframe class=\"app\" src=\"" + frame + "\" title=\"" +
            HtmlEscape(s.full_id()) + "\" allow=\"clipboard-write; microphone; camera\"></iframe>";
  } else if (gate.show_app) {
    html += StatusPanel(stage, error);
  }
  if (!source) return html + "</main>";
  bool building = stage == "BUILDING" || stage == "BUILD_ERROR" || stage == "CONFIG_ERROR";
  html += "<section class=\"panel\"><h2>Logs</h2><div class=\"tabs\"><button data-kind=\"build\">Build</button>"
          "<button data-kind=\"run\">Container</button></div><pre id=\"log\" data-base=\"" + api +
          "/logs/\" data-kind=\"" + std::string(building ? "build" : "run") + "\"></pre></section>";
  html += "<section class=\"panel\"><h2>Clone this Space</h2><code class=\"clone\">git clone " +
          HtmlEscape(hub.SpaceUrl(s)) + "</code></section></main>";
  return html;
}

Status HandleSpacePage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  Json runtime = CurrentRuntimeJson(hub, space);
  std::optional<access::Principal> who = PageViewer(call);
  bool source = access::CanRead(hub.LevelOn(who, space), space);
  std::string body = SpaceBody(hub, space, runtime, source, GatePanelFor(hub, space, who));
  if (source) body += kSpaceScript;
  std::string page = RenderPage(space.full_id(), body, AccountNav(who));
  // The stage and the runtime URL for the refresh script, as body attributes.
  std::string attrs = "<body data-stage=\"" + HtmlEscape(runtime.value("stage", space.stage)) +
                      "\" data-runtime=\"/api/spaces/" + HtmlEscape(space.full_id()) + "/runtime\">";
  size_t at = page.find("<body>");
  if (at != std::string::npos) page.replace(at, 6, attrs);
  return call.SendHtml(200, page);
}

}  // namespace

void RegisterWebUi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/", [h](Call& c) { return HandleIndex(*h, c); }, ErrorFormat::kHtml);
  router.Add("GET", "/spaces", [h](Call& c) { return HandleIndex(*h, c); }, ErrorFormat::kHtml);
  router.Add("GET", "/spaces/:owner/:name", [h](Call& c) { return HandleSpacePage(*h, c); }, ErrorFormat::kHtml);
}

}  // namespace spaceport::hub
