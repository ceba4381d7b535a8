// The PostgreSQL backend's connection layer over libpq: a pool of
// connections to one database, statements with positional text parameters
// ($1, $2, ...), results read by row and column, and transactions that retry
// when PostgreSQL reports a serialization failure or a deadlock.
// Internal to store/postgres/.
//
// Thread safety: PgPool is safe from any thread; a PgConn (and the PgResult
// it returns) belongs to the one thread that acquired it until released.
// Failure: SQLSTATE classes map to Status codes (PgStatus): 23505 unique ->
// AlreadyExists, 23503 foreign key -> NotFound, 23514/23502/22xxx ->
// InvalidArgument, 40001/40P01 -> Unavailable (InTxn retries those
// transactions first), a lost connection -> Unavailable, the rest -> Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/cluster.h"

struct pg_conn;
struct pg_result;

namespace spaceport::store::postgres {

// Positional parameters, sent as text; std::nullopt is SQL NULL.
class PgParams {
 public:
  PgParams() = default;
  PgParams& Add(int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  PgParams& Add(int v) { return Add(static_cast<int64_t>(v)); }
  PgParams& Add(bool v) {
    values_.emplace_back(v ? "t" : "f");
    return *this;
  }
  PgParams& Add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  PgParams& Add(const std::string& v) { return Add(std::string_view(v)); }
  PgParams& Add(const char* v) { return Add(std::string_view(v)); }
  PgParams& AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  // Bytes for a bytea column: sent as hex ("\x..."), which PostgreSQL reads back as the bytes.
  PgParams& AddBytes(std::string_view bytes);
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// One statement's result: rows of text values.
class PgResult {
 public:
  explicit PgResult(pg_result* r);
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;  // NULL reads 0
  bool Bool(int row, int col) const;    // 't' (a boolean) or a non-zero number
  std::string Bytes(int row, int col) const;  // a bytea column, decoded from its hex form
  int64_t affected() const;                   // rows an INSERT/UPDATE/DELETE changed

 private:
  pg_result* result_;
};

class PgConn {
 public:
  // `conninfo`: a postgres:// URL or key=value string libpq accepts.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& conninfo);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  Result<PgResult> Exec(std::string_view sql, const PgParams& params = {});
  // Several statements, no parameters (migrations, BEGIN/COMMIT).
  Status ExecScript(std::string_view sql);
  // COPY ... FROM STDIN (text format): `next` fills the next chunk of rows
  // and returns false when there are no more. The rows copied.
  Result<int64_t> CopyIn(std::string_view copy_sql, const std::function<Result<bool>(std::string* chunk)>& next);
  bool healthy() const;
  // Connected and outside any transaction: fit to hand to the next caller.
  bool reusable() const;
  // Did the last failed statement fail on a serialization conflict or a
  // deadlock (SQLSTATE 40001, 40P01), so that its transaction may be retried?
  bool conflicted() const { return conflicted_; }
  // For LISTEN: the socket and the notifications received so far.
  int socket() const;
  struct Notice {
    std::string channel;
    std::string payload;
  };
  // Reads what the socket has; returns the notifications queued since the last call.
  Result<std::vector<Notice>> Notifications();
  // The generation of the pool's write fence (store/cluster.h) this session
  // carries: brought up to date by the pool before each use.
  uint64_t fence_generation = 0;

 private:
  explicit PgConn(pg_conn* conn) : conn_(conn) {}
  Status Failed(pg_result* r, std::string_view sql);
  pg_conn* conn_;
  bool conflicted_ = false;
};

// How a failed statement's SQLSTATE reads as a Status.
Status PgStatus(std::string_view sqlstate, std::string_view message);

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

class PgPool {
 public:
  // At most `max_connections` open at once; callers beyond wait. `fence`
  // (borrowed, may be null): each session carries it as spaceport.fence,
  // brought up to date before each use (store/cluster.h).
  PgPool(std::string conninfo, int max_connections, const WriteFence* fence = nullptr);
  ~PgPool();

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    PgConn& operator*() { return *conn_; }
    PgConn* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConn> conn_;
  };
  Result<Lease> Acquire();
  const std::string& conninfo() const { return conninfo_; }

 private:
  void Release(std::unique_ptr<PgConn> conn);

  const std::string conninfo_;
  const int max_connections_;
  const WriteFence* const fence_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConn>> idle_;
  int open_ = 0;
};

enum class TxnKind { kRead, kWrite };

// Runs `fn(PgConn&)` (returning Status or Result<T>) in one transaction on a
// pooled connection: writes at SERIALIZABLE, so checks and writes in one
// method behave as SQLite's single writer does; retried from the start (up
// to a few times) when PostgreSQL reports a serialization failure or deadlock.
template <typename Fn>
auto InTxn(PgPool& pool, TxnKind kind, Fn&& fn) -> decltype(fn(std::declval<PgConn&>())) {
  constexpr int kAttempts = 8;
  Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    PgConn& conn = **lease;
    Status begin = conn.ExecScript(kind == TxnKind::kWrite ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                                           : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!begin.ok()) return begin;
    auto result = fn(conn);
    if (!result.ok()) {
      bool conflicted = conn.conflicted();
      (void)conn.ExecScript("ROLLBACK");
      if (conflicted) {
        last = StatusOf(result);
        continue;
      }
      return result;
    }
    Status commit = conn.ExecScript("COMMIT");
    if (!commit.ok()) {
      bool conflicted = conn.conflicted();
      (void)conn.ExecScript("ROLLBACK");
      if (conflicted) {
        last = commit;
        continue;
      }
      return commit;
    }
    return result;
  }
  return Status::Unavailable("the database kept refusing a transaction as conflicting: " + last.message());
}

}  // namespace spaceport::store::postgres
