// Signed-in pages: access tokens (/settings/tokens: list, create, revoke) and
// organizations (/organizations/new, /organizations/{org}: members and roles).
// Every POST checks the session's CSRF field and the request's origin
// (CheckSessionForm). A new token is shown once, in the answer to the POST
// that made it (never in a URL, so it cannot leak through history or logs).
#include "core/strings.h"
#include "hub/html.h"
#include "hub/web_forms.h"

namespace spaceport::hub {
namespace {

std::string TokensBody(const access::Principal& who, const std::vector<store::Token>& tokens,
                       const std::string& new_token) {
  std::string html = "<main class=\"narrow\"><h1>Access tokens</h1>";
  if (!new_token.empty()) {
    html += "<p class=\"notice\">Your new token (copy it now; it is not shown again):<br><code id=\"new-token\">" +
            HtmlEscape(new_token) + "</code></p>";
  }
  html += "<section class=\"panel\"><h2>New token</h2><form class=\"stack\" method=\"post\" action=\"/settings/tokens\">" +
          CsrfField(who) +
          "<label>Name <input name=\"name\" id=\"token-name\" required maxlength=\"100\"></label>"
          "<label>Role <select name=\"role\" id=\"token-role\"><option value=\"read\">read</option>"
          "<option value=\"write\">write</option></select></label>"
          "<button class=\"button\" type=\"submit\" id=\"create-token\">Create token</button></form></section>";
  html += "<section class=\"panel\"><h2>Your tokens</h2><table class=\"list\" id=\"tokens\"><tr><th>Name</th>"
          "<th>Role</th><th>Created</th><th>Last used</th><th></th></tr>";
  for (const store::Token& t : tokens) {
    html += "<tr><td>" + HtmlEscape(t.name) + "</td><td>" + std::string(store::TokenScopeName(t.scope)) + "</td><td>" +
            FormatIsoTime(t.created_at) + "</td><td>" + (t.last_used_at ? FormatIsoTime(t.last_used_at) : "never") +
            "</td><td><form class=\"inline\" method=\"post\" action=\"/settings/tokens/" + std::to_string(t.id) +
            "/delete\">" + CsrfField(who) + "<button type=\"submit\" class=\"revoke\">Revoke</button></form></td></tr>";
  }
  return html + "</table></section></main>";
}

Status SendTokensPage(HubCore& hub, Call& call, const access::Principal& who, const std::string& new_token) {
  ASSIGN_OR_RETURN(std::vector<store::Token> tokens, hub.deps().store->ListTokens(who.user.id));
  return call.SendHtml(200, RenderPage("Access tokens", TokensBody(who, tokens, new_token), AccountNav(who)));
}

Status HandleTokensPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, SignedInOrRedirect(call));
  if (!who) return Status::Ok();
  return SendTokensPage(hub, call, *who, "");
}

Status HandleTokenCreate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  ASSIGN_OR_RETURN(IssuedApiToken issued, IssueApiToken(hub, who.user.id, form.Get("name"), form.Get("role")));
  return SendTokensPage(hub, call, who, issued.text);
}

Status HandleTokenRevoke(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  std::optional<int64_t> id = ParseInt(call.Param("id"));
  if (!id) return Status::NotFound("token not found");
  RETURN_IF_ERROR(hub.deps().store->DeleteToken(who.user.id, *id));
  hub.ForgetCallers();  // revoked at every node's edge at once
  return RedirectTo(call, "/settings/tokens");
}

Status HandleNewOrgPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, SignedInOrRedirect(call));
  if (!who) return Status::Ok();
  std::string body = "<main class=\"narrow\"><h1>New organization</h1><form class=\"stack\" method=\"post\" "
                     "action=\"/organizations/new\">" + CsrfField(*who) +
                     "<label>Name <input name=\"name\" id=\"org-name\" required maxlength=\"39\"></label>"
                     "<button class=\"button\" type=\"submit\" id=\"create-org\">Create organization</button>"
                     "</form><p class=\"muted\">Organizations share the namespace of users: Spaces live at "
                     "/spaces/{organization}/{name}.</p></main>";
  return call.SendHtml(200, RenderPage("New organization", body, AccountNav(who)));
}

Status HandleNewOrg(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  if (EqualsIgnoreCase(form.Get("name"), "new")) {
    return Status::InvalidArgument("'new' is not available as an organization name");
  }
  ASSIGN_OR_RETURN(store::Organization org, hub.deps().store->CreateOrganization(form.Get("name"), who.user.id,
                                                                                  hub.deps().clock->UnixMillis()));
  return RedirectTo(call, "/organizations/" + org.name);
}

std::string RoleSelect(const std::string& id) {
  return "<select name=\"role\" id=\"" + id + "\"><option value=\"read\">read</option>"
         "<option value=\"write\">write</option><option value=\"admin\">admin</option></select>";
}

