#include "hub/web_forms.h"

#include "core/strings.h"
#include "hub/html.h"

namespace spaceport::hub {
namespace {
constexpr size_t kMaxFormBytes = 64 * 1024;
}  // namespace

std::string Form::Get(std::string_view key) const { return QueryParam(body, key).value_or(""); }

Result<Form> ReadForm(Call& call) {
  ASSIGN_OR_RETURN(std::string body, call.body.ReadAll(kMaxFormBytes));
  return Form{std::move(body)};
}

Status CheckSameSite(HubCore& hub, Call& call) {
  if (!hub.IsSameSiteRequest(call.request)) {
    return Status::PermissionDenied("this form was sent from another site; open the page here and try again");
  }
  return Status::Ok();
}

Result<access::Principal> CheckSessionForm(HubCore& hub, Call& call, const Form& form) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  if (!who || !who->via_session) return Status::Unauthenticated("sign in first");
  RETURN_IF_ERROR(CheckSameSite(hub, call));
  if (!access::CsrfTokenMatches(who->csrf_secret, form.Get("csrf"))) {
    return Status::PermissionDenied("this form has expired or was not sent from this site; reload and try again");
  }
  return std::move(*who);
}

std::string CsrfField(const access::Principal& who) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + HtmlEscape(who.csrf_secret) + "\">";
}

Status RedirectTo(Call& call, const std::string& path, const std::string& set_cookie) {
  http::Response r = http::Response::Text(303, "See " + path + "\n");
  r.headers.Set("Location", SafeNextPath(path));
  r.headers.Set("Cache-Control", "no-store");
  if (!set_cookie.empty()) r.headers.Set("Set-Cookie", set_cookie);
  return call.out.Send(r);
}

std::optional<access::Principal> PageViewer(Call& call) {
  Result<std::optional<access::Principal>> who = call.Caller();
  return who.ok() ? *who : std::nullopt;
}

Result<std::optional<access::Principal>> SignedInOrRedirect(Call& call) {
  std::optional<access::Principal> who = PageViewer(call);
  if (who && who->via_session) return who;
  RETURN_IF_ERROR(RedirectTo(call, "/login?next=" + UrlEncode(call.request.path)));
  return std::optional<access::Principal>();
}

std::string AccountNav(const std::optional<access::Principal>& who) {
  if (!who) {
    return "<span class=\"nav-right\"><a href=\"/login\" id=\"nav-login\">Sign in</a>"
           "<a href=\"/join\" id=\"nav-join\">Sign up</a></span>";
  }
  std::string html = "<span class=\"nav-right\"><span id=\"nav-user\">" + HtmlEscape(who->user.name) +
                     "</span><a href=\"/settings/tokens\">Access tokens</a>"
                     "<a href=\"/settings/connected-apps\">Connected apps</a>"
                     "<a href=\"/organizations/new\">New organization</a>";
  if (who->user.is_admin) html += "<a href=\"/moderation\" id=\"nav-moderation\">Moderation</a>";
  if (who->via_session) {
    html += "<form method=\"post\" action=\"/logout\" class=\"inline\">" + CsrfField(*who) +
            "<button type=\"submit\" id=\"nav-logout\">Sign out</button></form>";
  }
  return html + "</span>";
}

std::string RenderAccountPage(Call& call, std::string_view title, std::string_view body_html) {
  return RenderPage(title, body_html, AccountNav(PageViewer(call)));
}

}  // namespace spaceport::hub
