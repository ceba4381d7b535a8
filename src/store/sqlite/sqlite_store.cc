// SqliteStore: opening, users and tokens. Spaces, builds and env live in
// sqlite_spaces.cc.
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_rows.h"

#include <string>

#include "store/sqlite/migrations.h"
#include "store/validation.h"

namespace spaceport::store::sqlite {
namespace {

constexpr char kTokenColumns[] = "t.id, t.user_id, t.name, t.scope, t.created_at, t.last_used_at, t.token_hash";
constexpr int kTokenColumnCount = 7;

Token ReadToken(const Stmt& st) {
  Token t;
  t.id = st.Int(0);
  t.user_id = st.Int(1);
  t.name = st.Text(2);
  t.scope = st.Text(3) == "read" ? TokenScope::kRead : TokenScope::kWrite;
  t.created_at = st.Int(4);
  t.last_used_at = st.Int(5);
  t.token_hash = st.Text(6);
  return t;
}

Result<User> QueryOneUser(SqliteDb& db, const std::string& where, int64_t id, std::string_view name,
                          const std::string& what) {
  ASSIGN_OR_RETURN(auto st, db.Prepare(std::string("SELECT ") + kUserColumns + " FROM users u WHERE " + where));
  if (name.empty()) {
    st->Bind(1, id);
  } else {
    st->Bind(1, name);
  }
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::NotFound(what + " not found");
  return ReadUser(*st, 0);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const std::string& secrets_key) {
  ASSIGN_OR_RETURN(SecretBox box, SecretBox::Create(secrets_key));
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  Result<int> applied = ApplyMigrations(*db, SchemaMigrations());
  if (!applied.ok()) return applied.status().WithContext("opening store " + path);
  return std::unique_ptr<Store>(new SqliteStore(std::move(db), std::move(box)));
}

// ---- Users ----

Result<User> SqliteStore::CreateUser(const std::string& name, bool is_admin, int64_t now) {
  if (!IsValidUserName(name)) {
    return Status::InvalidArgument("invalid user name '" + name +
                                   "': use 1-39 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  return InTxn(TxnKind::kWrite, [&]() -> Result<User> {
    // Users and organizations share one namespace (/{name}).
    ASSIGN_OR_RETURN(auto org, db_->Prepare("SELECT 1 FROM organizations WHERE name = ?"));
    org->Bind(1, name);
    ASSIGN_OR_RETURN(bool org_exists, org->Step());
    if (org_exists) return Status::AlreadyExists("the name '" + name + "' belongs to an organization");
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO users (name, is_admin, created_at) VALUES (?, ?, ?)"));
    Status s = st->Bind(1, name).Bind(2, int64_t{is_admin ? 1 : 0}).Bind(3, now).Run();
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("user '" + name + "' already exists");
    RETURN_IF_ERROR(s);
    return User{db_->LastInsertId(), name, is_admin, now};
  });
}

Result<User> SqliteStore::GetUser(int64_t id) {
  return InTxn(TxnKind::kRead,
               [&] { return QueryOneUser(*db_, "u.id = ?", id, "", "user " + std::to_string(id)); });
}

Result<User> SqliteStore::GetUserByName(std::string_view name) {
  if (name.empty()) return Status::NotFound("user '' not found");
  return InTxn(TxnKind::kRead, [&] {
    return QueryOneUser(*db_, "u.name = ?", 0, name, "user '" + std::string(name) + "'");
  });
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<User>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kUserColumns + " FROM users u ORDER BY u.id"));
    return ReadRows<User>(*st, [&] { return ReadUser(*st, 0); });
  });
}

// ---- Tokens ----

Result<Token> SqliteStore::CreateToken(int64_t user_id, const std::string& name, TokenScope scope,
                                       const std::string& token_hash, int64_t now) {
  if (token_hash.empty()) return Status::InvalidArgument("token hash is empty");
  return InTxn(TxnKind::kWrite, [&]() -> Result<Token> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "INSERT INTO tokens (user_id, name, scope, token_hash, created_at, last_used_at)"
                                  " VALUES (?, ?, ?, ?, ?, 0)"));
    Status s = st->Bind(1, user_id).Bind(2, name).Bind(3, TokenScopeName(scope)).Bind(4, token_hash).Bind(5, now).Run();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("a token with that hash already exists");
    RETURN_IF_ERROR(s);
    return Token{db_->LastInsertId(), user_id, name, scope, now, 0, token_hash};
  });
}

Result<std::pair<Token, User>> SqliteStore::UseToken(std::string_view token_hash, int64_t now) {
  if (token_hash.empty()) return Status::NotFound("token not found");
  return InTxn(TxnKind::kWrite, [&]() -> Result<std::pair<Token, User>> {
    ASSIGN_OR_RETURN(auto find, db_->Prepare(std::string("SELECT ") + kTokenColumns + ", " + kUserColumns +
                                             " FROM tokens t JOIN users u ON u.id = t.user_id"
                                             " WHERE t.token_hash = ?"));
    find->Bind(1, token_hash);
    ASSIGN_OR_RETURN(bool row, find->Step());
    if (!row) return Status::NotFound("token not found");
    Token token = ReadToken(*find);
    User user = ReadUser(*find, kTokenColumnCount);
    ASSIGN_OR_RETURN(auto touch, db_->Prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?"));
    RETURN_IF_ERROR(touch->Bind(1, now).Bind(2, token.id).Run());
    token.last_used_at = now;
    return std::make_pair(std::move(token), std::move(user));
  });
}

Result<std::vector<Token>> SqliteStore::ListTokens(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<Token>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kTokenColumns +
                                           " FROM tokens t WHERE t.user_id = ? ORDER BY t.id"));
    st->Bind(1, user_id);
    return ReadRows<Token>(*st, [&] { return ReadToken(*st); });
  });
}

Status SqliteStore::DeleteToken(int64_t user_id, int64_t token_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM tokens WHERE id = ? AND user_id = ?"));
    RETURN_IF_ERROR(st->Bind(1, token_id).Bind(2, user_id).Run());
    if (st->Changes() == 0) return Status::NotFound("token " + std::to_string(token_id) + " not found");
    return Status::Ok();
  });
}

}  // namespace spaceport::store::sqlite