Status HandleOrgPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Organization org, hub.deps().store->GetOrganizationByName(call.Param("org")));
  ASSIGN_OR_RETURN(std::vector<store::OrgMember> members, hub.deps().store->ListOrgMembers(org.id));
  std::optional<access::Principal> who = PageViewer(call);
  bool admin = false;
  for (const store::OrgMember& m : members) {
    if (who && m.user.id == who->user.id && m.role == store::OrgRole::kAdmin) admin = who->via_session;
  }
  std::string base = "/organizations/" + HtmlEscape(org.name);
  std::string html = "<main class=\"narrow\"><h1>" + HtmlEscape(org.name) +
                     "</h1><section class=\"panel\"><h2>Members</h2><table class=\"list\" id=\"members\">";
  for (const store::OrgMember& m : members) {
    html += "<tr><td>" + HtmlEscape(m.user.name) + "</td><td class=\"role\">" +
            std::string(store::OrgRoleName(m.role)) + "</td><td>";
    if (admin) {
      html += "<form class=\"inline\" method=\"post\" action=\"" + base + "/members/" + HtmlEscape(m.user.name) +
              "/delete\">" + CsrfField(*who) + "<button type=\"submit\">Remove</button></form>";
    }
    html += "</td></tr>";
  }
  html += "</table></section>";
  if (admin) {
    html += "<section class=\"panel\"><h2>Add a member or change a role</h2><form class=\"stack\" method=\"post\" "
            "action=\"" + base + "/members\">" + CsrfField(*who) +
            "<label>Username <input name=\"username\" id=\"member-name\" required></label><label>Role " +
            RoleSelect("member-role") + "</label><button class=\"button\" type=\"submit\" id=\"add-member\">Save"
            "</button></form></section>";
  }
  html += "<p><a href=\"/?search=" + HtmlEscape(UrlEncode(org.name + "/")) + "\">Spaces of " + HtmlEscape(org.name) +
          "</a></p></main>";
  return call.SendHtml(200, RenderPage(org.name, html, AccountNav(who)));
}

// The organization of the URL, when the form's sender is one of its admins.
Result<store::Organization> AdminOrg(HubCore& hub, Call& call, const access::Principal& who) {
  ASSIGN_OR_RETURN(store::Organization org, hub.deps().store->GetOrganizationByName(call.Param("org")));
  Result<store::OrgRole> role = hub.deps().store->GetOrgRole(org.name, who.user.id);
  if (!role.ok() || *role != store::OrgRole::kAdmin) {
    return Status::PermissionDenied("only admins of " + org.name + " can change its members");
  }
  return org;
}

Status HandleSetMember(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  ASSIGN_OR_RETURN(store::Organization org, AdminOrg(hub, call, who));
  std::optional<store::OrgRole> role = store::ParseOrgRole(form.Get("role"));
  if (!role) return Status::InvalidArgument("the role must be read, write or admin");
  Result<store::User> user = hub.deps().store->GetUserByName(form.Get("username"));
  if (!user.ok()) return Status::NotFound("no user named '" + form.Get("username") + "'");
  RETURN_IF_ERROR(hub.deps().store->SetOrgMember(org.id, user->id, *role));
  RETURN_IF_ERROR(hub.PublishOwnerAccess(org.name));  // the edge lets the member in at once
  return RedirectTo(call, "/organizations/" + org.name);
}

Status HandleRemoveMember(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  ASSIGN_OR_RETURN(store::Organization org, AdminOrg(hub, call, who));
  Result<store::User> user = hub.deps().store->GetUserByName(call.Param("user"));
  if (!user.ok()) return Status::NotFound("no user named '" + call.Param("user") + "'");
  RETURN_IF_ERROR(hub.deps().store->RemoveOrgMember(org.id, user->id));
  RETURN_IF_ERROR(hub.PublishOwnerAccess(org.name));  // and shuts the former member out at once
  return RedirectTo(call, "/organizations/" + org.name);
}

}  // namespace

void RegisterSettingsWeb(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  auto add = [&](const char* method, const char* pattern, Status (*fn)(HubCore&, Call&)) {
    router.Add(method, pattern, [h, fn](Call& c) { return fn(*h, c); }, ErrorFormat::kHtml);
  };
  add("GET", "/settings/tokens", HandleTokensPage);
  add("POST", "/settings/tokens", HandleTokenCreate);
  add("POST", "/settings/tokens/:id/delete", HandleTokenRevoke);
  add("GET", "/organizations/new", HandleNewOrgPage);
  add("POST", "/organizations/new", HandleNewOrg);
  add("GET", "/organizations/:org", HandleOrgPage);
  add("POST", "/organizations/:org/members", HandleSetMember);
  add("POST", "/organizations/:org/members/:user/delete", HandleRemoveMember);
}

}  // namespace spaceport::hub
