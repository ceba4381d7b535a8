// The SQLite backend of store::ModerationStore (schema v15, migrations.cc),
// on a connection of its own to the store's file.
#include "store/moderation_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_rows.h"

namespace spaceport::store::sqlite {
namespace {

constexpr char kReportColumns[] =
    "r.id, r.space_id, COALESCE(s.owner || '/' || s.name, ''), COALESCE(r.reporter_id, 0), COALESCE(u.name, ''),"
    " COALESCE(u.created_at, 0), r.reason, r.details, r.status, r.created_at, r.resolved_at, r.resolution"
    " FROM space_reports r LEFT JOIN spaces s ON s.id = r.space_id LEFT JOIN users u ON u.id = r.reporter_id";

SpaceReport ReadReport(const Stmt& st) {
  SpaceReport r;
  r.id = st.Int(0);
  r.space_id = st.Int(1);
  r.space = st.Text(2);
  r.reporter_id = st.Int(3);
  r.reporter = st.Text(4);
  r.reporter_created_at = st.Int(5);
  r.reason = st.Text(6);
  r.details = st.Text(7);
  r.status = st.Text(8);
  r.created_at = st.Int(9);
  r.resolved_at = st.Int(10);
  r.resolution = st.Text(11);
  return r;
}

ModerationEntry ReadEntry(const Stmt& st) {
  return {st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5), st.Int(6), st.Text(7)};
}

class SqliteModerationStore : public ModerationStore {
 public:
  explicit SqliteModerationStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<SpaceReport> AddReport(int64_t space_id, int64_t reporter_id, const std::string& reason,
                                const std::string& details, int64_t now) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<SpaceReport> {
      ASSIGN_OR_RETURN(auto open, db_->Prepare(
          "SELECT 1 FROM space_reports WHERE space_id = ? AND reporter_id = ? AND status = 'open'"));
      open->Bind(1, space_id).Bind(2, reporter_id);
      ASSIGN_OR_RETURN(bool twice, open->Step());
      if (twice) return Status::AlreadyExists("you have reported this Space already; a moderator will look at it");
      ASSIGN_OR_RETURN(auto ins, db_->Prepare(
          "INSERT INTO space_reports (space_id, reporter_id, reason, details, created_at) VALUES (?, ?, ?, ?, ?)"));
      Status s = ins->Bind(1, space_id).Bind(2, reporter_id).Bind(3, reason).Bind(4, details).Bind(5, now).Run();
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("Space or reporter not found");
      RETURN_IF_ERROR(s);
      return GetLocked(db_->LastInsertId());
    });
  }

  Result<SpaceReport> GetReport(int64_t id) override {
    return InTransaction(*db_, mu_, false, [&]() -> Result<SpaceReport> { return GetLocked(id); });
  }

  Result<std::vector<SpaceReport>> ListReports(const std::string& status, int64_t before, int64_t limit) override {
    return InTransaction(*db_, mu_, false, [&]() -> Result<std::vector<SpaceReport>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kReportColumns +
                                             " WHERE (?1 = '' OR r.status = ?1) AND (?2 = 0 OR r.id < ?2)"
                                             " ORDER BY r.id DESC LIMIT ?3"));
      st->Bind(1, status).Bind(2, before).Bind(3, limit);
      return ReadRows<SpaceReport>(*st, [&] { return ReadReport(*st); });
    });
  }

  Result<int64_t> CountReportsBy(int64_t reporter_id, int64_t since) override {
    return Count("SELECT COUNT(*) FROM space_reports WHERE reporter_id = ? AND created_at >= ?", reporter_id, since);
  }

  Result<int64_t> CountReporters(int64_t space_id, int64_t account_before) override {
    return Count("SELECT COUNT(DISTINCT r.reporter_id) FROM space_reports r JOIN users u ON u.id = r.reporter_id"
                 " WHERE r.space_id = ? AND r.status = 'open' AND u.created_at < ?",
                 space_id, account_before);
  }

  Result<int64_t> ResolveReports(int64_t space_id, const std::string& status, const std::string& resolution,
                                 int64_t now) override {
    if (status != "dismissed" && status != "actioned") {
      return Status::InvalidArgument("a report is resolved as dismissed or actioned");
    }
    return InTransaction(*db_, mu_, true, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "UPDATE space_reports SET status = ?, resolution = ?, resolved_at = ? WHERE space_id = ? AND status = 'open'"));
      RETURN_IF_ERROR(st->Bind(1, status).Bind(2, resolution).Bind(3, now).Bind(4, space_id).Run());
      return st->Changes();
    });
  }

  Status SetDisabled(int64_t space_id, const std::string& notice) override {
    return Update("UPDATE spaces SET disabled = ? WHERE id = ?", notice, space_id, "Space");
  }

  Status SetSuspended(int64_t user_id, bool suspended) override {
    return Update("UPDATE users SET suspended = ? WHERE id = ?", suspended ? "1" : "0", user_id, "user");
  }

  Result<ModerationEntry> Log(const ModerationEntry& e) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<ModerationEntry> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "INSERT INTO moderation_log (at, actor, action, space, user, report_id, note) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      st->Bind(1, e.at).Bind(2, e.actor).Bind(3, e.action).Bind(4, e.space).Bind(5, e.user);
      RETURN_IF_ERROR(st->Bind(6, e.report_id).Bind(7, e.note).Run());
      ModerationEntry out = e;
      out.id = db_->LastInsertId();
      return out;
    });
  }

  Result<std::vector<ModerationEntry>> ListLog(int64_t before, int64_t limit) override {
    return InTransaction(*db_, mu_, false, [&]() -> Result<std::vector<ModerationEntry>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "SELECT id, at, actor, action, space, user, report_id, note FROM moderation_log"
          " WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2"));
      st->Bind(1, before).Bind(2, limit);
      return ReadRows<ModerationEntry>(*st, [&] { return ReadEntry(*st); });
    });
  }

 private:
  Result<SpaceReport> GetLocked(int64_t id) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kReportColumns + " WHERE r.id = ?"));
    st->Bind(1, id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("report " + std::to_string(id) + " not found");
    return ReadReport(*st);
  }

  Result<int64_t> Count(const std::string& sql, int64_t a, int64_t b) {
    return InTransaction(*db_, mu_, false, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
      st->Bind(1, a).Bind(2, b);
      ASSIGN_OR_RETURN(bool row, st->Step());
      return row ? st->Int(0) : 0;
    });
  }

  Status Update(const std::string& sql, const std::string& value, int64_t id, const char* what) {
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
      RETURN_IF_ERROR(st->Bind(1, value).Bind(2, id).Run());
      if (st->Changes() == 0) return Status::NotFound(std::string(what) + " " + std::to_string(id) + " not found");
      return Status::Ok();
    });
  }

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace
}  // namespace spaceport::store::sqlite

namespace spaceport::store {

Result<std::unique_ptr<ModerationStore>> OpenSqliteModerationStore(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDb> db, sqlite::OpenMigrated(path, "the moderation area"));
  return std::unique_ptr<ModerationStore>(new sqlite::SqliteModerationStore(std::move(db)));
}

}  // namespace spaceport::store
