// PostgresStore: opening; users, tokens, passwords, sessions, organizations
// and their members, and OAuth consent grants.
#include <string>
#include <vector>

#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/validation.h"

namespace spaceport::store::postgres {
namespace {

// Connections per store: enough for the hub's threads and the edge's
// background loaders, few enough for several nodes under max_connections.
constexpr int kPoolSize = 8;

constexpr char kTokenColumns[] = "t.id, t.user_id, t.name, t.scope, t.created_at, t.last_used_at, t.token_hash";
constexpr int kTokenColumnCount = 7;

Token ReadToken(const PgResult& r, int row) {
  return Token{r.Int(row, 0), r.Int(row, 1), r.Text(row, 2),
               r.Text(row, 3) == "read" ? TokenScope::kRead : TokenScope::kWrite,
               r.Int(row, 4), r.Int(row, 5), r.Text(row, 6)};
}

Result<User> QueryOneUser(PgConn& conn, const std::string& where, const PgParams& params, const std::string& what) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kUserColumns + " FROM users u WHERE " + where, params));
  if (r.rows() == 0) return Status::NotFound(what + " not found");
  return ReadUser(r, 0, 0);
}

OrgRole ReadRole(const PgResult& r, int row, int col) {
  return ParseOrgRole(r.Text(row, col)).value_or(OrgRole::kRead);  // unknown rows: least power
}

// How many admins `org_id` has besides `user_id`.
Result<int64_t> OtherAdmins(PgConn& conn, int64_t org_id, int64_t user_id) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'admin'"
                                         " AND user_id <> $2",
                                         PgParams().Add(org_id).Add(user_id)));
  return r.Int(0, 0);
}

Result<std::string> CurrentRole(PgConn& conn, int64_t org_id, int64_t user_id) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2",
                                         PgParams().Add(org_id).Add(user_id)));
  return r.rows() > 0 ? r.Text(0, 0) : std::string();
}

Status MissingGrant(int64_t user_id, int64_t space_id) {
  return Status::NotFound("no OAuth grant of user " + std::to_string(user_id) + " for space " +
                          std::to_string(space_id));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const std::string& secrets_key,
                                                 const WriteFence* fence) {
  ASSIGN_OR_RETURN(SecretBox box, SecretBox::Create(secrets_key));
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, OpenMigratedPool(url, kPoolSize, "the store", fence));
  return std::unique_ptr<Store>(new PostgresStore(std::move(pool), std::move(box)));
}

// ---- Users ----

Result<User> PostgresStore::CreateUser(const std::string& name, bool is_admin, int64_t now) {
  if (!IsValidUserName(name)) {
    return Status::InvalidArgument("invalid user name '" + name +
                                   "': use 1-39 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<User> {
    // Users and organizations share one namespace (/{name}).
    ASSIGN_OR_RETURN(PgResult org, conn.Exec("SELECT 1 FROM organizations WHERE lower(name) = lower($1)",
                                             PgParams().Add(name)));
    if (org.rows() > 0) return Status::AlreadyExists("the name '" + name + "' belongs to an organization");
    Result<PgResult> r = conn.Exec("INSERT INTO users (name, is_admin, created_at) VALUES ($1, $2, $3) RETURNING id",
                                   PgParams().Add(name).Add(is_admin).Add(now));
    if (r.status().code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("user '" + name + "' already exists");
    RETURN_IF_ERROR(r.status());
    return User{r->Int(0, 0), name, is_admin, now};
  });
}

Result<User> PostgresStore::GetUser(int64_t id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) {
    return QueryOneUser(conn, "u.id = $1", PgParams().Add(id), "user " + std::to_string(id));
  });
}

Result<User> PostgresStore::GetUserByName(std::string_view name) {
  if (name.empty()) return Status::NotFound("user '' not found");
  return InTxn(TxnKind::kRead, [&](PgConn& conn) {
    return QueryOneUser(conn, "lower(u.name) = lower($1)", PgParams().Add(name), "user '" + std::string(name) + "'");
  });
}

