// HubCore: the Hub's insides, shared by the route areas (api_spaces.cc,
// api_runtime.cc, api_likes.cc, api_logs.cc, api_move.cc, git_routes.cc, web_ui.cc).
//
// Owns the router and the request counters; borrows everything in HubDeps.
// Also the one place that decides who may see or change a Space, with the
// rules of access/authorize.h (owner, organization roles, visibility):
//   VisibleSpace  (page, info, runtime, likes): 404 when the caller may not
//                 see it, as if it did not exist;
//   ReadableSpace (source: files, git, logs, duplicate): 404 likewise;
//   OwnedSpaceFor (changes): 404 when invisible, anonymous 401, below the
//                 needed role or with a read token 403.
// Also owns the LFS object store and the commit writer over deps.repos, and
// the key that signs LFS upload links (random per process: links are
// short-lived, so they simply expire across a restart).
// Thread safety: after construction, every method is safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "access/authorize.h"
#include "hub/api/file_lists.h"
#include "hub/call.h"
#include "hub/commit/commit_slots.h"
#include "hub/hub.h"
#include "hub/router.h"
#include "repo/lfs_store.h"
#include "repo/repo_commit.h"

namespace spaceport::hub {

struct OwnedSpace {
  store::Space space;
  access::Principal caller;
};

class HubCore {
 public:
  HubCore(HubDeps deps, HubOptions options);

  void Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out);
  void AddMetricsSource(std::function<void(std::string*)> source);
  std::string MetricsText();

  const HubDeps& deps() const { return deps_; }
  const HubOptions& options() const { return options_; }
  std::string PublicUrl() const;                          // without a trailing slash
  std::string SpaceUrl(const store::Space& space) const;  // PUBLIC_URL/spaces/o/n
  std::string AppHost(const store::Space& space) const;   // {subdomain}.{apps_domain}
  std::string AppUrl(const store::Space& space) const;    // http://{host}{port_suffix}

  // NotFound (one message for missing and invalid names).
  Result<store::Space> FindSpace(std::string_view owner, std::string_view name);
  Result<store::Space> VisibleSpace(Call& call, std::string_view owner, std::string_view name);
  Result<store::Space> ReadableSpace(Call& call, std::string_view owner, std::string_view name);
  // need_write: a write-scoped credential too (reads of settings need only the role).
  Result<OwnedSpace> OwnedSpaceFor(Call& call, std::string_view owner, std::string_view name, bool need_write,
                                   access::AccessLevel level = access::AccessLevel::kWrite);
  static bool IsOwner(const std::optional<access::Principal>& who, const store::Space& space);
  // The caller's level on a Space (owner, organization role); store errors
  // read as no access.
  access::AccessLevel LevelOn(const std::optional<access::Principal>& who, const store::Space& space);
  // The declared forks of `space` the caller may see (duplicated from it),
  // newest first, at most `limit`.
  Result<std::vector<store::Space>> ForksOf(const store::Space& space, const std::optional<access::Principal>& who,
                                            int64_t limit);
  // The caller's own name and their organizations' (none when anonymous; a
  // store error leaves the organizations out).
  std::vector<std::string> NamespacesOf(const std::optional<access::Principal>& who);
  // Origin of the public URL ("scheme://host[:port]"), and whether a browser
  // request comes from this site (Origin / Sec-Fetch-Site), for forms.
  std::string PublicOrigin() const;
  bool IsSameSiteRequest(const http::Request& request) const;

  const repo::LfsStore& lfs() const { return lfs_; }
  FileLists& file_lists() { return file_lists_; }
  CommitSlots& commit_slots() { return commit_slots_; }
  // Bytes the Space's repo may still grow by under HubOptions::max_repo_bytes
  // (INT64_MAX without a limit), and a PayloadTooLarge when `incoming` more
  // would not fit.
  int64_t RepoRoomLeft(const store::Space& space) const;
  Status CheckRepoRoom(const store::Space& space, int64_t incoming) const;
  const repo::RepoWriter& writer() const { return writer_; }
  // main moved to `sha` (git push or API commit): record it and let the
  // control plane build it.
  void RecordPush(int64_t space_id, const std::string& sha);
  // Copies who may use the Space's app into the edge's AccessTable
  // (identity_routes.cc); call before its route is published and after every
  // change of visibility or readers. PublishAllAccess does it for every Space.
  // With several nodes (deps.changes) each of these is announced, and the
  // other nodes' edges apply it too (ApplyChange).
  void PublishAccess(const store::Space& space);
  void ForgetAccess(const std::string& space_id);
  Status PublishAllAccess();
  Status PublishOwnerAccess(const std::string& owner);  // every Space of one user or organization
  // A token or session was revoked: every node's edge forgets the callers it
  // remembers.
  void ForgetCallers();
  // Another node's change (store/cluster.h), applied to this node's edge.
  void ApplyChange(const store::Change& change);
  std::string GateOf(const store::Space& space);        // "", "auto" or "manual"
  // This node's edge only (no announcement).
  void ApplyAccess(const store::Space& space);
  Status ApplyOwnerAccess(const std::string& owner);
  void Announce(std::string_view kind, std::string_view key);
  void AddLiveEmbedLinks(const store::Space& space, access::SpaceAccess& rules);
  // HMAC over (space, oid, size, expiry) for LFS upload links, which the
  // HF clients call without an Authorization header.
  std::string SignLfsUpload(const store::Space& space, const repo::LfsPointer& object, int64_t expires_ms) const;

