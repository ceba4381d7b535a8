// Store: Spaceport's durable metadata (users, tokens, spaces, builds, env).
//
// One interface, several backends (store/sqlite/ now, store/postgres/ later);
// every backend passes the same conformance suite (store/store_conformance_test.cc).
// Open with Store::Open({.url = "sqlite:/path/spaceport.db"}).
//
// Thread safety: every method may be called from any thread concurrently.
// Failure: NotFound for missing rows, AlreadyExists for unique-key clashes
// (name, subdomain, token hash), InvalidArgument for values the schema
// refuses, Unavailable/Internal for the database itself. A failed write
// changes nothing (each method is one transaction).
// Not on the edge's per-request path: the edge reads in-memory state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace spaceport::store {

struct User {
  int64_t id = 0;
  std::string name;  // [a-zA-Z0-9][a-zA-Z0-9-_.]{0,38}; unique, case-insensitive
  bool is_admin = false;
  int64_t created_at = 0;  // unix millis
  bool suspended = false;  // by a moderator: signs in nowhere (read-only here: the moderation area sets it)
};

enum class TokenScope { kRead, kWrite };
std::string_view TokenScopeName(TokenScope s);  // "read" | "write"

struct Token {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  TokenScope scope = TokenScope::kWrite;
  int64_t created_at = 0;
  int64_t last_used_at = 0;  // 0: never
  std::string token_hash;    // as stored (sha256 hex), for a constant-time re-check
};

// public: anyone sees the page, the app and the source. protected: the page
// and the app are public, the source (files, git, logs) is for members only.
// private: members only; 404 to everyone else, absent from listings.
enum class Visibility { kPublic, kProtected, kPrivate };
std::string_view VisibilityName(Visibility v);  // "public" | "protected" | "private"
std::optional<Visibility> ParseVisibility(std::string_view name);

struct Space {
  int64_t id = 0;
  std::string owner;       // user (later: organization) name
  std::string name;        // repo name
  std::string subdomain;   // "{owner}-{name}" lower-cased, [a-z0-9-]; unique
                           // (CreateSpace derives it when empty)
  std::string sdk;         // static | gradio | streamlit | docker | process
  bool is_private = false;  // mirrors visibility == kPrivate; when the two disagree, is_private wins
  Visibility visibility = Visibility::kPublic;  // set both with SetVisibility()
  std::string hardware = "cpu-basic";
  std::string storage;     // persistent storage tier (HF's small | medium | large); "": the host's default size
  int64_t sleep_time_seconds = 172800;  // HF's default gcTimeout for free hardware
  std::string sha;         // current head of main, "" before the first push
  std::string card_json;   // parsed card front matter as JSON, "{}" before the first push
  std::string stage = "NO_APP_FILE";
  std::string error_message;
  int64_t created_at = 0;
  int64_t last_modified = 0;
  int64_t likes = 0;  // read-only: how many users like it (Like/Unlike change it)
  // Disabled by a moderator: the notice its app answers with (451); "": not
  // disabled. Read-only here (the moderation area sets it).
  std::string disabled;
  int64_t duplicated_from = 0;  // id of the Space this one was duplicated from; 0: none
                                // (set by CreateSpace only; 0 again once that Space is deleted)

  std::string full_id() const { return owner + "/" + name; }
  // What the store keeps: private when is_private, else public or protected.
  Visibility effective_visibility() const {
    if (is_private) return Visibility::kPrivate;
    return visibility == Visibility::kProtected ? Visibility::kProtected : Visibility::kPublic;
  }
  void SetVisibility(Visibility v) {
    visibility = v;
    is_private = v == Visibility::kPrivate;
  }
};

struct SpaceQuery {
  std::string author;          // exact owner name; empty: all
  std::string search;          // substring of owner/name, case-insensitive; empty: all
  bool include_private_of_user = false;
  int64_t viewer_user_id = 0;  // private spaces are listed only to their owner
                               // (both fields set, viewer's name == owner) and to
                               // members of the owning organization
  bool include_all_private = false;  // system listings (recovery): every Space
  std::string sort = "createdAt";  // createdAt | lastModified | likes | trendingScore | id
  int64_t duplicated_from = 0;     // non-zero: only the Spaces duplicated from this id
  std::vector<std::string> tags;   // each must be the sdk or one of the card's `tags` (exact)
  std::vector<std::string> sdks;      // any of; empty: any
  std::vector<std::string> stages;    // any of; empty: any
  std::vector<std::string> hardware;  // any of; empty: any
  // The directory's view (store/directory_store.h signals): leave out
  // Spaces hidden by moderators, and unless asked, abandoned ones and
  // near-copies; verified_only keeps verified ones only.
  bool directory_view = false;
  bool include_abandoned = false;
  bool include_duplicates = false;
  bool verified_only = false;
  bool descending = true;
  int64_t limit = 100;
  int64_t offset = 0;
  int64_t after_id = 0;  // with sort "id": the ids above this one (keyset paging of system listings)
};

