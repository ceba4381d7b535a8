#include "hub/web/directory_pages.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/strings.h"
#include "directory/collections.h"
#include "directory/moderation.h"
#include "directory/signals.h"
#include "hub/api/space_search.h"
#include "hub/html.h"
#include "hub/web/cards.h"
#include "hub/web_forms.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kSectionSize = 8;
constexpr int64_t kSearchPageSize = 24;
constexpr int64_t kQueueSize = 100;
constexpr int64_t kLogSize = 30;
constexpr int kMaxAncestors = 10;
constexpr int64_t kMaxForksShown = 20;

// Type-ahead: the Spaces matching what is typed (the last word a prefix),
// from the API, under the search box.
constexpr std::string_view kTypeAheadScript = R"js(
<script>
(function(){
  var input = document.getElementById('q'), list = document.getElementById('suggest'), timer = null, seq = 0;
  if (!input || !list) return;
  function hide(){ list.innerHTML = ''; list.hidden = true; }
  input.addEventListener('input', function(){
    clearTimeout(timer);
    var q = input.value;
    if (q.trim().length < 2) { hide(); return; }
    timer = setTimeout(function(){
      var mine = ++seq;
      fetch('/api/spaces?limit=6&expand[]=cardData&search=' + encodeURIComponent(q))
        .then(function(r){ return r.ok ? r.json() : []; })
        .then(function(spaces){
          if (mine !== seq) return;
          list.innerHTML = '';
          spaces.forEach(function(s){
            var li = document.createElement('li'), a = document.createElement('a');
            var title = s.cardData && typeof s.cardData.title === 'string' ? s.cardData.title : '';
            a.href = '/spaces/' + s.id;
            a.textContent = title ? title + ' \u00b7 ' + s.id : s.id;
            li.appendChild(a);
            list.appendChild(li);
          });
          list.hidden = spaces.length === 0;
        }).catch(hide);
    }, 120);
  });
  input.addEventListener('keydown', function(e){ if (e.key === 'Escape') hide(); });
})();
</script>)js";

std::string SearchForm(const std::string& value) {
  return "<form class=\"search\" method=\"get\" action=\"/spaces\" autocomplete=\"off\"><div class=\"typeahead\">"
         "<input type=\"search\" id=\"q\" name=\"search\" placeholder=\"Search Spaces\" value=\"" +
         HtmlEscape(value) + "\"><ul id=\"suggest\" hidden></ul></div><button type=\"submit\">Search</button></form>";
}

std::string Grid(HubCore& hub, const SpaceListing& listing) {
  std::string html = "<div class=\"grid\">";
  for (const store::Space& s : listing.spaces) {
    auto similar = listing.similar.find(s.id);
    html += SpaceCard(hub, s, similar == listing.similar.end() ? 0 : similar->second);
  }
  return html + "</div>";
}

// `query` with `key` set to `value` ("" removes it) and without the page.
std::string WithParam(std::string_view query, std::string_view key, const std::string& value) {
  std::string out;
  for (const std::string& pair : Split(query, '&')) {
    if (pair.empty()) continue;
    const std::string name = UrlDecode(pair.substr(0, pair.find('=')));
    if (name == key || name == "offset") continue;
    out += (out.empty() ? "" : "&") + pair;
  }
  if (!value.empty()) out += (out.empty() ? "" : "&") + std::string(key) + "=" + UrlEncode(value);
  return "/spaces" + (out.empty() ? std::string() : "?" + out);
}

// The listing of one home section, or an empty one when it fails (the
// home page shows what it can).
SpaceListing Section(HubCore& hub, const std::optional<access::Principal>& who, const std::string& sort,
                     bool verified_only) {
  ListRequest r;
  r.query.directory_view = true;
  r.query.sort = sort;
  r.query.verified_only = verified_only;
  r.query.limit = kSectionSize;
  Result<SpaceListing> listing = ListOrSearch(hub, who, r, false);
  return listing.ok() ? std::move(*listing) : SpaceListing{};
}

