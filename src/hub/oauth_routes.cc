// The OAuth2 / OpenID Connect provider's HTTP face (access/oidc_provider.h
// holds the rules): discovery, authorize with its consent page, token,
// userinfo. /oauth/authorize sends visitors who are not signed in to
// /login?next=..., refuses users outside the card's hf_oauth_authorized_org
// (403), and asks for consent until the user has allowed the Space's client
// these scopes (store::OAuthGrant); the consent form is a CSRF-checked POST
// whose hidden fields are validated again, and the page may not be framed.
// Allow answers 303 to the app with a code, Deny 303 with
// error=access_denied and the state. Token and userinfo
// answer in OAuth's own error shape ({"error": code, "error_description"}),
// which OAuth clients expect instead of the hub's {"error": message}.
#include "access/authorize.h"
#include "core/strings.h"
#include "hub/html.h"
#include "hub/hub_core.h"
#include "hub/web_forms.h"

namespace spaceport::hub {
namespace {

Status SendOAuthError(Call& call, int status, std::string_view code, std::string_view description) {
  http::Response r = http::Response::Json(
      status, DumpJson({{"error", std::string(code)}, {"error_description", std::string(description)}}));
  r.headers.Set("Cache-Control", "no-store");
  if (status == 401) r.headers.Set("WWW-Authenticate", "Bearer error=\"" + std::string(code) + "\"");
  return call.out.Send(r);
}

Result<store::Space> ClientSpace(HubCore& hub, std::string_view client_id) {
  std::string sub = access::OidcProvider::SubdomainOf(client_id);
  Result<store::Space> space = sub.empty() ? Status::NotFound("") : hub.deps().store->GetSpaceBySubdomain(sub);
  if (!space.ok() && space.status().code() == StatusCode::kNotFound) {
    return Status::PermissionDenied("unknown client_id");
  }
  return space;
}

Status HandleDiscovery(HubCore& hub, Call& call) {
  http::Response r = http::Response::Json(200, DumpJson(hub.deps().oidc->Discovery()));
  r.headers.Set("Cache-Control", "public, max-age=300");
  return call.out.Send(r);
}

// The authorize parameters, from the query (GET) or the consent form's
// hidden fields (POST); either way CheckFor validates them again.
template <typename Field>
access::AuthorizeRequest ReadAuthorizeRequest(const Field& field) {
  return {field("client_id"),      field("redirect_uri"),         field("scope"), field("state"), field("nonce"),
          field("code_challenge"), field("code_challenge_method")};
}

// A request checked for one signed-in user.
struct Authorization {
  store::Space space;
  access::ValidAuthorize valid;
  std::vector<store::Membership> memberships;
};

// The client's Space (a private one the user may not see is an unknown
// client), the request itself, and the card's hf_oauth_authorized_org.
Result<Authorization> CheckFor(HubCore& hub, const access::Principal& who, const access::AuthorizeRequest& req) {
  ASSIGN_OR_RETURN(store::Space space, ClientSpace(hub, req.client_id));
  if (!access::CanSee(hub.LevelOn(who, space), space)) return Status::PermissionDenied("unknown client_id");
  ASSIGN_OR_RETURN(access::ValidAuthorize valid,
                   hub.deps().oidc->CheckAuthorize(space, req, space.card_json, hub.options().app_port_suffix));
  ASSIGN_OR_RETURN(std::vector<store::Membership> memberships, hub.deps().store->ListMemberships(who.user.id));
  std::vector<std::string> member_of;
  for (const store::Membership& m : memberships) member_of.push_back(m.org.name);
  RETURN_IF_ERROR(access::OidcProvider::CheckAuthorizedOrg(valid, member_of));
  return Authorization{std::move(space), std::move(valid), std::move(memberships)};
}

std::string IssueCode(HubCore& hub, const Authorization& a, const access::Principal& who) {
  std::vector<access::OrgClaim> orgs;
  for (const store::Membership& m : a.memberships) {
    orgs.push_back({m.org.id, m.org.name, std::string(store::OrgRoleName(m.role))});
  }
  return hub.deps().oidc->IssueCode(a.valid, access::Caller{who.user.id, who.user.name}, std::move(orgs));
}

// To the app (a code or an error). `status`: 302 after GET, 303 after the form.
Status SendRedirect(Call& call, int status, const std::string& location) {
  http::Response r = http::Response::Text(status, "");
  r.headers.Set("Location", location);
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Referrer-Policy", "no-referrer");
  return call.out.Send(r);
}

std::string HiddenField(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + HtmlEscape(value) + "\">";
}

std::string ConsentBody(HubCore& hub, const Authorization& a, const access::Principal& who) {
  const access::AuthorizeRequest& req = a.valid.request;
  Json card = ParseStoredJson(a.space.card_json);
  std::string title = card.contains("title") && card["title"].is_string() ? card["title"].get<std::string>() : "";
  std::string id = HtmlEscape(a.space.full_id());
  std::string html = "<main class=\"narrow\"><h1>Sign in to " + id + "</h1><section class=\"panel\" id=\"consent\">";
  html += "<p>The Space <a id=\"consent-space\" href=\"" + HtmlEscape(hub.SpaceUrl(a.space)) + "\">" + id + "</a>";
  if (!title.empty()) html += " (<span id=\"consent-title\">" + HtmlEscape(title) + "</span>)";
  html += " wants to use your Spaceport account <strong>" + HtmlEscape(who.user.name) +
          "</strong>. It will be able to:</p><ul id=\"consent-scopes\">";
  for (const std::string& scope : a.valid.scopes) {
    html += "<li data-scope=\"" + HtmlEscape(scope) + "\">" + HtmlEscape(access::OidcProvider::DescribeScope(scope)) +
            "</li>";
  }
  html += "</ul><form method=\"post\" action=\"/oauth/authorize\" class=\"consent\">" + CsrfField(who) +
          HiddenField("client_id", req.client_id) + HiddenField("redirect_uri", req.redirect_uri) +
          HiddenField("scope", Join(a.valid.scopes, " ")) + HiddenField("state", req.state) +
          HiddenField("nonce", req.nonce) + HiddenField("code_challenge", req.code_challenge) +
          HiddenField("code_challenge_method", req.code_challenge_method) +
          "<button class=\"button\" type=\"submit\" name=\"decision\" value=\"allow\" id=\"consent-allow\">Allow"
          "</button> <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"consent-deny\">Deny</button>"
          "</form><p class=\"muted\">Either way you go back to <code>" +
          HtmlEscape(req.redirect_uri) +
          "</code>. Apps you allowed are listed at <a href=\"/settings/connected-apps\">Connected apps</a>, "
          "where you can revoke them.</p></section></main>";
  return html;
}

// The consent page may not be framed: a framing page could trick a click on Allow.
Status SendConsentPage(HubCore& hub, Call& call, const Authorization& a, const access::Principal& who) {
  http::Response r = http::Response::Text(
      200, RenderPage("Sign in to " + a.space.full_id(), ConsentBody(hub, a, who), AccountNav(who)),
      "text/html; charset=utf-8");
  r.headers.Set("X-Frame-Options", "DENY");
  r.headers.Set("Content-Security-Policy", "frame-ancestors 'none'");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  r.headers.Set("Cache-Control", "no-store");
  return call.out.Send(r);
}

// GET: a user who consented to these scopes before goes straight back to
// the app with a code; anyone else sees the consent page.
Status HandleAuthorize(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  if (!who) return RedirectTo(call, "/login?next=" + UrlEncode(call.request.target));
  if (call.Query("response_type").value_or("") != "code") {
    return Status::InvalidArgument("response_type must be code");
  }
  access::AuthorizeRequest req = ReadAuthorizeRequest([&](std::string_view k) { return call.Query(k).value_or(""); });
  ASSIGN_OR_RETURN(Authorization a, CheckFor(hub, *who, req));
  Result<store::OAuthGrant> grant = hub.deps().store->GetOAuthGrant(who->user.id, a.space.id);
  if (!grant.ok() && grant.status().code() != StatusCode::kNotFound) return grant.status();
  if (grant.ok() && access::OidcProvider::GrantCovers(grant->scopes, a.valid.scopes)) {
    return SendRedirect(call, 302, IssueCode(hub, a, *who));
  }
  if (!who->via_session) {
    return Status::PermissionDenied("allow this app in a browser signed in to Spaceport first");
  }
  return SendConsentPage(hub, call, a, *who);
}

// POST: the consent form. Its fields are checked like a fresh request; the
// session's CSRF field and the request's origin are checked first.
Status HandleConsent(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  access::AuthorizeRequest req = ReadAuthorizeRequest([&](std::string_view k) { return form.Get(k); });
  ASSIGN_OR_RETURN(Authorization a, CheckFor(hub, who, req));
  std::string decision = form.Get("decision");
  if (decision == "deny") return SendRedirect(call, 303, access::OidcProvider::DeniedRedirect(a.valid.request));
  if (decision != "allow") return Status::InvalidArgument("decision must be allow or deny");
  Result<store::OAuthGrant> before = hub.deps().store->GetOAuthGrant(who.user.id, a.space.id);
  if (!before.ok() && before.status().code() != StatusCode::kNotFound) return before.status();
  std::string scopes = access::OidcProvider::MergeScopes(before.ok() ? before->scopes : "", a.valid.scopes);
  RETURN_IF_ERROR(hub.deps().store->SaveOAuthGrant(who.user.id, a.space.id, scopes, hub.deps().clock->UnixMillis()));
  return SendRedirect(call, 303, IssueCode(hub, a, who));
}

Status HandleToken(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::string form, call.body.ReadAll(64 * 1024));
  const auto field = [&](std::string_view k) { return QueryParam(form, k).value_or(""); };
  if (field("grant_type") != "authorization_code") {
    return SendOAuthError(call, 400, "unsupported_grant_type", "only authorization_code is supported");
  }
  access::TokenRequest req{field("code"), field("redirect_uri"), field("code_verifier"), field("client_id"),
                           field("client_secret")};
  if (auto basic = call.request.headers.Get("Authorization"); basic && StartsWith(*basic, "Basic ")) {
    std::optional<std::string> pair = Base64Decode(Trim(basic->substr(6)));
    size_t colon = pair ? pair->find(':') : std::string::npos;
    if (colon == std::string::npos) return SendOAuthError(call, 401, "invalid_client", "malformed Basic credentials");
    req.client_id = UrlDecode(pair->substr(0, colon));
    req.client_secret = UrlDecode(pair->substr(colon + 1));
  }
  Result<store::Space> space = ClientSpace(hub, req.client_id);
  if (!space.ok()) return SendOAuthError(call, 401, "invalid_client", space.status().message());
  Result<Json> tokens = hub.deps().oidc->Token(*space, req);
  if (!tokens.ok()) {
    if (tokens.status().code() == StatusCode::kPermissionDenied) {
      return SendOAuthError(call, 401, "invalid_client", tokens.status().message());
    }
    return SendOAuthError(call, 400, "invalid_grant", tokens.status().message());
  }
  return call.SendJson(200, *tokens);
}

// A valid token answers while the user's consent stands: revoking the
// connected app (or moving its Space, which drops the grant) ends the tokens
// it holds, and consenting again later does not revive tokens issued before.
Status HandleUserInfo(HubCore& hub, Call& call) {
  auto auth = call.request.headers.Get("Authorization");
  if (!auth || !StartsWith(*auth, "Bearer "))
    return SendOAuthError(call, 401, "invalid_token", "Bearer token required");
  Result<access::OidcProvider::AccessToken> token = hub.deps().oidc->CheckAccessToken(Trim(auth->substr(7)));
  if (!token.ok()) return SendOAuthError(call, 401, "invalid_token", token.status().message());
  Result<store::Space> space = ClientSpace(hub, token->client_id);
  if (!space.ok()) {
    if (space.status().code() != StatusCode::kPermissionDenied) return space.status();
    return SendOAuthError(call, 401, "invalid_token", "the app this token was issued to is gone");
  }
  Result<store::OAuthGrant> grant = hub.deps().store->GetOAuthGrant(token->user_id, space->id);
  if (!grant.ok() && grant.status().code() != StatusCode::kNotFound) return grant.status();
  if (!grant.ok() || grant->granted_at / 1000 > token->issued_at) {
    return SendOAuthError(call, 401, "invalid_token", "access was revoked");
  }
  return call.SendJson(200, token->userinfo);
}

}  // namespace

void RegisterOAuthRoutes(Router& router, HubCore& hub) {
  if (hub.deps().oidc == nullptr) return;
  router.Add("GET", "/.well-known/openid-configuration", [&hub](Call& call) { return HandleDiscovery(hub, call); });
  router.Add(
      "GET", "/oauth/authorize", [&hub](Call& call) { return HandleAuthorize(hub, call); }, ErrorFormat::kHtml);
  router.Add(
      "POST", "/oauth/authorize", [&hub](Call& call) { return HandleConsent(hub, call); }, ErrorFormat::kHtml);
  router.Add("POST", "/oauth/token", [&hub](Call& call) { return HandleToken(hub, call); });
  router.Add("GET", "/oauth/userinfo", [&hub](Call& call) { return HandleUserInfo(hub, call); });
  router.Add("POST", "/oauth/userinfo", [&hub](Call& call) { return HandleUserInfo(hub, call); });
}

}  // namespace spaceport::hub
