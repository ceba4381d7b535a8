// SqliteStore: passwords, sessions, organizations and their members.
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/validation.h"

namespace spaceport::store::sqlite {
namespace {

const std::string kSessionColumns =
    std::string("se.id_hash, se.user_id, se.csrf_secret, se.created_at, se.expires_at, se.last_seen_at, ") + kUserColumns;

OrgRole ReadRole(const Stmt& st, int column) {
  return ParseOrgRole(st.Text(column)).value_or(OrgRole::kRead);  // unknown rows: least power
}

Result<bool> Exists(SqliteDb& db, const std::string& sql, std::string_view text) {
  ASSIGN_OR_RETURN(auto st, db.Prepare(sql));
  st->Bind(1, text);
  return st->Step();
}

// How many admins `org_id` has besides `user_id`.
Result<int64_t> OtherAdmins(SqliteDb& db, int64_t org_id, int64_t user_id) {
  ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT COUNT(*) FROM org_members WHERE org_id = ? AND role = 'admin'"
                                       " AND user_id != ?"));
  st->Bind(1, org_id).Bind(2, user_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : 0;
}

Result<std::string> CurrentRole(SqliteDb& db, int64_t org_id, int64_t user_id) {
  ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT role FROM org_members WHERE org_id = ? AND user_id = ?"));
  st->Bind(1, org_id).Bind(2, user_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::string();
  return st->Text(0);
}

}  // namespace

// ---- Passwords ----

Status SqliteStore::SetPasswordHash(int64_t user_id, const std::string& password_hash) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE users SET password_hash = ? WHERE id = ?"));
    RETURN_IF_ERROR(st->Bind(1, password_hash).Bind(2, user_id).Run());
    if (st->Changes() == 0) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    return Status::Ok();
  });
}

Result<std::string> SqliteStore::GetPasswordHash(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::string> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT password_hash FROM users WHERE id = ?"));
    st->Bind(1, user_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    return st->Text(0);
  });
}

// ---- Sessions ----

Status SqliteStore::CreateSession(const Session& s) {
  if (s.id_hash.empty() || s.csrf_secret.empty()) {
    return Status::InvalidArgument("a session needs an id hash and a CSRF secret");
  }
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO sessions (id_hash, user_id, csrf_secret, created_at,"
                                           " expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"));
    st->Bind(1, s.id_hash).Bind(2, s.user_id).Bind(3, s.csrf_secret);
    Status r = st->Bind(4, s.created_at).Bind(5, s.expires_at).Bind(6, s.last_seen_at).Run();
    if (r.code() == StatusCode::kNotFound) return Status::NotFound("user " + std::to_string(s.user_id) + " not found");
    if (r.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("session already exists");
    return r;
  });
}

Result<std::pair<Session, User>> SqliteStore::GetSession(std::string_view id_hash, int64_t now) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::pair<Session, User>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kSessionColumns +
                                           " FROM sessions se JOIN users u ON u.id = se.user_id"
                                           " WHERE se.id_hash = ? AND se.expires_at > ?"));
    st->Bind(1, id_hash).Bind(2, now);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("session not found");
    Session s{st->Text(0), st->Int(1), st->Text(2), st->Int(3), st->Int(4), st->Int(5)};
    return std::make_pair(std::move(s), ReadUser(*st, 6));
  });
}

Status SqliteStore::TouchSession(std::string_view id_hash, int64_t now, int64_t expires_at) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?"));
    RETURN_IF_ERROR(st->Bind(1, now).Bind(2, expires_at).Bind(3, id_hash).Run());
    if (st->Changes() == 0) return Status::NotFound("session not found");
    return Status::Ok();
  });
}

Status SqliteStore::DeleteSession(std::string_view id_hash) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM sessions WHERE id_hash = ?"));
    return st->Bind(1, id_hash).Run();
  });
}

Status SqliteStore::DeleteUserSessions(int64_t user_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM sessions WHERE user_id = ?"));
    return st->Bind(1, user_id).Run();
  });
}

Result<int64_t> SqliteStore::DeleteExpiredSessions(int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM sessions WHERE expires_at <= ?"));
    RETURN_IF_ERROR(st->Bind(1, now).Run());
    return st->Changes();
  });
}

// ---- Organizations ----

