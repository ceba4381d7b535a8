// The web UI's page per Space (GET /spaces/{owner}/{name}); the directory's
// pages are in web/directory_pages.cc. Server-rendered; every user-supplied
// string goes through HtmlEscape.
#include <string_view>
#include <vector>

#include "core/strings.h"
#include "hub/billing/billing_views.h"
#include "hub/hub_core.h"
#include "hub/html.h"
#include "hub/space_json.h"
#include "hub/web/cards.h"
#include "hub/web/directory_pages.h"
#include "hub/web_forms.h"
#include "hub/web_gate.h"
#include "runtime/stage.h"

namespace spaceport::hub {
namespace {

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

std::string StatusPanel(const std::string& stage, const std::string& error, bool serving = false) {
  std::string html = "<section class=\"panel\"><h2>Status: " + StageBadge(stage) + "</h2>";
  if (serving) {
    html += "<p class=\"muted\">The newest version did not build; the previous one keeps serving.</p>";
  } else if (runtime::ParseStage(stage) == runtime::Stage::kNoAppFile) {
    html += "<p class=\"muted\">Push an app to this Space's repository to build it.</p>";
  } else {
    html += "<p class=\"muted\">The app is not running right now.</p>";
  }
  if (!error.empty()) html += "<pre class=\"error\">" + HtmlEscape(error) + "</pre>";
  return html + "</section>";
}

bool CardSaysNoEmbedding(const Json& card) {
  auto it = card.find("disable_embedding");
  return it != card.end() && it->is_boolean() && it->get<bool>();
}

// The origins of spaceport.embed.allow, as the card gave them (validated by
// the card parser before the card was stored).
std::vector<std::string> CardEmbedAllow(const Json& card) {
  std::vector<std::string> out;
  auto sp = card.find("spaceport");
  if (sp == card.end() || !sp->is_object()) return out;
  auto embed = sp->find("embed");
  if (embed == sp->end() || !embed->is_object()) return out;
  auto allow = embed->find("allow");
  if (allow == embed->end()) return out;
  if (allow->is_string()) out.push_back(allow->get<std::string>());
  if (allow->is_array()) {
    for (const Json& o : *allow) {
      if (o.is_string()) out.push_back(o.get<std::string>());
    }
  }
  return out;
}

constexpr std::string_view kCopyScript = R"js(
<script>
document.getElementById('embed-copy').onclick = function(){
  var text = document.getElementById('embed-snippet').textContent, b = this;
  navigator.clipboard.writeText(text).then(function(){ b.textContent = 'Copied'; }, function(){});
};
</script>)js";

// "Embed this Space": the iframe snippet where anyone may open the app; for
// private and gated Spaces (a plain iframe shows strangers nothing) the way
// to a signed embed link, for those who may make one; nothing when the card
// says disable_embedding.
std::string EmbedPanel(HubCore& hub, const store::Space& s, const Json& card, bool restricted, bool can_manage) {
  if (CardSaysNoEmbedding(card) || (restricted && !can_manage)) return "";
  std::string html = "<section class=\"panel\" id=\"embed\"><h2>Embed this Space</h2>";
  if (!restricted) {
    std::string snippet =
        "<iframe src=\"" + hub.AppUrl(s) + "/\" width=\"850\" height=\"450\" frameborder=\"0\"></iframe>";
    html += "<p class=\"muted\">Paste this into a web page to show the app there.</p><code class=\"clone\" "
            "id=\"embed-snippet\">" + HtmlEscape(snippet) + "</code><p><button type=\"button\" id=\"embed-copy\">"
            "Copy</button></p>";
    std::vector<std::string> allow = CardEmbedAllow(card);
    if (!allow.empty()) {
      std::string sites;
      for (const std::string& o : allow) sites += (sites.empty() ? "" : ", ") + HtmlEscape(o);
      html += "<p class=\"muted\" id=\"embed-allow\">Only these sites may frame it (<code>spaceport.embed.allow"
              "</code>): " + sites + ".</p>";
    }
    return html + "</section>" + std::string(kCopyScript);
  }
  std::string id = HtmlEscape(s.full_id());
  html += "<p class=\"muted\" id=\"embed-private\">Visitors who are not signed in cannot open this Space's app, so "
          "a plain iframe would show them nothing. Make a signed embed link instead: it opens the app in an "
          "iframe without sign-in until it expires (60 seconds to 90 days, 7 days by default) or you revoke it."
          "</p><code class=\"clone\">spaceport embed-link create " + id + " --expires 7d</code>"
          "<p class=\"muted\">or with the API (a write token):</p><code class=\"clone\">curl -X POST -H "
          "'Authorization: Bearer $TOKEN' -d '{\"expiresIn\": 604800, \"name\": \"blog\"}' " +
          HtmlEscape(hub.PublicUrl()) + "/api/spaces/" + id + "/embed-links</code><p class=\"muted\">Use the "
          "<code>url</code> of the answer as the iframe's <code>src</code>; <code>spaceport embed-link list</code> "
          "and <code>revoke</code> manage them.</p>";
  return html + "</section>";
}

// `source`: the visitor may read the source (logs, clone URL); false for
// non-members of a protected Space. `can_manage`: write level (embed links).
// `gate`: a gated Space's panel for this visitor, shown instead of the app
// until the visitor is let in. `pricing_html`: the Prices panel (priced
// Spaces). `frame_signs_in`: the frame goes through the sign-in hand-off.
std::string SpaceBody(HubCore& hub, const store::Space& s, const Json& rt, bool source, bool can_manage,
                      const GatePanel& gate, const std::string& pricing_html, bool frame_signs_in) {
  Json card = ParseStoredJson(s.card_json);
  std::string stage = rt.value("stage", s.stage);
  using ::spaceport::runtime::Stage;
  const std::optional<Stage> known = runtime::ParseStage(stage);
  std::string error = rt.contains("errorMessage") && rt["errorMessage"].is_string()
                          ? rt["errorMessage"].get<std::string>() : "";
  std::string path = "/spaces/" + HtmlEscape(s.owner) + "/" + HtmlEscape(s.name);
  std::string api = "/api/spaces/" + HtmlEscape(s.owner) + "/" + HtmlEscape(s.name);
  std::string html = "<main><div class=\"space-head\"><span style=\"font-size:32px\">" +
                     HtmlEscape(CardString(card, "emoji", "🚀").substr(0, 16)) + "</span><h1>" +
                     HtmlEscape(CardString(card, "title", s.name)) + "</h1><span class=\"muted\">" +
                     HtmlEscape(s.full_id()) + "</span>" + StageBadge(stage);
  if (s.effective_visibility() != store::Visibility::kPublic) {
    html += "<span class=\"badge\" id=\"visibility\">" +
            std::string(store::VisibilityName(s.effective_visibility())) + "</span>";
  }
  if (!gate.mode.empty()) html += "<span class=\"badge\" id=\"gated\">gated</span>";
  html += "</div>";
  std::string desc = CardString(card, "short_description");
  if (!desc.empty()) html += "<p>" + HtmlEscape(desc) + "</p>";
  bool restricted = s.effective_visibility() == store::Visibility::kPrivate || !gate.mode.empty();
  html += gate.html;  // a gate that holds the visitor back stands in for the app (the edge would refuse it)
  const bool serving = rt.contains("serving") && rt["serving"].is_boolean() && rt["serving"].get<bool>();
  // A failed build's stage while the older version serves: its error above the app.
  if (gate.show_app && serving && known != Stage::kRunning && known != Stage::kRunningBuilding) {
    html += StatusPanel(stage, error, /*serving=*/true);
  }
  if (gate.show_app && (known == Stage::kRunning || known == Stage::kRunningBuilding || serving)) {
    // The app runs on its own origin (its app host), never the hub's: a
    // same-origin frame could act as the signed-in visitor on the hub. Apps
    // with restricted access sign the visitor in there first (the hand-off).
    // A priced app signs a signed-in visitor in too, so their requests are
    // charged to their wallet rather than counted as anonymous.
    std::string app = HtmlEscape(hub.AppUrl(s)) + "/";
    const bool hand_off = restricted || frame_signs_in;
    std::string frame = hand_off ? "/.spaceport/handoff?space=" + HtmlEscape(UrlEncode(s.full_id())) : app;
    html += "<p><a href=\"" + frame + "\" target=\"_blank\" rel=\"noopener\">Open the app in "
            "its own tab</a></p><iframe class=\"app\" src=\"" + frame + "\" title=\"" +
            HtmlEscape(s.full_id()) + "\" allow=\"clipboard-write; microphone; camera\"></iframe>";
  } else if (gate.show_app) {
    html += StatusPanel(stage, error);
  }
  html += pricing_html;
  html += EmbedPanel(hub, s, card, restricted, can_manage);
  if (!source) return html + "</main>";
  bool building = known == Stage::kBuilding || known == Stage::kBuildError || known == Stage::kConfigError;
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
  access::AccessLevel level = hub.LevelOn(who, space);
  bool source = access::CanRead(level, space);
  // A priced app is opened signed in (charged to the visitor's wallet) only
  // when the visitor asked for it; else it is anonymous (free requests).
  const bool with_wallet = who && who->via_session && call.Query("use").value_or("") == "wallet";
  std::string pricing = PricingPanel(hub, space, who, with_wallet);
  std::string body = SpaceBody(hub, space, runtime, source, level >= access::AccessLevel::kWrite,
                               GatePanelFor(hub, space, who), pricing, !pricing.empty() && with_wallet);
  // The directory's panels (health, lineage, collections, report) before the page's end.
  body.insert(body.rfind("</main>"), DirectoryPanels(hub, call, space, who));
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
  router.Add("GET", "/spaces/:owner/:name", [h](Call& c) { return HandleSpacePage(*h, c); }, ErrorFormat::kHtml);
}

}  // namespace spaceport::hub
