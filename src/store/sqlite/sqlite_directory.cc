// The SQLite backend of store::DirectoryStore: FTS5 tables whose rowid is
// the docid (schema v12 and v13, migrations.cc), written through one
// connection of its own on the store's file and searched through another,
// so that searches wait neither for the main store's writes nor for the
// directory's own (WAL: readers beside one writer).
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "store/directory_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"

namespace spaceport::store::sqlite {
namespace {

constexpr size_t kMaxExpressionBytes = 2000;
constexpr size_t kMaxCandidates = 20000;
constexpr int64_t kProbesKeptMs = 31LL * 86400 * 1000;

// DirectorySignals' columns of directory_docs d, in SignalsAt's order.
#define kSignalColumns \
  "d.verified, d.abandoned, d.duplicate_of, d.hidden, d.trending_key, d.archived, d.like_burst_at, d.reports"

std::string PackMinhash(const std::vector<uint32_t>& v) {
  std::string out(v.size() * 4, '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<char>((v[i] >> (8 * b)) & 0xff);
  }
  return out;
}

std::vector<uint32_t> UnpackMinhash(const std::string& bytes) {
  std::vector<uint32_t> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t x = 0;
    for (int b = 0; b < 4; ++b) x |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i * 4 + b])) << (8 * b);
    out[i] = x;
  }
  return out;
}

Status CheckBucket(int bucket) {
  if (bucket < 0 || bucket >= kDirectoryBuckets) {
    return Status::InvalidArgument("directory bucket " + std::to_string(bucket) + " is outside 0-1023");
  }
  return Status::Ok();
}

std::string WeightsSql(const std::vector<double>& weights) {
  std::string sql;
  for (double w : weights) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ", %.3f", w);
    sql += buf;
  }
  return sql;
}

// sp_rank(directory_fts, w0, ..., w6): the text relevance of a match,
// higher is better. For each searched word, the heaviest column it appears
// in (README matches weigh less in long READMEs, as in BM25 with b = 0.5);
// summed over the words. Unlike FTS5's bm25() it needs no document
// frequencies, which FTS5 computes by reading every match of every word:
// tens of milliseconds for a word in most of 1.5M documents, however few
// rows are scored. Every word counts alike (no IDF); term frequencies are
// not kept (detail=column).
void RankFunction(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int n_args,
                  sqlite3_value** args) {
  const int columns = api->xColumnCount(fts);
  const int readme = columns == kDirectoryColumns ? columns - 1 : -1;  // the title index has none
  double readme_norm = 1.0;
  sqlite3_int64 total = 0, rows = 0;
  int size = 0;
  if (readme >= 0 && api->xColumnTotalSize(fts, readme, &total) == SQLITE_OK && api->xRowCount(fts, &rows) == SQLITE_OK &&
      rows > 0 && total > 0 && api->xColumnSize(fts, readme, &size) == SQLITE_OK) {
    const double average = static_cast<double>(total) / static_cast<double>(rows);
    readme_norm = 1.0 / (0.5 + 0.5 * static_cast<double>(size) / average);
  }
  double score = 0;
  for (int phrase = 0; phrase < api->xPhraseCount(fts); ++phrase) {
    Fts5PhraseIter iter;
    int column = -1;
    double best = 0;
    for (api->xPhraseFirstColumn(fts, phrase, &iter, &column); column >= 0;
         api->xPhraseNextColumn(fts, &iter, &column)) {
      double w = column < n_args ? sqlite3_value_double(args[column]) : 1.0;
      if (column == readme) w *= readme_norm;
      best = std::max(best, w);
    }
    score += best;
  }
  sqlite3_result_double(ctx, score);
}

Status RegisterRank(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (api == nullptr || api->iVersion < 2) return Status::Internal("this SQLite has no FTS5 API");
  if (api->xCreateFunction(api, "sp_rank", nullptr, &RankFunction, nullptr) != SQLITE_OK) {
    return Status::Internal("registering the directory's rank function failed");
  }
  return Status::Ok();
}

class SqliteDirectoryStore : public DirectoryStore {
 public:
  SqliteDirectoryStore(std::unique_ptr<SqliteDb> db, std::unique_ptr<SqliteDb> read_db)
      : db_(std::move(db)), read_db_(std::move(read_db)) {}

  Status Index(int64_t space_id, const DirectoryText& text, int bucket) override {
    RETURN_IF_ERROR(CheckBucket(bucket));
    return InTransaction(*db_, mu_, true, [&]() -> Status { return IndexLocked(space_id, text, bucket); });
  }

