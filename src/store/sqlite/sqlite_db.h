// SqliteDb: a thin RAII wrapper over one sqlite3 connection for the SQLite
// store backend (internal to store/sqlite/).
//
// Owns the connection and a cache of prepared statements keyed by SQL text.
// Statements are borrowed through Stmt, which resets and clears its bindings
// when it goes out of scope, so a cached statement is always ready for reuse.
// Thread safety: none. The owner serializes every call (SqliteStore holds one
// mutex around each transaction).
// Failure: SQLite result codes become Status through SqliteStatus():
// UNIQUE/PRIMARY KEY -> AlreadyExists, FOREIGN KEY -> NotFound, CHECK/NOT NULL
// -> InvalidArgument, BUSY/LOCKED/FULL -> Unavailable, the rest -> Internal.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace spaceport::store::sqlite {

// Maps a SQLite (extended) result code to a Status; `what` gives context.
Status SqliteStatus(int rc, std::string_view what, std::string_view detail);

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Parameters are 1-based, as in SQL. Binding errors surface at Step().
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, std::string_view text);
  Stmt& BindBlob(int index, std::string_view bytes);

  // true: a row is ready to read; false: the statement is done.
  Result<bool> Step();
  // Steps to completion, ignoring rows.
  Status Run();
  // Ready to run again with new parameters (bindings are kept until rebound).
  Stmt& Reset();
  // Rows changed by the last completed INSERT/UPDATE/DELETE.
  int64_t Changes() const;

  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;
};

class SqliteDb {
 public:
  // `path` may be ":memory:". Applies the connection pragmas (WAL,
  // foreign_keys, busy_timeout, synchronous=NORMAL).
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without results (DDL, BEGIN, pragmas).
  Status Exec(std::string_view sql);
  // A cached prepared statement; the SQL must be a single statement.
  Result<std::unique_ptr<Stmt>> Prepare(const std::string& sql);
  int64_t LastInsertId() const;
  sqlite3* raw() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Runs `fn` (returning Status or Result<T>) under `mu` in one transaction
// of `db` (BEGIN IMMEDIATE for writes, so writers are serialized without
// deadlocking upgrades); commits on success, rolls back on any error.
template <typename Fn>
auto InTransaction(SqliteDb& db, std::mutex& mu, bool write, Fn&& fn) -> decltype(fn()) {
  std::lock_guard<std::mutex> lock(mu);
  Status begin = db.Exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!begin.ok()) return begin;
  auto result = fn();
  if (!result.ok()) {
    (void)db.Exec("ROLLBACK");
    return result;
  }
  Status commit = db.Exec("COMMIT");
  if (!commit.ok()) {
    (void)db.Exec("ROLLBACK");
    return commit;
  }
  return result;
}

}  // namespace spaceport::store::sqlite