enum class BuildStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view BuildStatusName(BuildStatus s);

struct Build {
  int64_t id = 0;
  int64_t space_id = 0;
  std::string commit_sha;
  BuildStatus status = BuildStatus::kQueued;
  std::string error;
  int64_t created_at = 0;
  int64_t finished_at = 0;  // 0 while not finished
};

struct EnvVar {
  std::string key;          // [A-Za-z_][A-Za-z0-9_]*
  std::string value;        // secrets: never returned by the hub API
  std::string description;
  bool secret = false;
  int64_t updated_at = 0;
};

// A Space a user likes, and since when.
struct LikedSpace {
  Space space;
  int64_t liked_at = 0;
};

// Gated Spaces: a visitor asks for access (with the card's custom fields)
// and the owner decides; HF's access-request shape.
enum class AccessRequestStatus { kPending, kAccepted, kRejected };
std::string_view AccessRequestStatusName(AccessRequestStatus s);  // "pending" | "accepted" | "rejected"
std::optional<AccessRequestStatus> ParseAccessRequestStatus(std::string_view s);

struct AccessRequest {
  int64_t space_id = 0;
  int64_t user_id = 0;
  std::string user_name;
  AccessRequestStatus status = AccessRequestStatus::kPending;
  std::string fields_json = "{}";  // the visitor's answers to the custom fields
  std::string rejection_reason;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// An embed link: a signed, expiring URL that opens one Space's app (private
// or gated too) in an iframe without sign-in. The store keeps only the hash
// of the link's secret; a revoked link keeps its row (revoked = true). Links
// hang on the Space's id: gone with the Space, kept when it is moved.
struct EmbedLink {
  std::string id;           // chosen by the caller ("el_" + hex); unique
  int64_t space_id = 0;
  std::string name;         // the owner's label, may be empty
  int64_t created_by = 0;   // user id
  std::string secret_hash;  // sha256 hex of the link's secret
  int64_t created_at = 0;   // unix millis
  int64_t expires_at = 0;   // unix millis
  bool revoked = false;
};

// ---- Accounts (sign-in, sessions, organizations) ----

// A browser session. Only a hash of the session id (the cookie value) is
// stored, so a copy of the database does not let anyone sign in.
struct Session {
  std::string id_hash;      // sha256 hex of the session id
  int64_t user_id = 0;
  std::string csrf_secret;  // per session; forms carry it, compared in constant time
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t last_seen_at = 0;
};

// Organizations share the name namespace of users: /{name} is one or the other.
struct Organization {
  int64_t id = 0;
  std::string name;
  int64_t created_at = 0;
};

enum class OrgRole { kRead, kWrite, kAdmin };  // ordered: each includes the ones before
std::string_view OrgRoleName(OrgRole r);         // "read" | "write" | "admin"
std::optional<OrgRole> ParseOrgRole(std::string_view name);

struct OrgMember {
  User user;
  OrgRole role = OrgRole::kRead;
};

struct Membership {
  Organization org;
  OrgRole role = OrgRole::kRead;
};

// "Sign in with Spaceport": a user's consent to a Space's OAuth client for a
// set of scopes. One grant per (user, Space); gone with either, and dropped
// when the Space is renamed or moved (its OAuth client id changes then, and
// the consent named the old owner/name).
struct OAuthGrant {
  int64_t user_id = 0;
  int64_t space_id = 0;
  std::string scopes;  // space separated, as granted
  int64_t granted_at = 0;
  Space space;  // filled by ListOAuthGrants (what the user sees and revokes)
};

struct StoreOptions {
  std::string url;  // "sqlite:/abs/path.db" or "sqlite::memory:"
  // 32-byte key for secret values (libsodium secretbox); kept outside the
  // database (a file in the data dir). Secret values are encrypted at rest
  // with it; callers of the Store see plaintext.
  std::string secrets_key;
};

class Store {
 public:
  virtual ~Store() = default;
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);

