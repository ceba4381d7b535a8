// AccessFilter: authenticate, authorize and hand the identity to the app.
//
// Runs after routing and sanitizing, for app requests only (the hub checks
// its own requests). The caller is found from, in order: an app-host session
// cookie (a signed token, checked in memory; one made from a hub session
// counts only while that session lives, SessionDirectory::FindCachedByHash,
// so signing out of the hub ends it), an `Authorization` header
// with a Spaceport token (CallerCache: in memory; on a miss the request
// pauses while a worker thread asks the store once), or, on the path-based
// URL /spaces/{owner}/{name}/app/ (the hub's own origin), the hub's session
// cookie that SanitizeFilter set aside in ctx.hub_session
// (SessionDirectory::FindCached; on a miss one Lookup on a worker thread).
// The hub session counts only where the app admits members alone (private,
// or gated), so open apps never learn who visits through it; and for
// methods other than GET/HEAD/OPTIONS only from this origin (Sec-Fetch-Site
// same-origin, or an Origin equal to the request's own), since SameSite=Lax
// still sends it from sibling app hosts of the same site. Then:
//   - the Space's AccessTable entry decides: a private Space answers
//     strangers exactly like an unknown Space (404), so its existence does
//     not leak; a gated one answers 403 with the way to its request form
//     until the visitor's request is accepted; a bad token is 401 on both
//     (on an open app it passes untouched: it may be meant for the app);
//   - the platform credential is removed (the app never sees the visitor's
//     token or session cookie), and the app gets X-Spaceport-User and a
//     signed X-Spaceport-Identity (AppSessions::IdentityToken; verify it with
//     /.well-known/jwks.json). Client-sent X-Spaceport-* headers were already
//     stripped by SanitizeFilter.
// An embed viewer (whose cookie AppSignInFilter set) passes the Space's
// rules while the link is live (expiry and revocation are checked on every
// request, in memory) and reaches the app with X-Spaceport-Embed: <link id>
// instead of a user. A visitor's own sp_app session or Spaceport token
// outranks an embed viewer's cookie.
// The filter is not optional: EdgeServer::Start refuses to run without an
// access table unless told EdgeAccess::AllowAllForTests().
// Thread safety: shared by all connections; state lives in the borrowed
// tables and caches, which are thread safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "access/access_table.h"
#include "access/app_sessions.h"
#include "access/caller_cache.h"
#include "access/sessions.h"
#include "edge/access_replies.h"
#include "edge/filter.h"
#include "edge/worker_pool.h"

namespace spaceport::edge {

struct EdgeAccess {
  const access::AccessTable* table = nullptr;
  access::CallerCache* callers = nullptr;
  access::AppSessions* sessions = nullptr;
  access::SessionDirectory* hub_sessions = nullptr;  // null: path-based apps ignore the hub's session
  // Only for tests of the bare proxy: no table, no access checks, no
  // identity; every app is open to everyone. Never in a server.
  bool allow_all = false;
  static EdgeAccess AllowAllForTests() { return {.allow_all = true}; }
};

class AccessFilter : public Filter {
 public:
  AccessFilter(EdgeAccess deps, WorkerPool* workers) : deps_(deps), workers_(workers) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  // What the request carried that is ours, to be removed before the app sees it.
  struct Credentials {
    bool app_cookie = false;  // an sp_app cookie (valid or not)
    bool token = false;       // Authorization names the caller (a valid Spaceport token)
  };
  // `rules` is the Space's AccessTable entry (null: none published yet),
  // looked up once per request and again only after a worker-thread lookup.
  using Rules = const access::SpaceAccess*;
  FilterStatus Decide(RequestContext& ctx, Rules rules, const std::optional<access::Caller>& caller,
                      Credentials carried);
  FilterStatus DecideWithHubSession(RequestContext& ctx, Rules rules, Credentials carried);
  // Decides for the user of a live hub session (by id hash), or for nobody:
  // from memory, or after one store read on a worker thread. With an
  // app-session cookie (`cookie`, its user `only_user`): the session must be
  // that user's, and a cookie whose session has ended is marked so
  // (AppSessions::EndCookie) and costs no more lookups.
  FilterStatus DecideBySession(RequestContext& ctx, Rules rules, std::string id_hash, int64_t only_user,
                               std::string cookie, Credentials carried);
  FilterStatus AdmitEmbedViewer(RequestContext& ctx, const std::string& link_id);
  FilterStatus RefuseBadToken(RequestContext& ctx, Rules rules, const Status& why, Credentials carried);

  const EdgeAccess deps_;
  WorkerPool* const workers_;
};

}  // namespace spaceport::edge
