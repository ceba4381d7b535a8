// /settings/connected-apps: the Spaces a user let "Sign in with Spaceport"
// (store::OAuthGrant), with the scopes allowed and a Revoke button each.
// Revoking makes the next authorization of that Space ask for consent again;
// access tokens the app already holds stay valid until they expire (they are
// signed, not stored). The revoke POST checks the session's CSRF field and
// the request's origin (CheckSessionForm).
#include "core/clock.h"
#include "core/strings.h"
#include "hub/html.h"
#include "hub/web_forms.h"

namespace spaceport::hub {
namespace {

std::string GrantRow(const store::OAuthGrant& g, const access::Principal& who) {
  std::string id = HtmlEscape(g.space.full_id());
  std::string scopes;
  for (const std::string& s : Split(g.scopes, ' ')) {
    if (s.empty()) continue;
    scopes += "<li>" + HtmlEscape(access::OidcProvider::DescribeScope(s)) + "</li>";
  }
  return "<tr data-space=\"" + id + "\"><td><a href=\"/spaces/" + id + "\">" + id + "</a></td><td><ul>" + scopes +
         "</ul></td><td>" + FormatIsoTime(g.granted_at) + "</td><td><form class=\"inline\" method=\"post\" action=\"" +
         "/settings/connected-apps/" + std::to_string(g.space_id) + "/revoke\">" + CsrfField(who) +
         "<button type=\"submit\" class=\"revoke\">Revoke</button></form></td></tr>";
}

Status HandleConnectedAppsPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, SignedInOrRedirect(call));
  if (!who) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<store::OAuthGrant> grants, hub.deps().store->ListOAuthGrants(who->user.id));
  std::string html = "<main class=\"narrow\"><h1>Connected apps</h1><section class=\"panel\">";
  if (grants.empty()) {
    html += "<p class=\"muted\" id=\"no-connected-apps\">You have not allowed any app to sign you in.</p>";
  } else {
    html +=
        "<table class=\"list\" id=\"connected-apps\"><tr><th>Space</th><th>Allowed to</th><th>Since</th>"
        "<th></th></tr>";
    for (const store::OAuthGrant& g : grants) html += GrantRow(g, *who);
    html += "</table>";
  }
  html +=
      "</section><p class=\"muted\" id=\"revoke-note\">Revoking ends the tokens the app holds at once, and "
      "the app asks you again the next time it signs you in.</p></main>";
  return call.SendHtml(200, RenderPage("Connected apps", html, AccountNav(who)));
}

Status HandleRevoke(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  std::optional<int64_t> space_id = ParseInt(call.Param("space"));
  if (!space_id) return Status::NotFound("no such connected app");
  Status revoked = hub.deps().store->RevokeOAuthGrant(who.user.id, *space_id);
  if (revoked.code() == StatusCode::kNotFound) return Status::NotFound("no such connected app");
  RETURN_IF_ERROR(revoked);
  return RedirectTo(call, "/settings/connected-apps");
}

}  // namespace

void RegisterConnectedAppsWeb(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add(
      "GET", "/settings/connected-apps", [h](Call& c) { return HandleConnectedAppsPage(*h, c); }, ErrorFormat::kHtml);
  router.Add(
      "POST", "/settings/connected-apps/:space/revoke", [h](Call& c) { return HandleRevoke(*h, c); },
      ErrorFormat::kHtml);
}

}  // namespace spaceport::hub