  // Users.
  virtual Result<User> CreateUser(const std::string& name, bool is_admin, int64_t now) = 0;
  virtual Result<User> GetUser(int64_t id) = 0;
  virtual Result<User> GetUserByName(std::string_view name) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;

  // Tokens. The store sees only hashes (sha256 hex of the token text).
  virtual Result<Token> CreateToken(int64_t user_id, const std::string& name, TokenScope scope,
                                    const std::string& token_hash, int64_t now) = 0;
  // NotFound when no token has that hash. Updates last_used_at to `now`.
  virtual Result<std::pair<Token, User>> UseToken(std::string_view token_hash, int64_t now) = 0;
  virtual Result<std::vector<Token>> ListTokens(int64_t user_id) = 0;
  virtual Status DeleteToken(int64_t user_id, int64_t token_id) = 0;

  // Spaces. CreateSpace fills id/created_at/last_modified from `now`.
  virtual Result<Space> CreateSpace(const Space& space, int64_t now) = 0;
  virtual Result<Space> GetSpace(std::string_view owner, std::string_view name) = 0;
  virtual Result<Space> GetSpaceById(int64_t id) = 0;
  virtual Result<Space> GetSpaceBySubdomain(std::string_view subdomain) = 0;
  virtual Result<std::vector<Space>> ListSpaces(const SpaceQuery& query) = 0;
  virtual Result<int64_t> CountSpaces(const SpaceQuery& query) = 0;
  // Writes the mutable fields: sdk, is_private, hardware, storage,
  // sleep_time_seconds, sha, card_json, last_modified. NotFound if gone.
  virtual Status UpdateSpace(const Space& space) = 0;
  virtual Status SetSpaceStage(int64_t space_id, std::string_view stage, std::string_view error_message) = 0;
  virtual Status DeleteSpace(int64_t space_id) = 0;  // cascades to builds and env
  // Gives a Space a new owner, name and subdomain (its id, builds, env, likes
  // and forks stay with it). AlreadyExists when the name or subdomain is
  // taken, InvalidArgument for invalid ones, NotFound if the Space is gone.
  virtual Status RenameSpace(int64_t space_id, std::string_view owner, std::string_view name,
                             std::string_view subdomain) = 0;

  // Builds.
  virtual Result<Build> CreateBuild(int64_t space_id, const std::string& commit_sha, int64_t now) = 0;
  virtual Status FinishBuild(int64_t build_id, BuildStatus status, const std::string& error, int64_t now) = 0;
  virtual Status SetBuildStatus(int64_t build_id, BuildStatus status) = 0;
  virtual Result<std::vector<Build>> ListBuilds(int64_t space_id, int64_t limit) = 0;  // newest first; limit <= 0: all

  // Variables and secrets: one namespace of keys per space per kind.
  virtual Status SetEnv(int64_t space_id, const EnvVar& var) = 0;  // upsert
  virtual Status DeleteEnv(int64_t space_id, std::string_view key, bool secret) = 0;  // NotFound if absent
  virtual Result<std::vector<EnvVar>> ListEnv(int64_t space_id) = 0;  // sorted by (secret, key)

  // Likes: at most one per (user, space); gone with either. Like and Unlike
  // are idempotent (liking twice keeps the first time); Like is NotFound
  // when the user or space is missing.
  virtual Status Like(int64_t user_id, int64_t space_id, int64_t now) = 0;
  virtual Status Unlike(int64_t user_id, int64_t space_id) = 0;
  virtual Result<std::vector<User>> ListLikers(int64_t space_id) = 0;               // oldest like first
  virtual Result<std::vector<LikedSpace>> ListLikedSpaces(int64_t user_id) = 0;     // newest like first
  virtual Result<int64_t> CountLikes(int64_t space_id) = 0;

  // Gating: mode "" (not gated), "auto" (requests accepted at once) or
  // "manual" (the owner decides). Gone with the Space.
  virtual Status SetGate(int64_t space_id, std::string_view mode) = 0;
  virtual Result<std::string> GetGate(int64_t space_id) = 0;
  // One request per (space, user): AlreadyExists when there is one (so a
  // rejection is final unless the owner changes it with DecideAccess).
  virtual Result<AccessRequest> RequestAccess(int64_t space_id, int64_t user_id, const std::string& fields_json,
                                              AccessRequestStatus initial, int64_t now) = 0;
  // Sets the status of a user's request, creating it when the owner grants
  // access to someone who never asked. NotFound for a missing user or space.
  virtual Status DecideAccess(int64_t space_id, int64_t user_id, AccessRequestStatus status,
                              const std::string& rejection_reason, int64_t now) = 0;
  virtual Result<std::vector<AccessRequest>> ListAccessRequests(int64_t space_id, AccessRequestStatus status) = 0;
  // One visitor's request (the Space page shows its state). NotFound when none.
  virtual Result<AccessRequest> GetAccessRequest(int64_t space_id, int64_t user_id) = 0;

