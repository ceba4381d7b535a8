#include "store/postgres/pg_db.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <string>

namespace spaceport::store::postgres {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The first line of a server message (libpq appends context lines).
std::string FirstLine(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

PgParams& PgParams::AddBytes(std::string_view bytes) {
  std::string hex = "\\x";
  hex.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  values_.emplace_back(std::move(hex));
  return *this;
}

Status PgStatus(std::string_view sqlstate, std::string_view message) {
  std::string m(message);
  if (sqlstate == "23505") return Status::AlreadyExists(m);
  if (sqlstate == "23503") return Status::NotFound(m);
  if (sqlstate == "23514" || sqlstate == "23502" || sqlstate.substr(0, 2) == "22") return Status::InvalidArgument(m);
  if (sqlstate == "40001" || sqlstate == "40P01") return Status::Unavailable(m);
  if (sqlstate == "SPF01") return Status::FailedPrecondition(m);  // fenced (store/cluster.h)
  if (sqlstate.substr(0, 2) == "08" || sqlstate.substr(0, 2) == "53" || sqlstate.substr(0, 2) == "57") {
    return Status::Unavailable(m);  // connection, resources, operator intervention (shutdown)
  }
  return Status::Internal(m);
}

// ---- PgResult ----

PgResult::PgResult(pg_result* r) : result_(r) {}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}
PgResult::~PgResult() {
  if (result_) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }

std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(result_, row, col), PQgetlength(result_, row, col));
}

int64_t PgResult::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtoll(PQgetvalue(result_, row, col), nullptr, 10);
}

bool PgResult::Bool(int row, int col) const {
  const char* v = PQgetvalue(result_, row, col);
  if (v[0] == 't') return true;
  if (v[0] == 'f' || v[0] == '\0') return false;
  return std::strtoll(v, nullptr, 10) != 0;
}

std::string PgResult::Bytes(int row, int col) const {
  const char* v = PQgetvalue(result_, row, col);
  int len = PQgetlength(result_, row, col);
  std::string out;
  if (len < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, len);  // not hex output: as is
  out.reserve((len - 2) / 2);
  for (int i = 2; i + 1 < len; i += 2) {
    int hi = HexValue(v[i]);
    int lo = HexValue(v[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

// ---- PgConn ----

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& conninfo) {
  pg_conn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Status::Unavailable("connecting to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("connecting to PostgreSQL: " + message);
  }
  // Notices (for example "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConn>(new PgConn(conn));
}

PgConn::~PgConn() { PQfinish(conn_); }

bool PgConn::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
bool PgConn::reusable() const { return healthy() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }
int PgConn::socket() const { return PQsocket(conn_); }

Status PgConn::Failed(pg_result* r, std::string_view sql) {
  // Copied before PQclear: both point into the result.
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string message = FirstLine(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (message.empty()) message = FirstLine(PQerrorMessage(conn_));
  if (r) PQclear(r);
  conflicted_ = sqlstate == "40001" || sqlstate == "40P01";
  if (!healthy()) return Status::Unavailable("PostgreSQL connection lost: " + message);
  // Constraint names stay in the message: callers tell a clash on one key from another by them.
  (void)sql;
  return PgStatus(sqlstate, message);
}

Result<PgResult> PgConn::Exec(std::string_view sql, const PgParams& params) {
  std::string text(sql);
  const auto& values = params.values();
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v ? v->c_str() : nullptr);
  pg_result* r = PQexecParams(conn_, text.c_str(), static_cast<int>(ptrs.size()), nullptr, ptrs.data(), nullptr,
                              nullptr, 0);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Failed(r, sql);
  conflicted_ = false;
  return PgResult(r);
}

Status PgConn::ExecScript(std::string_view sql) {
  std::string text(sql);
  pg_result* r = PQexec(conn_, text.c_str());
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Failed(r, sql);
  PQclear(r);
  return Status::Ok();
}

Result<int64_t> PgConn::CopyIn(std::string_view copy_sql,
                               const std::function<Result<bool>(std::string* chunk)>& next) {
  std::string text(copy_sql);
  pg_result* r = PQexec(conn_, text.c_str());
  if (r == nullptr || PQresultStatus(r) != PGRES_COPY_IN) return Failed(r, copy_sql);
  PQclear(r);
  std::string chunk;
  Status producer;
  while (true) {
    chunk.clear();
    Result<bool> more = next(&chunk);
    if (!more.ok()) {
      producer = more.status();
      break;
    }
    if (!chunk.empty() && PQputCopyData(conn_, chunk.data(), static_cast<int>(chunk.size())) != 1) break;
    if (!*more) break;
  }
  PQputCopyEnd(conn_, producer.ok() ? nullptr : "the source failed");
  int64_t rows = 0;
  Status status;
  while (pg_result* res = PQgetResult(conn_)) {
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
      rows = PgResult(res).affected();
    } else if (status.ok()) {
      status = Failed(res, copy_sql);
    } else {
      PQclear(res);
    }
  }
  RETURN_IF_ERROR(producer);
  RETURN_IF_ERROR(status);
  return rows;
}

Result<std::vector<PgConn::Notice>> PgConn::Notifications() {
  if (PQconsumeInput(conn_) == 0) {
    return Status::Unavailable("PostgreSQL connection lost: " + FirstLine(PQerrorMessage(conn_)));
  }
  std::vector<Notice> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : ""});
    PQfreemem(n);
  }
  return out;
}

// ---- PgPool ----

PgPool::PgPool(std::string conninfo, int max_connections, const WriteFence* fence)
    : conninfo_(std::move(conninfo)), max_connections_(max_connections > 0 ? max_connections : 1), fence_(fence) {}

PgPool::~PgPool() = default;

PgPool::Lease::~Lease() {
  if (conn_ && pool_) pool_->Release(std::move(conn_));
}

namespace {

// Sets the session's spaceport.fence to the fence's text if it moved since.
Status CatchUpFence(PgConn& conn, const WriteFence* fence) {
  if (fence == nullptr) return Status::Ok();
  const uint64_t generation = fence->generation();
  if (conn.fence_generation == generation) return Status::Ok();
  RETURN_IF_ERROR(
      conn.Exec("SELECT set_config('spaceport.fence', $1, false)", PgParams().Add(fence->text())).status());
  conn.fence_generation = generation;
  return Status::Ok();
}

}  // namespace

Result<PgPool::Lease> PgPool::Acquire() {
  std::unique_ptr<PgConn> conn;
  {
    std::unique_lock<std::mutex> lock(mu_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // a slot for the connection made below, outside the lock
    }
  }
  if (conn == nullptr) {
    Result<std::unique_ptr<PgConn>> made = PgConn::Connect(conninfo_);
    if (!made.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      freed_.notify_one();
      return made.status();
    }
    conn = std::move(*made);
  }
  Lease lease(this, std::move(conn));
  RETURN_IF_ERROR(CatchUpFence(*lease, fence_));  // a failure drops the connection with the lease if it broke
  return lease;
}

void PgPool::Release(std::unique_ptr<PgConn> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn->reusable()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // a broken connection is dropped; the next caller opens a fresh one
  }
  freed_.notify_one();
}

}  // namespace spaceport::store::postgres
