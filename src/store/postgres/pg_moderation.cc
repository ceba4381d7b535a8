// The PostgreSQL backend of store::ModerationStore (schema step 4).
#include <string>
#include <vector>

#include "store/moderation_store.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace spaceport::store::postgres {
namespace {

constexpr int kPoolSize = 2;

constexpr char kReportColumns[] =
    "r.id, r.space_id, COALESCE(s.owner || '/' || s.name, ''), COALESCE(r.reporter_id, 0), COALESCE(u.name, ''),"
    " COALESCE(u.created_at, 0), r.reason, r.details, r.status, r.created_at, r.resolved_at, r.resolution"
    " FROM space_reports r LEFT JOIN spaces s ON s.id = r.space_id LEFT JOIN users u ON u.id = r.reporter_id";

SpaceReport ReadReport(const PgResult& r, int row) {
  SpaceReport s;
  s.id = r.Int(row, 0);
  s.space_id = r.Int(row, 1);
  s.space = r.Text(row, 2);
  s.reporter_id = r.Int(row, 3);
  s.reporter = r.Text(row, 4);
  s.reporter_created_at = r.Int(row, 5);
  s.reason = r.Text(row, 6);
  s.details = r.Text(row, 7);
  s.status = r.Text(row, 8);
  s.created_at = r.Int(row, 9);
  s.resolved_at = r.Int(row, 10);
  s.resolution = r.Text(row, 11);
  return s;
}

Result<SpaceReport> GetIn(PgConn& conn, int64_t id) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kReportColumns + " WHERE r.id = $1", PgParams().Add(id)));
  if (r.rows() == 0) return Status::NotFound("report " + std::to_string(id) + " not found");
  return ReadReport(r, 0);
}

class PgModerationStore : public ModerationStore {
 public:
  explicit PgModerationStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  Result<SpaceReport> AddReport(int64_t space_id, int64_t reporter_id, const std::string& reason,
                                const std::string& details, int64_t now) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<SpaceReport> {
      ASSIGN_OR_RETURN(PgResult open, conn.Exec("SELECT 1 FROM space_reports WHERE space_id = $1 AND reporter_id = $2"
                                                " AND status = 'open'",
                                                PgParams().Add(space_id).Add(reporter_id)));
      if (open.rows() > 0) {
        return Status::AlreadyExists("you have reported this Space already; a moderator will look at it");
      }
      Result<PgResult> r = conn.Exec("INSERT INTO space_reports (space_id, reporter_id, reason, details, created_at)"
                                     " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                                     PgParams().Add(space_id).Add(reporter_id).Add(reason).Add(details).Add(now));
      if (r.status().code() == StatusCode::kNotFound) return Status::NotFound("Space or reporter not found");
      RETURN_IF_ERROR(r.status());
      return GetIn(conn, r->Int(0, 0));
    });
  }

  Result<SpaceReport> GetReport(int64_t id) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) { return GetIn(conn, id); });
  }

  Result<std::vector<SpaceReport>> ListReports(const std::string& status, int64_t before, int64_t limit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<SpaceReport>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kReportColumns +
                                                 " WHERE ($1 = '' OR r.status = $1) AND ($2 = 0 OR r.id < $2)"
                                                 " ORDER BY r.id DESC LIMIT $3",
                                             PgParams().Add(status).Add(before).Add(limit)));
      return ReadRows<SpaceReport>(r, [&](int row) { return ReadReport(r, row); });
    });
  }

  Result<int64_t> CountReportsBy(int64_t reporter_id, int64_t since) override {
    return Count("SELECT COUNT(*) FROM space_reports WHERE reporter_id = $1 AND created_at >= $2", reporter_id, since);
  }

  Result<int64_t> CountReporters(int64_t space_id, int64_t account_before) override {
    return Count("SELECT COUNT(DISTINCT r.reporter_id) FROM space_reports r JOIN users u ON u.id = r.reporter_id"
                 " WHERE r.space_id = $1 AND r.status = 'open' AND u.created_at < $2",
                 space_id, account_before);
  }

  Result<int64_t> ResolveReports(int64_t space_id, const std::string& status, const std::string& resolution,
                                 int64_t now) override {
    if (status != "dismissed" && status != "actioned") {
      return Status::InvalidArgument("a report is resolved as dismissed or actioned");
    }
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE space_reports SET status = $1, resolution = $2, resolved_at = $3"
                                             " WHERE space_id = $4 AND status = 'open'",
                                             PgParams().Add(status).Add(resolution).Add(now).Add(space_id)));
      return r.affected();
    });
  }

  Status SetDisabled(int64_t space_id, const std::string& notice) override {
    return Update("UPDATE spaces SET disabled = $1 WHERE id = $2", PgParams().Add(notice).Add(space_id),
                  "Space " + std::to_string(space_id));
  }

  Status SetSuspended(int64_t user_id, bool suspended) override {
    return Update("UPDATE users SET suspended = $1 WHERE id = $2", PgParams().Add(suspended).Add(user_id),
                  "user " + std::to_string(user_id));
  }

  Result<ModerationEntry> Log(const ModerationEntry& e) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<ModerationEntry> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("INSERT INTO moderation_log (at, actor, action, space, user_name, report_id,"
                                             " note) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                             PgParams()
                                                 .Add(e.at)
                                                 .Add(e.actor)
                                                 .Add(e.action)
                                                 .Add(e.space)
                                                 .Add(e.user)
                                                 .Add(e.report_id)
                                                 .Add(e.note)));
      ModerationEntry out = e;
      out.id = r.Int(0, 0);
      return out;
    });
  }

  Result<std::vector<ModerationEntry>> ListLog(int64_t before, int64_t limit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<ModerationEntry>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT id, at, actor, action, space, user_name, report_id, note"
                                             " FROM moderation_log WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2",
                                             PgParams().Add(before).Add(limit)));
      return ReadRows<ModerationEntry>(r, [&](int row) {
        return ModerationEntry{r.Int(row, 0),  r.Int(row, 1),  r.Text(row, 2), r.Text(row, 3),
                               r.Text(row, 4), r.Text(row, 5), r.Int(row, 6),  r.Text(row, 7)};
      });
    });
  }

 private:
  Result<int64_t> Count(const std::string& sql, int64_t a, int64_t b) {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, PgParams().Add(a).Add(b)));
      return r.Int(0, 0);
    });
  }

  Status Update(const std::string& sql, const PgParams& params, const std::string& what) {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Status {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, params));
      return RequireChanged(r, what);
    });
  }

  std::unique_ptr<PgPool> pool_;
};

}  // namespace

Result<std::unique_ptr<ModerationStore>> OpenPostgresModerationStore(const std::string& url, const WriteFence* fence) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, OpenMigratedPool(url, kPoolSize, "the moderation area", fence));
  return std::unique_ptr<ModerationStore>(new PgModerationStore(std::move(pool)));
}

}  // namespace spaceport::store::postgres