std::string CollectionLink(const store::Collection& c) {
  const std::string slug = directory::Collections::SlugOf(c);
  std::string html = "<li><a href=\"/collections/" + HtmlEscape(slug) + "\">" + HtmlEscape(c.title) + "</a> <span "
                     "class=\"muted\">by " + HtmlEscape(c.owner) + " · " + std::to_string(c.items) + " Spaces";
  if (c.is_private) html += " · private";
  html += "</span>";
  if (!c.description.empty()) html += "<div class=\"muted\">" + HtmlEscape(c.description) + "</div>";
  return html + "</li>";
}

Status HandleSearch(HubCore& hub, Call& call);

Status HandleHome(HubCore& hub, Call& call) {
  if (!call.request.query.empty()) return HandleSearch(hub, call);  // the old home's "/?search=" links
  std::optional<access::Principal> who = PageViewer(call);
  std::string body = "<main>" + SearchForm("");
  struct Part {
    const char* id;
    const char* title;
    const char* sort;
    bool verified;
    const char* more;
  };
  bool any = false;
  for (const Part& part : {Part{"trending", "Trending", "trendingScore", false, "/spaces?sort=trendingScore"},
                           Part{"verified", "Verified working", "likes", true, "/spaces?verified=true&sort=likes"},
                           Part{"new", "New", "createdAt", false, "/spaces?sort=createdAt"}}) {
    SpaceListing listing = Section(hub, who, part.sort, part.verified);
    if (std::string_view(part.id) == "trending") {  // only Spaces with a trend at all
      std::erase_if(listing.spaces, [&](const store::Space& s) { return SignalsOf(hub, s.id).trending_key == 0; });
    }
    if (listing.spaces.empty()) continue;
    any = true;
    body += "<section class=\"home-section\" id=\"" + std::string(part.id) + "\"><h2>" + part.title +
            " <a class=\"more\" href=\"" + part.more + "\">more</a></h2>" + Grid(hub, listing) + "</section>";
  }
  if (!any) body += "<div class=\"empty\">No Spaces yet. Create one with <code>spaceport create</code>.</div>";
  if (hub.deps().collections != nullptr) {
    store::CollectionQuery q;
    q.private_of = hub.NamespacesOf(who);
    q.limit = 6;
    auto recent = hub.deps().collections->store()->ListCollections(q);
    if (recent.ok() && !recent->empty()) {
      body += "<section class=\"home-section\" id=\"collections\"><h2>Collections <a class=\"more\" "
              "href=\"/collections\">more</a></h2><ul class=\"collections\">";
      for (const store::Collection& c : *recent) body += CollectionLink(c);
      body += "</ul></section>";
    }
  }
  body += "</main>" + std::string(kTypeAheadScript);
  return call.SendHtml(200, RenderPage("Spaces", body, AccountNav(who)));
}

std::string FacetList(std::string_view query, const char* key, const std::map<std::string, int64_t>& counts,
                      const std::vector<std::string>& chosen) {
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string html = "<ul>";
  for (const auto& [value, count] : sorted) {
    const bool on = std::find(chosen.begin(), chosen.end(), value) != chosen.end();
    html += "<li><a class=\"facet" + std::string(on ? " on" : "") + "\" data-facet=\"" + key + ":" + HtmlEscape(value) +
            "\" href=\"" + HtmlEscape(WithParam(query, key, on ? "" : value)) + "\">" + HtmlEscape(value) +
            " <span class=\"count\">" + std::to_string(count) + "</span></a></li>";
  }
  return html + "</ul>";
}

