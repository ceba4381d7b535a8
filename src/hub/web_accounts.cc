// Web sign-up (/join), sign-in (/login) and sign-out (POST /logout).
//
// Sign-in always issues a new session id (any id the browser had is revoked:
// no session fixation), redirects only to a path on this site (SafeNextPath),
// and is throttled per account and per client address (429 + Retry-After).
// An unknown user costs the same password hashing work as a wrong password.
#include <mutex>

#include "access/passwords.h"
#include "core/log.h"
#include "core/strings.h"
#include "hub/html.h"
#include "hub/web_forms.h"
#include "store/validation.h"

namespace spaceport::hub {
namespace {

bool SecureCookies(const HubCore& hub) { return StartsWith(hub.PublicUrl(), "https://"); }

Status RequireSignIn(HubCore& hub) {
  if (hub.deps().sessions == nullptr || hub.deps().throttle == nullptr) {
    return Status::NotFound("signing in on the web is not enabled on this server");
  }
  return Status::Ok();
}

std::string CredentialsForm(const std::string& action, const std::string& title, const std::string& next,
                            const std::string& user, const std::string& error) {
  std::string html = "<main class=\"narrow\"><h1>" + HtmlEscape(title) + "</h1>";
  if (!error.empty()) html += "<p class=\"error-box\" id=\"form-error\">" + HtmlEscape(error) + "</p>";
  html += "<form class=\"stack\" method=\"post\" action=\"" + action + "\">"
          "<input type=\"hidden\" name=\"next\" value=\"" + HtmlEscape(next) + "\">"
          "<label>Username <input name=\"username\" id=\"username\" autocomplete=\"username\" required value=\"" +
          HtmlEscape(user) + "\"></label>"
          "<label>Password <input type=\"password\" name=\"password\" id=\"password\" required autocomplete=\"" +
          std::string(action == "/join" ? "new-password" : "current-password") + "\"></label>"
          "<button class=\"button\" type=\"submit\" id=\"submit\">" + HtmlEscape(title) + "</button></form>";
  html += action == "/join" ? "<p class=\"muted\">Already have an account? <a href=\"/login\">Sign in</a></p>"
                            : "<p class=\"muted\">New here? <a href=\"/join\">Create an account</a></p>";
  return html + "</main>";
}

Status SendCredentialsPage(Call& call, int status, const std::string& action, const std::string& next,
                           const std::string& user, const std::string& error) {
  std::string title = action == "/join" ? "Sign up" : "Sign in";
  return call.SendHtml(status, RenderAccountPage(call, title, CredentialsForm(action, title, next, user, error)));
}

// Signs `user` in: a fresh session (the old cookie's is revoked) and a redirect.
Status StartSession(HubCore& hub, Call& call, const store::User& user, const std::string& next) {
  std::string old_id = access::SessionIdFromCookies(call.request.headers).value_or("");
  ASSIGN_OR_RETURN(access::IssuedSession session, hub.deps().sessions->Rotate(old_id, user.id));
  int64_t max_age = hub.deps().sessions->options().lifetime.count() / 1000;
  return RedirectTo(call, SafeNextPath(next), access::SessionCookie(session.id, max_age, SecureCookies(hub)));
}

// Equal work for unknown users and wrong passwords, so timing does not tell
// which user names exist.
bool CheckPassword(HubCore& hub, const Result<store::User>& user, const std::string& password) {
  static const std::string dummy = [] {
    Result<std::string> hash = access::HashPassword("not the password of anyone");
    return hash.ok() ? *hash : std::string();
  }();
  if (!user.ok()) {
    (void)access::VerifyPassword(dummy, password);
    return false;
  }
  Result<std::string> hash = hub.deps().store->GetPasswordHash(user->id);
  if (!hash.ok() || hash->empty()) {
    (void)access::VerifyPassword(dummy, password);
    return false;
  }
  return access::VerifyPassword(*hash, password);
}

Status HandleLoginPost(HubCore& hub, Call& call) {
  RETURN_IF_ERROR(RequireSignIn(hub));
  RETURN_IF_ERROR(CheckSameSite(hub, call));
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  std::string name = form.Get("username");
  std::string next = SafeNextPath(form.Get("next"));
  access::SignInThrottle& throttle = *hub.deps().throttle;
  if (std::optional<Millis> wait = throttle.RetryAfter(name, call.request.remote_addr)) {
    int64_t seconds = (wait->count() + 999) / 1000;
    http::Headers extra;
    extra.Set("Retry-After", std::to_string(seconds));
    SendError(call.out,
              Status::ResourceExhausted("too many failed sign-ins; try again in " + std::to_string(seconds) + " s"),
              ErrorFormat::kHtml, extra);
    return Status::Ok();
  }
  Result<store::User> user = hub.deps().store->GetUserByName(name);
  if (!user.ok() && user.status().code() != StatusCode::kNotFound) return user.status();
  if (!CheckPassword(hub, user, form.Get("password"))) {
    throttle.RecordFailure(name, call.request.remote_addr);
    return SendCredentialsPage(call, 401, "/login", next, name, "Wrong username or password.");
  }
  throttle.RecordSuccess(name);
  if (user->suspended) {
    return SendCredentialsPage(call, 403, "/login", next, name, "This account is suspended by the moderators.");
  }
  return StartSession(hub, call, *user, next);
}

Status HandleJoinPost(HubCore& hub, Call& call) {
  RETURN_IF_ERROR(RequireSignIn(hub));
  RETURN_IF_ERROR(CheckSameSite(hub, call));
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  std::string name = form.Get("username");
  std::string next = SafeNextPath(form.Get("next"));
  std::string password = form.Get("password");
  if (!store::IsValidUserName(name)) {
    return SendCredentialsPage(call, 400, "/join", next, name,
                               "Choose a username of 1-39 letters, digits, '.', '_' or '-'.");
  }
  if (Status policy = access::CheckPasswordPolicy(password); !policy.ok()) {
    return SendCredentialsPage(call, 400, "/join", next, name, policy.message());
  }
  ASSIGN_OR_RETURN(std::string hash, access::HashPassword(password));
  const HubDeps& d = hub.deps();
  Result<store::User> user = d.store->CreateUser(name, false, d.clock->UnixMillis());
  if (user.status().code() == StatusCode::kAlreadyExists) {
    return SendCredentialsPage(call, 409, "/join", next, name, "That name is taken; choose another.");
  }
  RETURN_IF_ERROR(user.status());
  RETURN_IF_ERROR(d.store->SetPasswordHash(user->id, hash));
  SP_LOG(kInfo) << "new account " << user->name;
  return StartSession(hub, call, *user, next);
}

Status HandleLogout(HubCore& hub, Call& call) {
  RETURN_IF_ERROR(RequireSignIn(hub));
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  std::string id = access::SessionIdFromCookies(call.request.headers).value_or("");
  RETURN_IF_ERROR(hub.deps().sessions->Revoke(id));
  hub.Announce("session", access::HashSessionId(id));  // signed out at every node's edge
  return RedirectTo(call, "/", access::ClearedSessionCookie(SecureCookies(hub)));
}

}  // namespace

void RegisterAccountsWeb(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/login", [h](Call& c) {
    RETURN_IF_ERROR(RequireSignIn(*h));
    return SendCredentialsPage(c, 200, "/login", SafeNextPath(c.Query("next").value_or("/")), "", "");
  }, ErrorFormat::kHtml);
  router.Add("POST", "/login", [h](Call& c) { return HandleLoginPost(*h, c); }, ErrorFormat::kHtml);
  router.Add("GET", "/join", [h](Call& c) {
    RETURN_IF_ERROR(RequireSignIn(*h));
    return SendCredentialsPage(c, 200, "/join", SafeNextPath(c.Query("next").value_or("/")), "", "");
  }, ErrorFormat::kHtml);
  router.Add("POST", "/join", [h](Call& c) { return HandleJoinPost(*h, c); }, ErrorFormat::kHtml);
  router.Add("POST", "/logout", [h](Call& c) { return HandleLogout(*h, c); }, ErrorFormat::kHtml);
}

}  // namespace spaceport::hub