Result<std::vector<User>> PostgresStore::ListUsers() {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<User>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kUserColumns + " FROM users u ORDER BY u.id"));
    return ReadRows<User>(r, [&](int row) { return ReadUser(r, row, 0); });
  });
}

// ---- Tokens ----

Result<Token> PostgresStore::CreateToken(int64_t user_id, const std::string& name, TokenScope scope,
                                         const std::string& token_hash, int64_t now) {
  if (token_hash.empty()) return Status::InvalidArgument("token hash is empty");
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<Token> {
    Result<PgResult> r = conn.Exec(
        "INSERT INTO tokens (user_id, name, scope, token_hash, created_at, last_used_at)"
        " VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
        PgParams().Add(user_id).Add(name).Add(TokenScopeName(scope)).Add(token_hash).Add(now));
    if (r.status().code() == StatusCode::kNotFound) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    if (r.status().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("a token with that hash already exists");
    }
    RETURN_IF_ERROR(r.status());
    return Token{r->Int(0, 0), user_id, name, scope, now, 0, token_hash};
  });
}

Result<std::pair<Token, User>> PostgresStore::UseToken(std::string_view token_hash, int64_t now) {
  if (token_hash.empty()) return Status::NotFound("token not found");
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<std::pair<Token, User>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("UPDATE tokens t SET last_used_at = $2 FROM users u"
                                                       " WHERE u.id = t.user_id AND t.token_hash = $1 RETURNING ") +
                                               kTokenColumns + ", " + kUserColumns,
                                           PgParams().Add(token_hash).Add(now)));
    if (r.rows() == 0) return Status::NotFound("token not found");
    return std::make_pair(ReadToken(r, 0), ReadUser(r, 0, kTokenColumnCount));
  });
}

Result<std::vector<Token>> PostgresStore::ListTokens(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<Token>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kTokenColumns +
                                               " FROM tokens t WHERE t.user_id = $1 ORDER BY t.id",
                                           PgParams().Add(user_id)));
    return ReadRows<Token>(r, [&](int row) { return ReadToken(r, row); });
  });
}

Status PostgresStore::DeleteToken(int64_t user_id, int64_t token_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("DELETE FROM tokens WHERE id = $1 AND user_id = $2",
                                           PgParams().Add(token_id).Add(user_id)));
    return RequireChanged(r, "token " + std::to_string(token_id));
  });
}

// ---- Passwords ----

Status PostgresStore::SetPasswordHash(int64_t user_id, const std::string& password_hash) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE users SET password_hash = $1 WHERE id = $2",
                                           PgParams().Add(password_hash).Add(user_id)));
    return RequireChanged(r, "user " + std::to_string(user_id));
  });
}

Result<std::string> PostgresStore::GetPasswordHash(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::string> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT password_hash FROM users WHERE id = $1", PgParams().Add(user_id)));
    if (r.rows() == 0) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    return r.Text(0, 0);
  });
}

// ---- Sessions ----

Status PostgresStore::CreateSession(const Session& s) {
  if (s.id_hash.empty() || s.csrf_secret.empty()) {
    return Status::InvalidArgument("a session needs an id hash and a CSRF secret");
  }
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    Status r = conn.Exec("INSERT INTO sessions (id_hash, user_id, csrf_secret, created_at, expires_at, last_seen_at)"
                         " VALUES ($1, $2, $3, $4, $5, $6)",
                         PgParams()
                             .Add(s.id_hash)
                             .Add(s.user_id)
                             .Add(s.csrf_secret)
                             .Add(s.created_at)
                             .Add(s.expires_at)
                             .Add(s.last_seen_at))
                   .status();
    if (r.code() == StatusCode::kNotFound) return Status::NotFound("user " + std::to_string(s.user_id) + " not found");
    if (r.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("session already exists");
    return r;
  });
}