Status HandleSearch(HubCore& hub, Call& call) {
  std::optional<access::Principal> who = PageViewer(call);
  const std::string_view query = call.request.query;
  Result<ListRequest> parsed = ParseListRequest(call);
  std::string body = "<main>" + SearchForm(call.Query("search").value_or(""));
  if (!parsed.ok()) {
    body += "<div class=\"error-box\">" + HtmlEscape(parsed.status().message()) + "</div></main>";
    return call.SendHtml(400, RenderPage("Spaces", body, AccountNav(who)));
  }
  ListRequest r = std::move(parsed).value();
  if (!call.Query("limit")) r.query.limit = kSearchPageSize;
  // Counted only with words (the directory counts as it searches): a count
  // of every Space would scan them all.
  Result<SpaceListing> listing = ListOrSearch(hub, who, r, !r.query.search.empty());
  if (!listing.ok()) {
    if (listing.status().code() != StatusCode::kInvalidArgument) return listing.status();
    body += "<div class=\"error-box\">" + HtmlEscape(listing.status().message()) + "</div></main>" +
            std::string(kTypeAheadScript);
    return call.SendHtml(400, RenderPage("Spaces", body, AccountNav(who)));
  }
  const store::SpaceQuery& q = r.query;
  body += "<div class=\"search-layout\"><aside class=\"facets\">";
  const directory::FacetCounts& f = listing->facets;
  if (!f.sdk.empty()) body += "<h3>SDK</h3>" + FacetList(query, "sdk", f.sdk, q.sdks);
  if (!f.stage.empty()) body += "<h3>Status</h3>" + FacetList(query, "stage", f.stage, q.stages);
  if (!f.hardware.empty()) body += "<h3>Hardware</h3>" + FacetList(query, "hardware", f.hardware, q.hardware);
  if (!f.tags.empty()) body += "<h3>Tags</h3>" + FacetList(query, "filter", f.tags, q.tags);
  body += "<h3>Trust</h3><ul><li><a class=\"facet" + std::string(q.verified_only ? " on" : "") +
          "\" data-facet=\"verified\" href=\"" + HtmlEscape(WithParam(query, "verified", q.verified_only ? "" : "true")) +
          "\">verified working" + (q.search.empty() ? "" : " <span class=\"count\">" + std::to_string(f.verified) + "</span>") +
          "</a></li><li><a class=\"facet" + std::string(q.include_abandoned ? " on" : "") + "\" href=\"" +
          HtmlEscape(WithParam(query, "include", q.include_abandoned ? "" : "abandoned")) +
          "\">show abandoned</a></li></ul></aside><section class=\"results\"><div class=\"sorts\">";
  const std::vector<std::pair<std::string, std::string>> sorts = {
      {"relevance", "Best match"}, {"trendingScore", "Trending"}, {"likes", "Most likes"},
      {"createdAt", "Newest"}, {"lastModified", "Recently updated"}};
  for (const auto& [sort, label] : sorts) {
    if (sort == "relevance" && q.search.empty()) continue;
    body += "<a class=\"sort" + std::string(q.sort == sort ? " on" : "") + "\" data-sort=\"" + sort + "\" href=\"" +
            HtmlEscape(WithParam(query, "sort", sort)) + "\">" + label + "</a>";
  }
  body += "</div>";
  if (listing->total >= 0) {
    body += "<p class=\"muted\" id=\"total\">" + std::string(listing->exact ? "" : "about ") +
            std::to_string(listing->total) + " Spaces</p>";
  }
  if (listing->spaces.empty()) {
    body += "<div class=\"empty\">No Space matches this search.</div>";
  } else {
    body += Grid(hub, *listing);
  }
  body += "<div class=\"pager\">";
  if (q.offset > 0) {
    body += "<a id=\"prev\" href=\"" +
            HtmlEscape(WithParam(query, "offset", std::to_string(std::max<int64_t>(0, q.offset - q.limit)))) +
            "\">Previous</a> ";
  }
  if (static_cast<int64_t>(listing->spaces.size()) == q.limit) {
    body += "<a id=\"next\" href=\"" + HtmlEscape(WithParam(query, "offset", std::to_string(q.offset + q.limit))) +
            "\">Next</a>";
  }
  body += "</div></section></div></main>" + std::string(kTypeAheadScript);
  return call.SendHtml(200, RenderPage(q.search.empty() ? "Spaces" : q.search + " · Spaces", body, AccountNav(who)));
}

// ---- Collections ----

