// Helpers for the web UI's forms and signed-in pages: reading a form body,
// the CSRF field and its check, safe post-sign-in redirects, the account part
// of the page header.
//
// CSRF: every state-changing form of a signed-in visitor carries the
// session's CSRF secret in a hidden field "csrf"; CheckSessionForm compares it
// in constant time and also refuses requests whose Origin/Sec-Fetch-Site say
// they come from another site. The sign-in and sign-up forms (no session yet)
// are protected by the Origin check and SameSite=Lax.
// Pure helpers over one Call; thread safe as the Call is.
#pragma once

#include "core/strings.h"  // SafeNextPath

#include <optional>
#include <string>
#include <string_view>

#include "hub/hub_core.h"

namespace spaceport::hub {

struct Form {
  std::string body;  // application/x-www-form-urlencoded
  std::string Get(std::string_view key) const;  // "" when absent
};

Result<Form> ReadForm(Call& call);

// A signed-in browser session with a valid CSRF field from this site; the
// session's principal. Unauthenticated when not signed in; PermissionDenied
// for a missing/wrong CSRF field or a cross-site request.
Result<access::Principal> CheckSessionForm(HubCore& hub, Call& call, const Form& form);
// For forms without a session (sign-in, sign-up): PermissionDenied when the
// request comes from another site.
Status CheckSameSite(HubCore& hub, Call& call);

std::string CsrfField(const access::Principal& who);

// 303 See Other to a path on this site, optionally setting a cookie.
Status RedirectTo(Call& call, const std::string& path, const std::string& set_cookie = "");

// The signed-in visitor (sessions and tokens), nullopt when anonymous or
// when the credentials are bad (pages just render anonymously).
std::optional<access::Principal> PageViewer(Call& call);
// A signed-in browser session for a settings page; otherwise (nullopt) the
// visitor was sent to the sign-in page, to come back to this path.
Result<std::optional<access::Principal>> SignedInOrRedirect(Call& call);
// The header's account links: sign in / join, or the user, settings and a
// sign-out form.
std::string AccountNav(const std::optional<access::Principal>& who);
// RenderPage with AccountNav for this call's visitor.
std::string RenderAccountPage(Call& call, std::string_view title, std::string_view body_html);

}  // namespace spaceport::hub