Result<std::pair<Session, User>> PostgresStore::GetSession(std::string_view id_hash, int64_t now) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::pair<Session, User>> {
    ASSIGN_OR_RETURN(PgResult r,
                     conn.Exec(std::string("SELECT se.id_hash, se.user_id, se.csrf_secret, se.created_at,"
                                           " se.expires_at, se.last_seen_at, ") +
                                   kUserColumns +
                                   " FROM sessions se JOIN users u ON u.id = se.user_id"
                                   " WHERE se.id_hash = $1 AND se.expires_at > $2",
                               PgParams().Add(id_hash).Add(now)));
    if (r.rows() == 0) return Status::NotFound("session not found");
    Session s{r.Text(0, 0), r.Int(0, 1), r.Text(0, 2), r.Int(0, 3), r.Int(0, 4), r.Int(0, 5)};
    return std::make_pair(std::move(s), ReadUser(r, 0, 6));
  });
}

Status PostgresStore::TouchSession(std::string_view id_hash, int64_t now, int64_t expires_at) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
                                           PgParams().Add(now).Add(expires_at).Add(id_hash)));
    return RequireChanged(r, "session");
  });
}

Status PostgresStore::DeleteSession(std::string_view id_hash) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    return conn.Exec("DELETE FROM sessions WHERE id_hash = $1", PgParams().Add(id_hash)).status();
  });
}

Status PostgresStore::DeleteUserSessions(int64_t user_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    return conn.Exec("DELETE FROM sessions WHERE user_id = $1", PgParams().Add(user_id)).status();
  });
}

Result<int64_t> PostgresStore::DeleteExpiredSessions(int64_t now) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("DELETE FROM sessions WHERE expires_at <= $1", PgParams().Add(now)));
    return r.affected();
  });
}

// ---- Organizations ----

Result<Organization> PostgresStore::CreateOrganization(const std::string& name, int64_t creator_user_id,
                                                       int64_t now) {
  if (!IsValidUserName(name)) {
    return Status::InvalidArgument("invalid organization name '" + name +
                                   "': use 1-39 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<Organization> {
    ASSIGN_OR_RETURN(PgResult user, conn.Exec("SELECT 1 FROM users WHERE lower(name) = lower($1)", PgParams().Add(name)));
    if (user.rows() > 0) return Status::AlreadyExists("the name '" + name + "' belongs to a user");
    Result<PgResult> r = conn.Exec("INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id",
                                   PgParams().Add(name).Add(now));
    if (r.status().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("organization '" + name + "' already exists");
    }
    RETURN_IF_ERROR(r.status());
    Organization org{r->Int(0, 0), name, now};
    Status s = conn.Exec("INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'admin')",
                         PgParams().Add(org.id).Add(creator_user_id))
                   .status();
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("user " + std::to_string(creator_user_id) + " not found");
    }
    RETURN_IF_ERROR(s);
    return org;
  });
}

Result<Organization> PostgresStore::GetOrganizationByName(std::string_view name) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<Organization> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT id, name, created_at FROM organizations WHERE lower(name) = lower($1)",
                                           PgParams().Add(name)));
    if (r.rows() == 0) return Status::NotFound("organization '" + std::string(name) + "' not found");
    return Organization{r.Int(0, 0), r.Text(0, 1), r.Int(0, 2)};
  });
}

Status PostgresStore::SetOrgMember(int64_t org_id, int64_t user_id, OrgRole role) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(std::string current, CurrentRole(conn, org_id, user_id));
    if (current == "admin" && role != OrgRole::kAdmin) {
      ASSIGN_OR_RETURN(int64_t others, OtherAdmins(conn, org_id, user_id));
      if (others == 0) return Status::FailedPrecondition("an organization needs at least one admin");
    }
    Status s = conn.Exec("INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)"
                         " ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
                         PgParams().Add(org_id).Add(user_id).Add(OrgRoleName(role)))
                   .status();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("organization or user not found");
    return s;
  });
}

Status PostgresStore::RemoveOrgMember(int64_t org_id, int64_t user_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(std::string current, CurrentRole(conn, org_id, user_id));
    if (current.empty()) return Status::NotFound("not a member of this organization");
    if (current == "admin") {
      ASSIGN_OR_RETURN(int64_t others, OtherAdmins(conn, org_id, user_id));
      if (others == 0) return Status::FailedPrecondition("an organization needs at least one admin");
    }
    return conn.Exec("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2", PgParams().Add(org_id).Add(user_id))
        .status();
  });
}