Status HandleCollectionList(HubCore& hub, Call& call) {
  if (hub.deps().collections == nullptr) return Status::NotFound("this server keeps no collections");
  std::optional<access::Principal> who = PageViewer(call);
  store::CollectionQuery q;
  q.private_of = hub.NamespacesOf(who);
  q.limit = 100;
  if (std::optional<std::string> owner = call.Query("owner")) q.owners = {*owner};
  ASSIGN_OR_RETURN(std::vector<store::Collection> found, hub.deps().collections->store()->ListCollections(q));
  std::string body = "<main><h1>Collections</h1>";
  if (found.empty()) {
    body += "<div class=\"empty\">No collections yet.</div>";
  } else {
    body += "<ul class=\"collections\">";
    for (const store::Collection& c : found) body += CollectionLink(c);
    body += "</ul>";
  }
  return call.SendHtml(200, RenderPage("Collections", body + "</main>", AccountNav(who)));
}

Status HandleCollectionPage(HubCore& hub, Call& call) {
  if (hub.deps().collections == nullptr) return Status::NotFound("this server keeps no collections");
  std::optional<access::Principal> who = PageViewer(call);
  ASSIGN_OR_RETURN(store::Collection c, hub.deps().collections->Find(call.Param("owner"), call.Param("slug")));
  if (c.is_private) {
    const std::vector<std::string> owners = hub.NamespacesOf(who);
    if (std::none_of(owners.begin(), owners.end(), [&](const std::string& o) { return EqualsIgnoreCase(o, c.owner); })) {
      return Status::NotFound("collection not found");
    }
  }
  ASSIGN_OR_RETURN(std::vector<store::CollectionItem> items,
                   hub.deps().collections->store()->ListItems(c.id, store::kMaxCollectionItems));
  std::string body = "<main><div class=\"space-head\"><h1 id=\"collection-title\">" + HtmlEscape(c.title) +
                     "</h1><span class=\"muted\">by <a href=\"/collections?owner=" + HtmlEscape(UrlEncode(c.owner)) +
                     "\">" + HtmlEscape(c.owner) + "</a></span><span class=\"badge theme-" + HtmlEscape(c.theme) + "\">" +
                     HtmlEscape(c.theme) + "</span>";
  if (c.is_private) body += "<span class=\"badge\">private</span>";
  body += "</div>";
  if (!c.description.empty()) body += "<p id=\"collection-description\">" + HtmlEscape(c.description) + "</p>";
  body += "<p class=\"muted\">Updated " + HtmlEscape(FormatIsoTime(c.updated_at)) + "</p><div class=\"grid\">";
  int shown = 0;
  for (const store::CollectionItem& item : items) {
    Result<store::Space> space = hub.deps().store->GetSpaceById(item.space_id);
    if (!space.ok() || !access::CanSee(hub.LevelOn(who, *space), *space)) continue;
    ++shown;
    body += "<div class=\"item\" data-item=\"" + HtmlEscape(item.key) + "\">" + SpaceCard(hub, *space);
    if (!item.note.empty()) body += "<p class=\"note\">" + HtmlEscape(item.note) + "</p>";
    body += "</div>";
  }
  body += "</div>";
  if (shown == 0) body += "<div class=\"empty\">This collection is empty.</div>";
  return call.SendHtml(200, RenderPage(c.title + " · Collections", body + "</main>", AccountNav(who)));
}

// ---- The Space page's panels and the report form ----

std::string Ago(int64_t then_ms, int64_t now_ms) {
  const int64_t s = std::max<int64_t>(0, (now_ms - then_ms) / 1000);
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 172800) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

std::string SpaceLink(const store::Space& s) {
  return "<a href=\"/spaces/" + HtmlEscape(s.owner) + "/" + HtmlEscape(s.name) + "\">" + HtmlEscape(s.full_id()) + "</a>";
}