  Status IndexMany(const std::vector<DirectoryEntry>& entries) override {
    for (const DirectoryEntry& e : entries) RETURN_IF_ERROR(CheckBucket(e.bucket));
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      for (const DirectoryEntry& e : entries) {
        RETURN_IF_ERROR(IndexLocked(e.space_id, e.text, e.bucket));
        RETURN_IF_ERROR(SetSignalsLocked(e.space_id, e.signals));
      }
      return Status::Ok();
    });
  }

  Status Rekey(int64_t space_id, int bucket) override {
    RETURN_IF_ERROR(CheckBucket(bucket));
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(int64_t old, DocidLocked(*db_, space_id));
      const int64_t docid = DirectoryDocid(bucket, space_id);
      if (old == docid) return Status::Ok();
      // FTS5 moves a row to another rowid as a delete and an insert.
      ASSIGN_OR_RETURN(auto move, db_->Prepare(
          "INSERT INTO directory_fts (rowid, owner, name, title, description, tags, refs, readme)"
          " SELECT ?, owner, name, title, description, tags, refs, readme FROM directory_fts WHERE rowid = ?"));
      RETURN_IF_ERROR(move->Bind(1, docid).Bind(2, old).Run());
      ASSIGN_OR_RETURN(auto move_title, db_->Prepare(
          "INSERT INTO directory_titles (rowid, owner, name, title)"
          " SELECT ?, owner, name, title FROM directory_titles WHERE rowid = ?"));
      RETURN_IF_ERROR(move_title->Bind(1, docid).Bind(2, old).Run());
      RETURN_IF_ERROR(DropLocked(old));
      ASSIGN_OR_RETURN(auto set, db_->Prepare("UPDATE directory_docs SET docid = ? WHERE space_id = ?"));
      return set->Bind(1, docid).Bind(2, space_id).Run();
    });
  }

  Status SetSignals(int64_t space_id, const DirectorySignals& s) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status { return SetSignalsLocked(space_id, s); });
  }

  Result<DirectorySignals> Signals(int64_t space_id) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<DirectorySignals> {
      return SignalsLocked(*read_db_, space_id);
    });
  }

  Result<int64_t> DocidOf(int64_t space_id) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<int64_t> { return DocidLocked(*read_db_, space_id); });
  }

  Result<std::vector<DirectoryHit>> Match(const std::string& expression, int64_t below, int64_t limit,
                                          const std::vector<double>& weights, DirectoryScope scope) override {
    RETURN_IF_ERROR(CheckExpression(expression));
    const bool titles = scope == DirectoryScope::kTitles;
    const size_t columns = titles ? kDirectoryTitleColumns : kDirectoryColumns;
    if (!weights.empty() && weights.size() != columns) {
      return Status::InvalidArgument("the relevance needs one weight per column");
    }
    const std::string table = titles ? "directory_titles" : "directory_fts";
    // ORDER BY rowid DESC is the index's own order: FTS5 walks the doclists
    // from the top and the LIMIT stops it; sp_rank scores those rows only.
    std::string sql = "SELECT rowid" +
                      (weights.empty() ? std::string(", 0") : ", sp_rank(" + table + WeightsSql(weights) + ")") +
                      " FROM " + table + " WHERE " + table + " MATCH ?" + (below > 0 ? " AND rowid < ?" : "") +
                      " ORDER BY rowid DESC LIMIT ?";
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<DirectoryHit>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(sql));
      int i = 1;
      st->Bind(i++, expression);
      if (below > 0) st->Bind(i++, below);
      st->Bind(i, limit);
      std::vector<DirectoryHit> hits;
      while (true) {
        Result<bool> row = st->Step();
        if (!row.ok()) return QueryError(row.status());
        if (!*row) break;
        hits.push_back({st->Int(0), st->Double(1)});
      }
      return hits;
    });
  }

  Result<int64_t> CountMatches(const std::string& expression, int64_t cap) override {
    RETURN_IF_ERROR(CheckExpression(expression));
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT COUNT(*) FROM (SELECT rowid FROM directory_fts WHERE directory_fts MATCH ?"
          " ORDER BY rowid DESC LIMIT ?)"));
      st->Bind(1, expression).Bind(2, cap);
      Result<bool> row = st->Step();
      if (!row.ok()) return QueryError(row.status());
      return *row ? st->Int(0) : 0;
    });
  }

  Result<std::vector<DirectoryCandidate>> Candidates(const std::vector<int64_t>& docids) override {
    if (docids.size() > kMaxCandidates) return Status::InvalidArgument("too many candidates at once");
    nlohmann::json ids = docids;
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<DirectoryCandidate>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT d.docid, s.id, s.owner, s.name, s.sdk, s.stage, s.hardware, s.is_private, s.likes_count,"
          " s.created_at, s.last_modified, " kSignalColumns ","
          // The card's tags joined by a unit separator (the index's own row
          // would be read whole, README and all: measured 2x the cost).
          " COALESCE((SELECT group_concat(t.value, char(31)) FROM json_each(CASE WHEN json_valid(s.card_json)"
          " THEN s.card_json ELSE '{}' END, '$.tags') t WHERE t.type = 'text'), '')"
          // By the space id inside each docid: two primary-key lookups per candidate.
          " FROM json_each(?) j JOIN directory_docs d ON d.space_id = (j.value & 4294967295)"
          " JOIN spaces s ON s.id = d.space_id WHERE d.docid = j.value"));
      st->Bind(1, ids.dump());
      std::vector<DirectoryCandidate> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        DirectoryCandidate c;
        c.docid = st->Int(0);
        c.space_id = st->Int(1);
        c.owner = st->Text(2);
        c.name = st->Text(3);
        c.sdk = st->Text(4);
        c.stage = st->Text(5);
        c.hardware = st->Text(6);
        c.is_private = st->Int(7) != 0;
        c.likes = st->Int(8);
        c.created_at = st->Int(9);
        c.last_modified = st->Int(10);
        c.signals = SignalsAt(*st, 11);
        for (const std::string& tag : Split(st->Text(19), '\x1f')) {  // after the 8 signal columns
          if (!tag.empty()) c.tags.push_back(tag);
        }
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  Result<std::vector<int64_t>> Unindexed(int64_t after_space_id, int64_t limit) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<int64_t>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT s.id FROM spaces s WHERE s.id > ?"
          " AND NOT EXISTS (SELECT 1 FROM directory_docs d WHERE d.space_id = s.id) ORDER BY s.id LIMIT ?"));
      st->Bind(1, after_space_id).Bind(2, limit);
      std::vector<int64_t> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        out.push_back(st->Int(0));
      }
      return out;
    });
  }

  Result<int64_t> CountDocuments() override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare("SELECT COUNT(*) FROM directory_docs"));
      ASSIGN_OR_RETURN(bool row, st->Step());
      return row ? st->Int(0) : 0;
    });
  }

  Status Optimize() override {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(db_->Exec("INSERT INTO directory_fts (directory_fts) VALUES ('optimize')"));
    return db_->Exec("INSERT INTO directory_titles (directory_titles) VALUES ('optimize')");
  }

  Result<DirectorySignals> UpdateSignals(int64_t space_id,
                                         const std::function<void(DirectorySignals&)>& change) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<DirectorySignals> {
      ASSIGN_OR_RETURN(DirectorySignals s, SignalsLocked(*db_, space_id));
      change(s);
      RETURN_IF_ERROR(SetSignalsLocked(space_id, s));
      return s;
    });
  }

  Status RecordProbe(const ProbeRecord& p, int64_t next_probe_at) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(auto ins, db_->Prepare(
          "INSERT OR REPLACE INTO directory_probes (space_id, at, ok, status, woke, detail) VALUES (?, ?, ?, ?, ?, ?)"));
      ins->Bind(1, p.space_id).Bind(2, p.at).Bind(3, int64_t{p.ok}).Bind(4, int64_t{p.status});
      Status s = ins->Bind(5, int64_t{p.woke}).Bind(6, p.detail.substr(0, 500)).Run();
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(p.space_id) + " not found");
      RETURN_IF_ERROR(s);
      // Old probes go, except the last that woke the Space (the weekly wake limit).
      ASSIGN_OR_RETURN(auto prune, db_->Prepare(
          "DELETE FROM directory_probes WHERE space_id = ?1 AND at < ?2 AND at != "
          "COALESCE((SELECT MAX(at) FROM directory_probes WHERE space_id = ?1 AND woke), 0)"));
      RETURN_IF_ERROR(prune->Bind(1, p.space_id).Bind(2, p.at - kProbesKeptMs).Run());
      return ScheduleLocked(p.space_id, next_probe_at);
    });
  }

  Status ScheduleProbe(int64_t space_id, int64_t at) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status { return ScheduleLocked(space_id, at); });
  }

  Result<std::vector<int64_t>> DueForProbe(int64_t now, int64_t limit) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<int64_t>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT space_id FROM directory_docs WHERE next_probe_at <= ? ORDER BY next_probe_at LIMIT ?"));
      st->Bind(1, now).Bind(2, limit);
      return Ids(*st);
    });
  }

  Result<HealthSummary> Health(int64_t space_id, int64_t since) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<HealthSummary> {
      HealthSummary h;
      ASSIGN_OR_RETURN(auto count, read_db_->Prepare(
          "SELECT COUNT(*), COALESCE(SUM(ok), 0) FROM directory_probes WHERE space_id = ? AND at >= ?"));
      count->Bind(1, space_id).Bind(2, since);
      ASSIGN_OR_RETURN(bool row, count->Step());
      if (row) {
        h.probes = count->Int(0);
        h.passed = count->Int(1);
      }
      ASSIGN_OR_RETURN(auto last, read_db_->Prepare(
          "SELECT at, ok, status, detail FROM directory_probes WHERE space_id = ? ORDER BY at DESC LIMIT 1"));
      last->Bind(1, space_id);
      ASSIGN_OR_RETURN(row, last->Step());
      if (row) {
        h.last_at = last->Int(0);
        h.last_ok = last->Int(1) != 0;
        h.last_status = static_cast<int>(last->Int(2));
        h.last_detail = last->Text(3);
      }
      if (h.last_at != 0 && !h.last_ok) {
        ASSIGN_OR_RETURN(auto failing, read_db_->Prepare(
            "SELECT MIN(at) FROM directory_probes WHERE space_id = ?1 AND at > "
            "COALESCE((SELECT MAX(at) FROM directory_probes WHERE space_id = ?1 AND ok), 0)"));
        failing->Bind(1, space_id);
        ASSIGN_OR_RETURN(row, failing->Step());
        if (row) h.failing_since = failing->Int(0);
      }
      ASSIGN_OR_RETURN(auto woke, read_db_->Prepare(
          "SELECT COALESCE(MAX(at), 0) FROM directory_probes WHERE space_id = ? AND woke"));
      woke->Bind(1, space_id);
      ASSIGN_OR_RETURN(row, woke->Step());
      if (row) h.last_woke_at = woke->Int(0);
      return h;
    });
  }

  Status AddTraffic(const std::vector<TrafficCount>& counts) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "INSERT INTO directory_traffic (space_id, day, visitors, answers, errors) VALUES (?, ?, ?, ?, ?)"
          " ON CONFLICT (space_id, day) DO UPDATE SET visitors = MAX(visitors, excluded.visitors),"
          " answers = answers + excluded.answers, errors = errors + excluded.errors"));
      for (const TrafficCount& c : counts) {
        if (c.visitors < 0 || c.answers < 0 || c.errors < 0) return Status::InvalidArgument("negative traffic count");
        st->Reset();
        st->Bind(1, c.space_id).Bind(2, c.day).Bind(3, c.visitors).Bind(4, c.answers).Bind(5, c.errors);
        Status s = st->Run();
        if (s.code() == StatusCode::kNotFound) continue;  // the Space is gone: its counts with it
        RETURN_IF_ERROR(s);
      }
      return Status::Ok();
    });
  }

  Result<std::vector<TrafficCount>> Traffic(int64_t space_id, int64_t since_day) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<TrafficCount>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT day, visitors, answers, errors FROM directory_traffic WHERE space_id = ? AND day >= ? ORDER BY day"));
      st->Bind(1, space_id).Bind(2, since_day);
      std::vector<TrafficCount> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        out.push_back({space_id, st->Int(0), st->Int(1), st->Int(2), st->Int(3)});
      }
      return out;
    });
  }

  Result<std::vector<LikeAge>> LikesSince(int64_t space_id, int64_t since) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<LikeAge>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT l.created_at, u.created_at FROM likes l JOIN users u ON u.id = l.user_id"
          " WHERE l.space_id = ? AND l.created_at >= ? ORDER BY l.created_at"));
      st->Bind(1, space_id).Bind(2, since);
      std::vector<LikeAge> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        out.push_back({st->Int(0), st->Int(1)});
      }
      return out;
    });
  }

  Result<std::vector<int64_t>> AbandonReview(int64_t modified_before, int64_t after_space_id,
                                             int64_t limit) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<int64_t>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT d.space_id FROM directory_docs d JOIN spaces s ON s.id = d.space_id"
          " WHERE d.space_id > ? AND (d.abandoned OR s.last_modified < ?) ORDER BY d.space_id LIMIT ?"));
      st->Bind(1, after_space_id).Bind(2, modified_before).Bind(3, limit);
      return Ids(*st);
    });
  }

  Status SetFingerprint(int64_t space_id, const Fingerprint& f) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(auto put, db_->Prepare(
          "INSERT OR REPLACE INTO directory_fingerprints (space_id, files_key, minhash) VALUES (?, ?, ?)"));
      put->Bind(1, space_id).Bind(2, f.files_key).BindBlob(3, PackMinhash(f.minhash));
      Status s = put->Run();
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
      RETURN_IF_ERROR(s);
      ASSIGN_OR_RETURN(auto drop, db_->Prepare("DELETE FROM directory_lsh WHERE space_id = ?"));
      RETURN_IF_ERROR(drop->Bind(1, space_id).Run());
      ASSIGN_OR_RETURN(auto band, db_->Prepare("INSERT OR IGNORE INTO directory_lsh (band, space_id) VALUES (?, ?)"));
      for (int64_t b : f.bands) {
        band->Reset();
        RETURN_IF_ERROR(band->Bind(1, b).Bind(2, space_id).Run());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<FingerprintMatch>> SimilarTo(int64_t space_id, const Fingerprint& f, int64_t limit) override {
    nlohmann::json bands = f.bands;
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<FingerprintMatch>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT s.id, s.created_at, COALESCE(s.duplicated_from, 0), f.files_key, f.minhash"
          " FROM directory_fingerprints f JOIN spaces s ON s.id = f.space_id"
          " WHERE f.space_id != ?1 AND (f.files_key = ?2 OR f.space_id IN"
          "   (SELECT l.space_id FROM json_each(?3) j JOIN directory_lsh l ON l.band = j.value))"
          " ORDER BY s.created_at, s.id LIMIT ?4"));
      st->Bind(1, space_id).Bind(2, f.files_key).Bind(3, bands.dump()).Bind(4, limit);
      std::vector<FingerprintMatch> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        out.push_back({st->Int(0), st->Int(1), st->Int(2), st->Text(3), UnpackMinhash(st->Blob(4))});
      }
      return out;
    });
  }

  Result<std::vector<int64_t>> DuplicatesOf(int64_t space_id) override {
    return InTransaction(*read_db_, read_mu_, false, [&]() -> Result<std::vector<int64_t>> {
      ASSIGN_OR_RETURN(auto st, read_db_->Prepare(
          "SELECT space_id FROM directory_docs WHERE duplicate_of = ? ORDER BY space_id LIMIT 1000"));
      st->Bind(1, space_id);
      return Ids(*st);
    });
  }

 private:
  static Status CheckExpression(const std::string& expression) {
    if (expression.empty() || expression.size() > kMaxExpressionBytes) {
      return Status::InvalidArgument("a search needs 1-2000 bytes of query");
    }
    return Status::Ok();
  }

  // FTS5 reports an expression it cannot parse as a generic SQL error
  // (Internal here); the database's own troubles are Unavailable.
  static Status QueryError(const Status& s) {
    if (s.code() == StatusCode::kInternal) return Status::InvalidArgument("malformed search query: " + s.message());
    return s;
  }

  static DirectorySignals SignalsAt(const Stmt& st, int i) {
    return {.verified = st.Int(i) != 0,
            .abandoned = st.Int(i + 1) != 0,
            .duplicate_of = st.Int(i + 2),
            .hidden = st.Int(i + 3) != 0,
            .trending_key = st.Int(i + 4),
            .archived = st.Int(i + 5) != 0,
            .like_burst_at = st.Int(i + 6),
            .reports = st.Int(i + 7)};
  }

  static Result<DirectorySignals> SignalsLocked(SqliteDb& db, int64_t space_id) {
    ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT " kSignalColumns " FROM directory_docs d WHERE space_id = ?"));
    st->Bind(1, space_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("space " + std::to_string(space_id) + " has no directory entry");
    return SignalsAt(*st, 0);
  }

  Status SetSignalsLocked(int64_t space_id, const DirectorySignals& s) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
        "UPDATE directory_docs SET verified = ?, abandoned = ?, duplicate_of = ?, hidden = ?, trending_key = ?,"
        " archived = ?, like_burst_at = ?, reports = ? WHERE space_id = ?"));
    RETURN_IF_ERROR(st->Bind(1, int64_t{s.verified}).Bind(2, int64_t{s.abandoned}).Bind(3, s.duplicate_of)
                        .Bind(4, int64_t{s.hidden}).Bind(5, s.trending_key).Bind(6, int64_t{s.archived})
                        .Bind(7, s.like_burst_at).Bind(8, s.reports).Bind(9, space_id).Run());
    if (st->Changes() == 0) return Status::NotFound("space " + std::to_string(space_id) + " has no directory entry");
    return Status::Ok();
  }

  static Result<std::vector<int64_t>> Ids(Stmt& st) {
    std::vector<int64_t> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(st.Int(0));
    }
    return out;
  }

  Status ScheduleLocked(int64_t space_id, int64_t at) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE directory_docs SET next_probe_at = ? WHERE space_id = ?"));
    RETURN_IF_ERROR(st->Bind(1, at).Bind(2, space_id).Run());
    if (st->Changes() == 0) return Status::NotFound("space " + std::to_string(space_id) + " has no directory entry");
    return Status::Ok();
  }

  static Result<int64_t> DocidLocked(SqliteDb& db, int64_t space_id) {
    ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT docid FROM directory_docs WHERE space_id = ?"));
    st->Bind(1, space_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("space " + std::to_string(space_id) + " has no directory entry");
    return st->Int(0);
  }

  Status IndexLocked(int64_t space_id, const DirectoryText& t, int bucket) {
    if (space_id <= 0 || space_id > 0xffffffffLL) return Status::InvalidArgument("space id outside the docid range");
    const int64_t docid = DirectoryDocid(bucket, space_id);
    Result<int64_t> old = DocidLocked(*db_, space_id);
    if (old.ok()) {
      RETURN_IF_ERROR(DropLocked(*old));
      ASSIGN_OR_RETURN(auto set, db_->Prepare("UPDATE directory_docs SET docid = ? WHERE space_id = ?"));
      RETURN_IF_ERROR(set->Bind(1, docid).Bind(2, space_id).Run());
    } else if (old.status().code() == StatusCode::kNotFound) {
      ASSIGN_OR_RETURN(auto add, db_->Prepare("INSERT INTO directory_docs (space_id, docid) VALUES (?, ?)"));
      Status s = add->Bind(1, space_id).Bind(2, docid).Run();
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
      RETURN_IF_ERROR(s);
    } else {
      return old.status();
    }
    ASSIGN_OR_RETURN(auto ins, db_->Prepare(
        "INSERT INTO directory_fts (rowid, owner, name, title, description, tags, refs, readme)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    ins->Bind(1, docid).Bind(2, t.owner).Bind(3, t.name).Bind(4, t.title).Bind(5, t.description);
    RETURN_IF_ERROR(ins->Bind(6, t.tags).Bind(7, t.refs).Bind(8, t.readme).Run());
    ASSIGN_OR_RETURN(auto title, db_->Prepare(
        "INSERT INTO directory_titles (rowid, owner, name, title) VALUES (?, ?, ?, ?)"));
    return title->Bind(1, docid).Bind(2, t.owner).Bind(3, t.name).Bind(4, t.title).Run();
  }

  // A document's rows in both indexes.
  Status DropLocked(int64_t docid) {
    ASSIGN_OR_RETURN(auto drop, db_->Prepare("DELETE FROM directory_fts WHERE rowid = ?"));
    RETURN_IF_ERROR(drop->Bind(1, docid).Run());
    ASSIGN_OR_RETURN(auto drop_title, db_->Prepare("DELETE FROM directory_titles WHERE rowid = ?"));
    return drop_title->Bind(1, docid).Run();
  }

  // Writes on one connection, searches on another: a search never waits
  // behind a write (WAL), nor a write behind a search.
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  std::mutex read_mu_;
  std::unique_ptr<SqliteDb> read_db_;
};

}  // namespace
}  // namespace spaceport::store::sqlite

namespace spaceport::store {

Result<std::unique_ptr<DirectoryStore>> OpenSqliteDirectoryStore(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDb> db, sqlite::OpenMigrated(path, "the directory"));
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDb> read_db, sqlite::SqliteDb::Open(path));
  RETURN_IF_ERROR(sqlite::RegisterRank(db->raw()));
  RETURN_IF_ERROR(sqlite::RegisterRank(read_db->raw()));
  return std::unique_ptr<DirectoryStore>(new sqlite::SqliteDirectoryStore(std::move(db), std::move(read_db)));
}

}  // namespace spaceport::store