Result<std::vector<OrgMember>> PostgresStore::ListOrgMembers(int64_t org_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<OrgMember>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kUserColumns +
                                               ", m.role FROM org_members m JOIN users u ON u.id = m.user_id"
                                               " WHERE m.org_id = $1 ORDER BY lower(u.name), u.name",
                                           PgParams().Add(org_id)));
    return ReadRows<OrgMember>(r, [&](int row) { return OrgMember{ReadUser(r, row, 0), ReadRole(r, row, kUserColumnCount)}; });
  });
}

Result<std::vector<Membership>> PostgresStore::ListMemberships(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<Membership>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT o.id, o.name, o.created_at, m.role"
                                           " FROM org_members m JOIN organizations o ON o.id = m.org_id"
                                           " WHERE m.user_id = $1 ORDER BY lower(o.name), o.name",
                                           PgParams().Add(user_id)));
    return ReadRows<Membership>(r, [&](int row) {
      return Membership{Organization{r.Int(row, 0), r.Text(row, 1), r.Int(row, 2)}, ReadRole(r, row, 3)};
    });
  });
}

Result<OrgRole> PostgresStore::GetOrgRole(std::string_view org_name, int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<OrgRole> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT m.role FROM org_members m JOIN organizations o ON o.id = m.org_id"
                                           " WHERE lower(o.name) = lower($1) AND m.user_id = $2",
                                           PgParams().Add(org_name).Add(user_id)));
    if (r.rows() == 0) return Status::NotFound("not a member of '" + std::string(org_name) + "'");
    return ReadRole(r, 0, 0);
  });
}

// ---- OAuth consent ----

Status PostgresStore::SaveOAuthGrant(int64_t user_id, int64_t space_id, const std::string& scopes, int64_t now) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    Status s = conn.Exec("INSERT INTO oauth_grants (user_id, space_id, scopes, granted_at) VALUES ($1, $2, $3, $4)"
                         " ON CONFLICT (user_id, space_id) DO UPDATE"
                         " SET scopes = excluded.scopes, granted_at = excluded.granted_at",
                         PgParams().Add(user_id).Add(space_id).Add(scopes).Add(now))
                   .status();
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("user " + std::to_string(user_id) + " or space " + std::to_string(space_id) +
                              " not found");
    }
    return s;
  });
}

Result<OAuthGrant> PostgresStore::GetOAuthGrant(int64_t user_id, int64_t space_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<OAuthGrant> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT scopes, granted_at FROM oauth_grants WHERE user_id = $1 AND space_id = $2",
                                           PgParams().Add(user_id).Add(space_id)));
    if (r.rows() == 0) return MissingGrant(user_id, space_id);
    OAuthGrant g;
    g.user_id = user_id;
    g.space_id = space_id;
    g.scopes = r.Text(0, 0);
    g.granted_at = r.Int(0, 1);
    return g;
  });
}

Result<std::vector<OAuthGrant>> PostgresStore::ListOAuthGrants(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<OAuthGrant>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kSpaceColumns +
                                               ", g.scopes, g.granted_at FROM oauth_grants g"
                                               " JOIN spaces s ON s.id = g.space_id WHERE g.user_id = $1"
                                               " ORDER BY g.granted_at DESC, s.id DESC",
                                           PgParams().Add(user_id)));
    return ReadRows<OAuthGrant>(r, [&](int row) {
      OAuthGrant g;
      g.space = ReadSpace(r, row);
      g.user_id = user_id;
      g.space_id = g.space.id;
      g.scopes = r.Text(row, kSpaceColumnCount);
      g.granted_at = r.Int(row, kSpaceColumnCount + 1);
      return g;
    });
  });
}

Status PostgresStore::RevokeOAuthGrant(int64_t user_id, int64_t space_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("DELETE FROM oauth_grants WHERE user_id = $1 AND space_id = $2",
                                           PgParams().Add(user_id).Add(space_id)));
    return r.affected() > 0 ? Status::Ok() : MissingGrant(user_id, space_id);
  });
}

}  // namespace spaceport::store::postgres