std::string HealthPanel(HubCore& hub, const store::Space& space, const store::DirectorySignals& signals) {
  std::string html = "<section class=\"panel\" id=\"health\"><h2>Health " + TrustBadges(signals) + "</h2>";
  if (hub.deps().signals != nullptr) {
    Result<directory::Health> h = hub.deps().signals->HealthOf(space.id);
    if (h.ok() && h->last_probe_at != 0) {
      const int64_t now = hub.deps().clock->UnixMillis();
      html += "<p id=\"last-probe\">Last probe " + HtmlEscape(Ago(h->last_probe_at, now)) + ": " +
              (h->last_probe_ok ? std::string("passed") : "failed (" + HtmlEscape(h->last_detail) + ")") + ".";
      if (h->uptime30d) {
        html += " Uptime over 30 days: <span id=\"uptime\">" +
                std::to_string(static_cast<int>(std::round(*h->uptime30d * 100))) + "%</span>.";
      }
      html += "</p>";
    } else if (h.ok()) {
      html += "<p class=\"muted\" id=\"last-probe\">Not probed yet.</p>";
    }
  }
  if (signals.duplicate_of != 0) {
    if (Result<store::Space> original = hub.deps().store->GetSpaceById(signals.duplicate_of); original.ok()) {
      html += "<p id=\"near-copy\">A near-copy of " + SpaceLink(*original) + ".</p>";
    }
  }
  if (signals.archived) html += "<p class=\"muted\">Its owner archived it.</p>";
  return html + "</section>";
}

// Forked from ... (the declared lineage up to its root) and its forks.
std::string LineagePanel(HubCore& hub, const store::Space& space, const std::optional<access::Principal>& who) {
  std::vector<store::Space> ancestors;
  int64_t up = space.duplicated_from;
  for (int i = 0; up != 0 && i < kMaxAncestors; ++i) {
    Result<store::Space> parent = hub.deps().store->GetSpaceById(up);
    if (!parent.ok() || !access::CanSee(hub.LevelOn(who, *parent), *parent)) break;
    ancestors.push_back(*parent);
    up = parent->duplicated_from;
  }
  Result<std::vector<store::Space>> forks = hub.ForksOf(space, who, kMaxForksShown);
  if (ancestors.empty() && (!forks.ok() || forks->empty())) return "";
  std::string html = "<section class=\"panel\" id=\"lineage\"><h2>Family tree</h2><ul class=\"tree\">";
  std::string close;
  for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it) {
    html += "<li class=\"ancestor\">" + SpaceLink(*it) + "<ul>";
    close += "</ul></li>";
  }
  html += "<li class=\"self\"><strong>" + HtmlEscape(space.full_id()) + "</strong>";
  if (forks.ok() && !forks->empty()) {
    html += "<ul>";
    for (const store::Space& f : *forks) html += "<li class=\"fork\">" + SpaceLink(f) + "</li>";
    html += "</ul>";
  }
  return html + "</li>" + close + "</ul></section>";
}

std::string CollectionsPanel(HubCore& hub, const store::Space& space, const std::optional<access::Principal>& who) {
  if (hub.deps().collections == nullptr) return "";
  store::CollectionQuery q;
  q.space_ids = {space.id};
  q.private_of = hub.NamespacesOf(who);
  q.limit = 10;
  auto in = hub.deps().collections->store()->ListCollections(q);
  if (!in.ok() || in->empty()) return "";
  std::string html = "<section class=\"panel\" id=\"in-collections\"><h2>In collections</h2><ul class=\"collections\">";
  for (const store::Collection& c : *in) html += CollectionLink(c);
  return html + "</ul></section>";
}

