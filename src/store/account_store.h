// AccountStore: users, API tokens, passwords, browser sessions,
// organizations and OAuth consents (the SQLite backend:
// store/sqlite/sqlite_accounts.cc, sqlite_oauth_grants.cc).
//
// Thread safety: every method may be called from any thread concurrently.
// Failure: NotFound for missing rows, AlreadyExists for unique-key clashes,
// InvalidArgument for values the schema refuses, Unavailable/Internal for the
// database itself. A failed write changes nothing (each method is one
// transaction). Not on the edge's per-request path.
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
#include "store/types.h"

namespace spaceport::store {

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

class AccountStore {
 public:
  virtual ~AccountStore() = default;

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

}  // namespace spaceport::store