 private:
  void Dispatch(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out,
                std::string* route_name);
  void CountRequest(const std::string& route, int status);

  HubDeps deps_;
  HubOptions options_;
  repo::LfsStore lfs_;
  repo::RepoWriter writer_;
  FileLists file_lists_;
  CommitSlots commit_slots_;
  std::string upload_key_;
  Router router_;
  std::mutex metrics_mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (route, status) -> count
  std::vector<std::function<void(std::string*)>> metrics_sources_;
};

// A new API token for a user; `text` is shown once and never stored.
// InvalidArgument for an empty name or a role other than read/write. api_tokens.cc.
struct IssuedApiToken {
  store::Token token;
  std::string text;
};
Result<IssuedApiToken> IssueApiToken(HubCore& hub, int64_t user_id, const std::string& name, const std::string& role);

// The request's query without `offset`, for the next page's link: every
// filter, sort and expand field carries over as sent. api_spaces.cc.
std::string QueryWithoutOffset(std::string_view query);

// Sends `length` bytes of a file from `first` as the rest of the body and
// ends it (after Start), at the client's pace (ResponseWriter::SendBody).
// api_files.cc.
Status SendFileRange(http::ResponseWriter& out, const std::string& path, uint64_t first, uint64_t length);

// Route areas, each in its own file.
void RegisterSpacesApi(Router& router, HubCore& hub);   // api_spaces.cc
void RegisterBillingApi(Router& router, HubCore& hub);  // billing/api_billing.cc (pricing, wallet, webhooks)
void RegisterPaymentsApi(Router& router, HubCore& hub);  // billing/api_payments.cc (checkout, payouts)
void RegisterBillingWeb(Router& router, HubCore& hub);   // billing/web_billing.cc (wallet, plans, monetization)
void RegisterRuntimeApi(Router& router, HubCore& hub);  // api_runtime.cc
void RegisterLogsApi(Router& router, HubCore& hub);     // api_logs.cc
void RegisterLikesApi(Router& router, HubCore& hub);    // api_likes.cc
void RegisterSignalsApi(Router& router, HubCore& hub);  // api/space_signals.cc (health, archiving)
void RegisterModerationApi(Router& router, HubCore& hub);  // api/moderation_api.cc (reports, queue, audit log)
void RegisterCollectionsApi(Router& router, HubCore& hub);  // api/collections_api.cc
void RegisterGitRoutes(Router& router, HubCore& hub);   // git_routes.cc
void RegisterFilesApi(Router& router, HubCore& hub);    // api_files.cc (tree, resolve, commits)
void RegisterCommitApi(Router& router, HubCore& hub);   // api_commit.cc (preupload, commit)
void RegisterLfsRoutes(Router& router, HubCore& hub);   // lfs_routes.cc
void RegisterWebUi(Router& router, HubCore& hub);       // web_ui.cc
void RegisterIdentityRoutes(Router& router, HubCore& hub);  // identity_routes.cc (JWKS, app sign-in hand-off)
void RegisterOAuthRoutes(Router& router, HubCore& hub);     // oauth_routes.cc (OIDC provider)
void RegisterGatedApi(Router& router, HubCore& hub);        // api_gated.cc (gating, access requests)
void RegisterMoveApi(Router& router, HubCore& hub);     // api_move.cc
void RegisterAccountsWeb(Router& router, HubCore& hub); // web_accounts.cc (join, login, logout)
void RegisterSettingsWeb(Router& router, HubCore& hub); // web_settings.cc (tokens, organizations)
void RegisterGateWeb(Router& router, HubCore& hub);     // web_gate.cc (access requests in the browser)
void RegisterTokensApi(Router& router, HubCore& hub);   // api_tokens.cc
void RegisterEmbedLinksApi(Router& router, HubCore& hub);  // api_embed_links.cc
void RegisterConnectedAppsWeb(Router& router, HubCore& hub);  // web_connected_apps.cc (OAuth grants)

}  // namespace spaceport::hub