std::string ReportPanel(Call& call, const store::Space& space, const std::optional<access::Principal>& who) {
  std::string html = "<section class=\"panel\" id=\"report\">";
  if (call.Query("reported").value_or("") == "1") {
    html += "<p class=\"notice\" id=\"reported\">Thank you: your report is with the moderators.</p>";
  }
  const std::string path = "/spaces/" + HtmlEscape(space.owner) + "/" + HtmlEscape(space.name);
  if (!who || !who->via_session) {
    return html + "<p class=\"muted\"><a href=\"/login?next=" + HtmlEscape(UrlEncode(path)) +
           "\">Sign in</a> to report this Space.</p></section>";
  }
  html += "<details><summary id=\"report-open\">Report this Space</summary><form class=\"stack\" method=\"post\" "
          "action=\"" + path + "/report\">" + CsrfField(*who) + "<select name=\"reason\" id=\"report-reason\">";
  for (const std::string& reason : directory::ReportReasons()) {
    html += "<option value=\"" + reason + "\">" + reason + "</option>";
  }
  html += "</select><textarea name=\"details\" id=\"report-details\" maxlength=\"2000\" rows=\"3\" "
          "placeholder=\"What is wrong?\"></textarea><button class=\"button\" type=\"submit\" id=\"report-submit\">"
          "Send the report</button></form></details>";
  return html + "</section>";
}

Status HandleReportForm(HubCore& hub, Call& call) {
  if (hub.deps().moderation == nullptr) return Status::FailedPrecondition("this server has no moderation");
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  RETURN_IF_ERROR(hub.deps().moderation->Report(space, who.user, form.Get("reason"), form.Get("details")).status());
  return RedirectTo(call, "/spaces/" + space.owner + "/" + space.name + "?reported=1#report");
}

// ---- The moderators' queue ----

Result<std::optional<access::Principal>> AdminPage(HubCore& hub, Call& call) {
  if (hub.deps().moderation == nullptr) return Status::NotFound("this server has no moderation");
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, SignedInOrRedirect(call));
  if (who && !who->user.is_admin) return Status::PermissionDenied("the moderation queue is for the server's admins");
  return who;
}

Status HandleModerationPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, AdminPage(hub, call));
  if (!who) return Status::Ok();  // sent to sign in
  store::ModerationStore* ms = hub.deps().moderation->store();
  ASSIGN_OR_RETURN(std::vector<store::SpaceReport> open, ms->ListReports("open", 0, kQueueSize));
  ASSIGN_OR_RETURN(std::vector<store::ModerationEntry> log, ms->ListLog(0, kLogSize));
  const int64_t now = hub.deps().clock->UnixMillis();
  std::string body = "<main><h1>Moderation</h1>";
  if (std::optional<std::string> done = call.Query("done")) {
    body += "<p class=\"notice\" id=\"done\">Done: " + HtmlEscape(*done) + ".</p>";
  }
  body += "<section class=\"panel\"><h2>Open reports (" + std::to_string(open.size()) + ")</h2>";
  if (open.empty()) {
    body += "<p class=\"muted\" id=\"queue-empty\">Nothing to review.</p>";
  } else {
    body += "<table class=\"list\" id=\"queue\"><tr><th>Space</th><th>Reason</th><th>Details</th><th>Reporter</th>"
            "<th>When</th><th>Action</th></tr>";
    for (const store::SpaceReport& r : open) {
      const size_t slash = r.space.find('/');
      const std::string owner = r.space.substr(0, slash);
      body += "<tr data-report=\"" + std::to_string(r.id) + "\"><td><a href=\"/spaces/" + HtmlEscape(r.space) + "\">" +
              HtmlEscape(r.space) + "</a></td><td>" + HtmlEscape(r.reason) + "</td><td>" + HtmlEscape(r.details) +
              "</td><td>" + HtmlEscape(r.reporter.empty() ? "(gone)" : r.reporter) + "</td><td>" +
              HtmlEscape(Ago(r.created_at, now)) + "</td><td><form class=\"inline-actions\" method=\"post\" action=\"/moderation/spaces/" +
              HtmlEscape(r.space) + "\">" + CsrfField(*who) + "<input type=\"hidden\" name=\"report\" value=\"" +
              std::to_string(r.id) + "\"><input name=\"note\" placeholder=\"Note (the notice when disabling)\">";
      for (const char* action : {"dismiss", "hide", "disable"}) {
        body += "<button type=\"submit\" name=\"action\" value=\"" + std::string(action) + "\">" + action + "</button>";
      }
      body += "</form><form class=\"inline-actions\" method=\"post\" action=\"/moderation/users/" + HtmlEscape(owner) +
              "\">" + CsrfField(*who) + "<button type=\"submit\" name=\"action\" value=\"suspend\">suspend " +
              HtmlEscape(owner) + "</button></form></td></tr>";
    }
    body += "</table>";
  }
  body += "</section><section class=\"panel\"><h2>Audit log</h2><table class=\"list\" id=\"audit-log\"><tr><th>When</th>"
          "<th>Who</th><th>Action</th><th>On</th><th>Note</th></tr>";
  for (const store::ModerationEntry& e : log) {
    body += "<tr><td>" + HtmlEscape(FormatIsoTime(e.at)) + "</td><td>" + HtmlEscape(e.actor) + "</td><td>" +
            HtmlEscape(e.action) + "</td><td>" + HtmlEscape(e.space.empty() ? e.user : e.space) + "</td><td>" +
            HtmlEscape(e.note) + "</td></tr>";
  }
  body += "</table></section></main>";
  return call.SendHtml(200, RenderPage("Moderation", body, AccountNav(who)));
}