Result<Organization> SqliteStore::CreateOrganization(const std::string& name, int64_t creator_user_id, int64_t now) {
  if (!IsValidUserName(name)) {
    return Status::InvalidArgument("invalid organization name '" + name +
                                   "': use 1-39 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  return InTxn(TxnKind::kWrite, [&]() -> Result<Organization> {
    ASSIGN_OR_RETURN(bool user_exists, Exists(*db_, "SELECT 1 FROM users WHERE name = ?", name));
    if (user_exists) return Status::AlreadyExists("the name '" + name + "' belongs to a user");
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO organizations (name, created_at) VALUES (?, ?)"));
    Status s = st->Bind(1, name).Bind(2, now).Run();
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("organization '" + name + "' already exists");
    RETURN_IF_ERROR(s);
    Organization org{db_->LastInsertId(), name, now};
    ASSIGN_OR_RETURN(auto member, db_->Prepare("INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, 'admin')"));
    s = member->Bind(1, org.id).Bind(2, creator_user_id).Run();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("user " + std::to_string(creator_user_id) + " not found");
    RETURN_IF_ERROR(s);
    return org;
  });
}

Result<Organization> SqliteStore::GetOrganizationByName(std::string_view name) {
  return InTxn(TxnKind::kRead, [&]() -> Result<Organization> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT id, name, created_at FROM organizations WHERE name = ?"));
    st->Bind(1, name);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("organization '" + std::string(name) + "' not found");
    return Organization{st->Int(0), st->Text(1), st->Int(2)};
  });
}

Status SqliteStore::SetOrgMember(int64_t org_id, int64_t user_id, OrgRole role) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(std::string current, CurrentRole(*db_, org_id, user_id));
    if (current == "admin" && role != OrgRole::kAdmin) {
      ASSIGN_OR_RETURN(int64_t others, OtherAdmins(*db_, org_id, user_id));
      if (others == 0) return Status::FailedPrecondition("an organization needs at least one admin");
    }
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, ?)"
                                           " ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role"));
    Status s = st->Bind(1, org_id).Bind(2, user_id).Bind(3, OrgRoleName(role)).Run();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("organization or user not found");
    return s;
  });
}

Status SqliteStore::RemoveOrgMember(int64_t org_id, int64_t user_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(std::string current, CurrentRole(*db_, org_id, user_id));
    if (current.empty()) return Status::NotFound("not a member of this organization");
    if (current == "admin") {
      ASSIGN_OR_RETURN(int64_t others, OtherAdmins(*db_, org_id, user_id));
      if (others == 0) return Status::FailedPrecondition("an organization needs at least one admin");
    }
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM org_members WHERE org_id = ? AND user_id = ?"));
    return st->Bind(1, org_id).Bind(2, user_id).Run();
  });
}

Result<std::vector<OrgMember>> SqliteStore::ListOrgMembers(int64_t org_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<OrgMember>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kUserColumns + ", m.role"
                                           " FROM org_members m JOIN users u ON u.id = m.user_id"
                                           " WHERE m.org_id = ? ORDER BY u.name"));
    st->Bind(1, org_id);
    return ReadRows<OrgMember>(*st, [&] { return OrgMember{ReadUser(*st, 0), ReadRole(*st, kUserColumnCount)}; });
  });
}

Result<std::vector<Membership>> SqliteStore::ListMemberships(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<Membership>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT o.id, o.name, o.created_at, m.role"
                                           " FROM org_members m JOIN organizations o ON o.id = m.org_id"
                                           " WHERE m.user_id = ? ORDER BY o.name"));
    st->Bind(1, user_id);
    return ReadRows<Membership>(*st, [&] { return Membership{Organization{st->Int(0), st->Text(1), st->Int(2)}, ReadRole(*st, 3)}; });
  });
}

Result<OrgRole> SqliteStore::GetOrgRole(std::string_view org_name, int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<OrgRole> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT m.role FROM org_members m JOIN organizations o ON o.id = m.org_id"
                                           " WHERE o.name = ? AND m.user_id = ?"));
    st->Bind(1, org_name).Bind(2, user_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("not a member of '" + std::string(org_name) + "'");
    return ReadRole(*st, 0);
  });
}

}  // namespace spaceport::store::sqlite
