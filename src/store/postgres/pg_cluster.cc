// store/cluster.h on PostgreSQL: cluster_changes (schema step 5) with
// NOTIFY spaceport_changes carrying each change's seq, watched by one thread
// per node on a connection of its own; cluster_leases for singleton work.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/log.h"
#include "store/cluster.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migrations.h"
#include "store/store.h"

namespace spaceport::store {
namespace {

using postgres::PgConn;
using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;

constexpr char kChannel[] = "spaceport_changes";
constexpr int kWakeMs = 1000;        // the re-read interval when no notification comes
constexpr Millis kHoleWait{10000};   // a seq missing this long was rolled back
constexpr int kPrunePolls = 600;     // about every ten minutes
constexpr int64_t kKeptMs = 3600 * 1000;
constexpr char kNowMs[] = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

class PgChangeFeed : public ChangeFeed {
 public:
  PgChangeFeed(std::string url, std::unique_ptr<PgPool> pool, std::string node, const Clock* clock)
      : url_(std::move(url)),
        pool_(std::move(pool)),
        node_(std::move(node)),
        clock_(clock),
        wake_fd_(eventfd(0, EFD_CLOEXEC)) {}
  ~PgChangeFeed() override {
    Stop();
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  Result<int64_t> Publish(std::string_view kind, std::string_view key) override {
    ASSIGN_OR_RETURN(PgPool::Lease conn, pool_->Acquire());
    // One statement: the row and the notification commit together.
    ASSIGN_OR_RETURN(PgResult r, conn->Exec(std::string("WITH c AS (INSERT INTO cluster_changes (node, kind, key, at)"
                                                        " VALUES ($1, $2, $3, ") + kNowMs + ") RETURNING seq)"
                                                " SELECT seq, pg_notify('" + kChannel + "', seq::text) FROM c",
                                            PgParams().Add(node_).Add(kind).Add(key)));
    return r.Int(0, 0);
  }

  Status Watch(std::function<void(const Change&)> on_change, std::function<void()> resync) override {
    if (watcher_.joinable()) return Status::FailedPrecondition("the change feed is watched already");
    if (wake_fd_ < 0) return Status::Internal("eventfd failed");
    on_change_ = std::move(on_change);
    resync_ = std::move(resync);
    watcher_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  void Stop() override {
    stopping_ = true;
    if (wake_fd_ >= 0) {
      uint64_t one = 1;
      (void)!write(wake_fd_, &one, sizeof one);
    }
    if (watcher_.joinable()) watcher_.join();
  }

  const std::string& node() const override { return node_; }

 private:
  void Run() {
    std::unique_ptr<PgConn> conn;
    int polls = 0;
    bool again = false;  // notifications arrived during the last re-read
    while (!stopping_) {
      if (conn == nullptr) {
        Result<std::unique_ptr<PgConn>> fresh = Listen();
        if (!fresh.ok()) {
          SP_LOG(kWarn) << "change feed: " << fresh.status().message() << " (retrying)";
          Sleep(kWakeMs);
          continue;
        }
        conn = std::move(*fresh);
      }
      if (!again) {
        pollfd fds[2] = {{conn->socket(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        (void)poll(fds, 2, kWakeMs);
      }
      if (stopping_) break;
      Status s = conn->Notifications().status();  // drained; the re-read below finds their rows
      if (s.ok()) s = ReadNew(*conn);
      // libpq queues the notifications that come in while a query runs: they
      // are no longer on the socket, so poll would not see them.
      again = false;
      if (s.ok()) {
        Result<std::vector<PgConn::Notice>> more = conn->Notifications();
        s = more.status();
        again = more.ok() && !more->empty();
      }
      if (s.ok() && ++polls % kPrunePolls == 0) {
        s = conn->Exec(std::string("DELETE FROM cluster_changes WHERE at < ") + kNowMs + " - $1",
                       PgParams().Add(kKeptMs))
                .status();
      }
      if (!s.ok()) {
        SP_LOG(kWarn) << "change feed: " << s.message() << " (reconnecting)";
        conn.reset();
      }
    }
  }

  // LISTEN first, then the newest seq, then resync: a change stored after
  // the seq was read is both notified and re-read, none is missed.
  Result<std::unique_ptr<PgConn>> Listen() {
    ASSIGN_OR_RETURN(std::unique_ptr<PgConn> conn, PgConn::Connect(url_));
    RETURN_IF_ERROR(conn->ExecScript(std::string("LISTEN ") + kChannel));
    ASSIGN_OR_RETURN(PgResult newest, conn->Exec("SELECT COALESCE(MAX(seq), 0) FROM cluster_changes"));
    last_ = newest.Int(0, 0);
    applied_.clear();
    holes_.clear();
    if (resync_) resync_();
    return conn;
  }

  // Every change after the last one known, in seq order. Seqs are taken
  // when a change is stored, not when it commits, so a smaller one may show
  // up later: it is waited for (kHoleWait) before being given up.
  Status ReadNew(PgConn& conn) {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT seq, node, kind, key, at FROM cluster_changes WHERE seq > $1"
                                           " ORDER BY seq LIMIT 5000",
                                           PgParams().Add(last_)));
    int64_t highest = last_;
    for (int row = 0; row < r.rows(); ++row) {
      Change c{r.Int(row, 0), r.Text(row, 1), r.Text(row, 2), r.Text(row, 3), r.Int(row, 4)};
      highest = std::max(highest, c.seq);
      if (!applied_.insert(c.seq).second) continue;
      if (c.node != node_ && on_change_) on_change_(c);
    }
    for (int64_t s = last_ + 1; s <= highest; ++s) {
      if (applied_.erase(s) > 0) {
        holes_.erase(s);
        last_ = s;
        continue;
      }
      auto [hole, fresh] = holes_.try_emplace(s, clock_->Now() + kHoleWait);
      if (fresh || clock_->Now() < hole->second) break;
      holes_.erase(hole);  // rolled back: never to come
      last_ = s;
    }
    return Status::Ok();
  }

  void Sleep(int ms) {
    pollfd fd{wake_fd_, POLLIN, 0};
    (void)poll(&fd, 1, ms);
  }

  const std::string url_;
  std::unique_ptr<PgPool> pool_;
  const std::string node_;
  const Clock* const clock_;
  const int wake_fd_;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
  std::function<void(const Change&)> on_change_;
  std::function<void()> resync_;
  // The watcher thread's own.
  int64_t last_ = 0;
  std::set<int64_t> applied_;         // applied seqs above last_
  std::map<int64_t, SteadyTime> holes_;  // missing seqs below the highest read -> when to give up
};

Lease ReadLease(const PgResult& r, int row) {
  return Lease{r.Text(row, 0), r.Text(row, 1), r.Text(row, 2), r.Int(row, 3), r.Int(row, 4)};
}

class PgLeaseStore : public LeaseStore {
 public:
  explicit PgLeaseStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  Result<Lease> TryAcquire(std::string_view name, std::string_view node, std::string_view address, int64_t ttl_ms,
                           int64_t now) override {
    if (node.empty()) return Status::InvalidArgument("a lease needs a node id");
    return postgres::InTxn(*pool_, postgres::TxnKind::kWrite, [&](PgConn& conn) -> Result<Lease> {
      ASSIGN_OR_RETURN(PgResult r,
                       conn.Exec("INSERT INTO cluster_leases (name, holder, address, epoch, expires_at)"
                                 " VALUES ($1, $2, $3, 1, $4::bigint + $5::bigint) ON CONFLICT (name) DO UPDATE SET"
                                 " holder = excluded.holder, address = excluded.address,"
                                 " epoch = cluster_leases.epoch + CASE WHEN cluster_leases.holder = excluded.holder"
                                 " THEN 0 ELSE 1 END, expires_at = excluded.expires_at"
                                 " WHERE cluster_leases.holder = excluded.holder OR cluster_leases.expires_at <= $4::bigint"
                                 " RETURNING name, holder, address, epoch, expires_at",
                                 PgParams().Add(name).Add(node).Add(address).Add(now).Add(ttl_ms)));
      if (r.rows() > 0) return ReadLease(r, 0);
      return GetIn(conn, name);
    });
  }

  Result<Lease> Get(std::string_view name) override {
    return postgres::InTxn(*pool_, postgres::TxnKind::kRead, [&](PgConn& conn) { return GetIn(conn, name); });
  }

  Status Release(std::string_view name, std::string_view node) override {
    return postgres::InTxn(*pool_, postgres::TxnKind::kWrite, [&](PgConn& conn) -> Status {
      return conn.Exec("UPDATE cluster_leases SET expires_at = 0 WHERE name = $1 AND holder = $2",
                       PgParams().Add(name).Add(node))
          .status();
    });
  }

 private:
  static Result<Lease> GetIn(PgConn& conn, std::string_view name) {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT name, holder, address, epoch, expires_at FROM cluster_leases"
                                           " WHERE name = $1",
                                           PgParams().Add(name)));
    if (r.rows() == 0) return Lease{std::string(name), "", "", 0, 0};
    return ReadLease(r, 0);
  }

  std::unique_ptr<PgPool> pool_;
};

Status NeedsPostgres(const StoreOptions& options) {
  if (IsPostgresUrl(options.url)) return Status::Ok();
  return Status::InvalidArgument("several nodes need a PostgreSQL store (--store postgres://...)");
}

}  // namespace

Result<std::unique_ptr<ChangeFeed>> OpenChangeFeed(const StoreOptions& options, const std::string& node,
                                                   const Clock* clock) {
  RETURN_IF_ERROR(NeedsPostgres(options));
  if (node.empty()) return Status::InvalidArgument("a change feed needs a node id");
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, postgres::OpenMigratedPool(options.url, 2, "the change feed"));
  return std::unique_ptr<ChangeFeed>(new PgChangeFeed(options.url, std::move(pool), node, clock));
}

Result<std::unique_ptr<LeaseStore>> OpenLeaseStore(const StoreOptions& options) {
  RETURN_IF_ERROR(NeedsPostgres(options));
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, postgres::OpenMigratedPool(options.url, 2, "the leases"));
  return std::unique_ptr<LeaseStore>(new PgLeaseStore(std::move(pool)));
}

}  // namespace spaceport::store