Status HandleModerationForm(HubCore& hub, Call& call, bool on_user) {
  if (hub.deps().moderation == nullptr) return Status::NotFound("this server has no moderation");
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  const std::string action = form.Get("action");
  if (on_user) {
    Result<store::User> user = hub.deps().store->GetUserByName(call.Param("user"));
    if (user.status().code() == StatusCode::kNotFound) return Status::NotFound("user not found");
    RETURN_IF_ERROR(user.status());
    RETURN_IF_ERROR(hub.deps().moderation->ActOnUser(who.user, *user, action, form.Get("note")).status());
  } else {
    ASSIGN_OR_RETURN(store::Space space, hub.FindSpace(call.Param("owner"), call.Param("name")));
    const int64_t report = ParseInt(form.Get("report")).value_or(0);
    RETURN_IF_ERROR(hub.deps().moderation->ActOnSpace(who.user, space, action, form.Get("note"), report).status());
  }
  return RedirectTo(call, "/moderation?done=" + UrlEncode(action));
}

}  // namespace

std::string DirectoryPanels(HubCore& hub, Call& call, const store::Space& space,
                            const std::optional<access::Principal>& who) {
  std::string html;
  if (!space.disabled.empty()) {
    html += "<p class=\"error-box\" id=\"disabled\">This Space is disabled: " + HtmlEscape(space.disabled) + "</p>";
  }
  html += HealthPanel(hub, space, SignalsOf(hub, space.id));
  html += LineagePanel(hub, space, who);
  html += CollectionsPanel(hub, space, who);
  if (hub.deps().moderation != nullptr) html += ReportPanel(call, space, who);
  return html;
}

void RegisterDirectoryPages(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/", [h](Call& c) { return HandleHome(*h, c); }, ErrorFormat::kHtml);
  router.Add("GET", "/spaces", [h](Call& c) { return HandleSearch(*h, c); }, ErrorFormat::kHtml);
  router.Add("GET", "/collections", [h](Call& c) { return HandleCollectionList(*h, c); }, ErrorFormat::kHtml);
  router.Add("GET", "/collections/:owner/:slug", [h](Call& c) { return HandleCollectionPage(*h, c); },
             ErrorFormat::kHtml);
  router.Add("POST", "/spaces/:owner/:name/report", [h](Call& c) { return HandleReportForm(*h, c); },
             ErrorFormat::kHtml);
  router.Add("GET", "/moderation", [h](Call& c) { return HandleModerationPage(*h, c); }, ErrorFormat::kHtml);
  router.Add("POST", "/moderation/spaces/:owner/:name", [h](Call& c) { return HandleModerationForm(*h, c, false); },
             ErrorFormat::kHtml);
  router.Add("POST", "/moderation/users/:user", [h](Call& c) { return HandleModerationForm(*h, c, true); },
             ErrorFormat::kHtml);
}

}  // namespace spaceport::hub
