// AppSignInFilter: the edge's own endpoints on an app's host, which set the
// host's session cookie (kAppSessionCookie) and redirect.
//
//   /.spaceport/login?code=...&next=...  the end of the sign-in hand-off
//     (access/app_sessions.h): a one-use code becomes the host's session
//     cookie; then to `next` (a path on the same host only). A bad code: 401.
//   /.spaceport/embed?t=ID.SECRET  a live embed link of the host's Space
//     (access/embed_links.h, checked against its AccessTable entry) sets an
//     embed viewer's cookie and opens the app at "/". Anything else answers as
//     the Space answers strangers: private 404, gated 403 with the way to ask,
//     open 403.
// Runs after routing, before the AccessFilter (which reads those cookies).
// Not on the path-based URL /spaces/{id}/app/, the hub's origin.
// Thread safety: shared by all connections; state lives in the borrowed
// table and sessions, which are thread safe.
#pragma once

#include "edge/access_filter.h"
#include "edge/filter.h"

namespace spaceport::edge {

class AppSignInFilter : public Filter {
 public:
  explicit AppSignInFilter(EdgeAccess deps) : deps_(deps) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  FilterStatus HandleLogin(RequestContext& ctx);
  FilterStatus HandleEmbed(RequestContext& ctx, const access::SpaceAccess* rules);

  const EdgeAccess deps_;
};

}  // namespace spaceport::edge