  // Embed links. CreateEmbedLink: AlreadyExists for a taken id, NotFound for
  // a missing Space or user, InvalidArgument for an empty id or hash.
  // ListEmbedLinks: every link of the Space (revoked and expired ones too),
  // newest first. RevokeEmbedLink: NotFound unless the Space has that link;
  // revoking a revoked link changes nothing.
  virtual Result<EmbedLink> CreateEmbedLink(const EmbedLink& link) = 0;
  virtual Result<std::vector<EmbedLink>> ListEmbedLinks(int64_t space_id) = 0;
  virtual Status RevokeEmbedLink(int64_t space_id, std::string_view link_id) = 0;

  // ---- Accounts ----
  // Passwords: the store keeps the encoded hash (argon2id, made by access/);
  // "" means the user has no password and cannot sign in with one.
  virtual Status SetPasswordHash(int64_t user_id, const std::string& password_hash) = 0;
  virtual Result<std::string> GetPasswordHash(int64_t user_id) = 0;

  // Sessions, by id hash. GetSession is NotFound for unknown or expired
  // (expires_at <= now) sessions. TouchSession updates last_seen_at and
  // expires_at. DeleteSession is idempotent.
  virtual Status CreateSession(const Session& session) = 0;
  virtual Result<std::pair<Session, User>> GetSession(std::string_view id_hash, int64_t now) = 0;
  virtual Status TouchSession(std::string_view id_hash, int64_t now, int64_t expires_at) = 0;
  virtual Status DeleteSession(std::string_view id_hash) = 0;
  virtual Status DeleteUserSessions(int64_t user_id) = 0;
  virtual Result<int64_t> DeleteExpiredSessions(int64_t now) = 0;  // how many

  // Organizations. CreateOrganization makes `creator` its first admin;
  // AlreadyExists when a user or an organization has the name.
  virtual Result<Organization> CreateOrganization(const std::string& name, int64_t creator_user_id,
                                                  int64_t now) = 0;
  virtual Result<Organization> GetOrganizationByName(std::string_view name) = 0;
  // Upsert. Removing or demoting the last admin is FailedPrecondition.
  virtual Status SetOrgMember(int64_t org_id, int64_t user_id, OrgRole role) = 0;
  virtual Status RemoveOrgMember(int64_t org_id, int64_t user_id) = 0;  // NotFound if not a member
  virtual Result<std::vector<OrgMember>> ListOrgMembers(int64_t org_id) = 0;  // by user name
  virtual Result<std::vector<Membership>> ListMemberships(int64_t user_id) = 0;  // by org name
  // The user's role in the organization named `org_name`; NotFound when the
  // name is not an organization or the user is not a member.
  virtual Result<OrgRole> GetOrgRole(std::string_view org_name, int64_t user_id) = 0;

  // OAuth consent. SaveOAuthGrant is an upsert (scopes and granted_at
  // replaced); NotFound for a missing user or Space. GetOAuthGrant is
  // NotFound when there is none. ListOAuthGrants: newest first, with each
  // Space. RevokeOAuthGrant: NotFound when there was none.
  virtual Status SaveOAuthGrant(int64_t user_id, int64_t space_id, const std::string& scopes, int64_t now) = 0;
  virtual Result<OAuthGrant> GetOAuthGrant(int64_t user_id, int64_t space_id) = 0;
  virtual Result<std::vector<OAuthGrant>> ListOAuthGrants(int64_t user_id) = 0;
  virtual Status RevokeOAuthGrant(int64_t user_id, int64_t space_id) = 0;
};

// Calls `fn` for every Space `query` selects (its limit is the page size),
// oldest first, so Spaces created meanwhile land on later pages instead of
// shifting earlier ones. Stops at the first error of the store or of `fn`.
Status ForEachSpace(Store& store, SpaceQuery query, const std::function<Status(const Space&)>& fn);

}  // namespace spaceport::store
