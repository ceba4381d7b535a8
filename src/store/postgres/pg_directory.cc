// The PostgreSQL backend of store::DirectoryStore: each document's words as
// one tsvector per column in directory_docs (schema step 3), the whole
// document and its titles as generated vectors with GIN indexes. A match
// is the GIN-indexed prefilter (pg_text_query.h), the exact expression when
// the query filters columns, and ORDER BY docid DESC LIMIT n: PostgreSQL's
// planner picks between walking the docid order and reading the GIN matches.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "store/directory_store.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_text_query.h"

namespace spaceport::store::postgres {
namespace {

constexpr int kPoolSize = 4;
constexpr size_t kMaxExpressionBytes = 2000;
constexpr size_t kMaxCandidates = 20000;
constexpr int64_t kProbesKeptMs = 31LL * 86400 * 1000;
constexpr unsigned kTitleColumns = 0b111;  // owner, name, title
constexpr unsigned kEveryColumn = (1u << kTextColumnCount) - 1;

constexpr char kSignalColumns[] =
    "d.verified, d.abandoned, d.duplicate_of, d.hidden, d.trending_key, d.archived, d.like_burst_at, d.reports";

DirectorySignals SignalsAt(const PgResult& r, int row, int i) {
  return {.verified = r.Bool(row, i),
          .abandoned = r.Bool(row, i + 1),
          .duplicate_of = r.Int(row, i + 2),
          .hidden = r.Bool(row, i + 3),
          .trending_key = r.Int(row, i + 4),
          .archived = r.Bool(row, i + 5),
          .like_burst_at = r.Int(row, i + 6),
          .reports = r.Int(row, i + 7)};
}

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

Status CheckExpression(const std::string& expression) {
  if (expression.empty() || expression.size() > kMaxExpressionBytes) {
    return Status::InvalidArgument("a search needs 1-2000 bytes of query");
  }
  return Status::Ok();
}

// A tsquery PostgreSQL cannot read is the caller's query, not the database.
Status QueryError(const Status& s) {
  if (s.code() == StatusCode::kInternal) return Status::InvalidArgument("malformed search query: " + s.message());
  return s;
}

std::string Number(double w) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", w);
  return buf;
}

// The relevance of a row (pg_text_query.h's words): for each word the
// heaviest column it is in, README matches weighing less in long READMEs
// (BM25's length normalization with b = 0.5), summed; as the SQLite
// backend's sp_rank.
std::string RelevanceSql(const TextQuery& q, const std::vector<double>& weights) {
  std::string sum;
  for (const TextQuery::Word& w : q.words) {
    std::string best;
    for (int c = 0; c < static_cast<int>(weights.size()); ++c) {
      if (!(w.columns & (1u << c))) continue;
      std::string weight = Number(weights[c]);
      if (std::string(kTextColumns[c]) == "readme") {
        weight += " / (0.5 + 0.5 * d.readme_words / GREATEST(1.0, (SELECT readme_words::float8 / GREATEST(docs, 1)"
                  " FROM directory_stats)))";
      }
      best += std::string(best.empty() ? "" : ", ") + "CASE WHEN d.tsv_" + kTextColumns[c] +
              " @@ to_tsquery('spaceport_text', $" + std::to_string(w.param) + ") THEN " + weight + " ELSE 0 END";
    }
    if (!best.empty()) sum += (sum.empty() ? "" : " + ") + ("GREATEST(0, " + best + ")");
  }
  return sum.empty() ? "0" : sum;
}

class PgDirectoryStore : public DirectoryStore {
 public:
  explicit PgDirectoryStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  Status Index(int64_t space_id, const DirectoryText& text, int bucket) override {
    RETURN_IF_ERROR(CheckBucket(bucket));
    return Write([&](PgConn& conn) { return IndexIn(conn, space_id, text, bucket, nullptr); });
  }

  Status IndexMany(const std::vector<DirectoryEntry>& entries) override {
    for (const DirectoryEntry& e : entries) RETURN_IF_ERROR(CheckBucket(e.bucket));
    return Write([&](PgConn& conn) -> Status {
      for (const DirectoryEntry& e : entries) RETURN_IF_ERROR(IndexIn(conn, e.space_id, e.text, e.bucket, &e.signals));
      return Status::Ok();
    });
  }

  Status Rekey(int64_t space_id, int bucket) override {
    RETURN_IF_ERROR(CheckBucket(bucket));
    return Write([&](PgConn& conn) -> Status {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE directory_docs SET docid = $1 WHERE space_id = $2",
                                             PgParams().Add(DirectoryDocid(bucket, space_id)).Add(space_id)));
      return NoEntryUnlessChanged(r, space_id);
    });
  }

  Status SetSignals(int64_t space_id, const DirectorySignals& s) override {
    return Write([&](PgConn& conn) { return SetSignalsIn(conn, space_id, s); });
  }

  Result<DirectorySignals> Signals(int64_t space_id) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) { return SignalsIn(conn, space_id, false); });
  }

  Result<int64_t> DocidOf(int64_t space_id) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT docid FROM directory_docs WHERE space_id = $1",
                                             PgParams().Add(space_id)));
      if (r.rows() == 0) return NoEntry(space_id);
      return r.Int(0, 0);
    });
  }

  Result<std::vector<DirectoryHit>> Match(const std::string& expression, int64_t below, int64_t limit,
                                          const std::vector<double>& weights, DirectoryScope scope) override {
    RETURN_IF_ERROR(CheckExpression(expression));
    const bool titles = scope == DirectoryScope::kTitles;
    const size_t columns = titles ? kDirectoryTitleColumns : kDirectoryColumns;
    if (!weights.empty() && weights.size() != columns) {
      return Status::InvalidArgument("the relevance needs one weight per column");
    }
    // $1 below, $2 limit, $3 the prefilter, then the words.
    ASSIGN_OR_RETURN(TextQuery q, TranslateTextQuery(expression, 3, titles ? kTitleColumns : kEveryColumn));
    PgParams params;
    params.Add(below > 0 ? below : INT64_MAX).Add(limit);
    // The words' own parameters only when the statement names them.
    const size_t used = weights.empty() && q.exact.empty() ? 1 : q.params.size();
    for (size_t i = 0; i < used; ++i) params.Add(q.params[i]);
    const std::string vector = titles ? "d.titles" : "d.doc";
    std::string sql = "SELECT d.docid, " + (weights.empty() ? std::string("0") : RelevanceSql(q, weights)) +
                      " FROM directory_docs d WHERE " + vector + " @@ to_tsquery('spaceport_text', $3)" +
                      (q.exact.empty() ? "" : " AND " + q.exact) + " AND d.docid < $1 ORDER BY d.docid DESC LIMIT $2";
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<DirectoryHit>> {
      Result<PgResult> r = conn.Exec(sql, params);
      if (!r.ok()) return QueryError(r.status());
      std::vector<DirectoryHit> hits;
      for (int row = 0; row < r->rows(); ++row) {
        hits.push_back({r->Int(row, 0), std::strtod(r->Text(row, 1).c_str(), nullptr)});
      }
      return hits;
    });
  }

  Result<int64_t> CountMatches(const std::string& expression, int64_t cap) override {
    RETURN_IF_ERROR(CheckExpression(expression));
    ASSIGN_OR_RETURN(TextQuery q, TranslateTextQuery(expression, 2, kEveryColumn));
    PgParams params;
    params.Add(cap);
    const size_t used = q.exact.empty() ? 1 : q.params.size();
    for (size_t i = 0; i < used; ++i) params.Add(q.params[i]);
    std::string sql = "SELECT COUNT(*) FROM (SELECT 1 FROM directory_docs d WHERE d.doc @@"
                      " to_tsquery('spaceport_text', $2)" +
                      (q.exact.empty() ? "" : " AND " + q.exact) + " LIMIT $1) m";
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      Result<PgResult> r = conn.Exec(sql, params);
      if (!r.ok()) return QueryError(r.status());
      return r->Int(0, 0);
    });
  }

  Result<std::vector<DirectoryCandidate>> Candidates(const std::vector<int64_t>& docids) override {
    if (docids.size() > kMaxCandidates) return Status::InvalidArgument("too many candidates at once");
    std::string array = "{";
    for (size_t i = 0; i < docids.size(); ++i) array += (i ? "," : "") + std::to_string(docids[i]);
    array += "}";
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<DirectoryCandidate>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT d.docid, s.id, s.owner, s.name, s.sdk, s.stage,"
                                                         " s.hardware, s.is_private, s.likes_count, s.created_at,"
                                                         " s.last_modified, ") +
                                                 kSignalColumns +
                                                 ", array_to_string(card_tags(s.card_json), chr(31))"
                                                 " FROM directory_docs d JOIN spaces s ON s.id = d.space_id"
                                                 " WHERE d.docid = ANY($1::bigint[])",
                                             PgParams().Add(array)));
      std::vector<DirectoryCandidate> out;
      for (int row = 0; row < r.rows(); ++row) {
        DirectoryCandidate c;
        c.docid = r.Int(row, 0);
        c.space_id = r.Int(row, 1);
        c.owner = r.Text(row, 2);
        c.name = r.Text(row, 3);
        c.sdk = r.Text(row, 4);
        c.stage = r.Text(row, 5);
        c.hardware = r.Text(row, 6);
        c.is_private = r.Bool(row, 7);
        c.likes = r.Int(row, 8);
        c.created_at = r.Int(row, 9);
        c.last_modified = r.Int(row, 10);
        c.signals = SignalsAt(r, row, 11);
        for (const std::string& tag : Split(r.Text(row, 19), '\x1f')) {
          if (!tag.empty()) c.tags.push_back(tag);
        }
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  Result<std::vector<int64_t>> Unindexed(int64_t after_space_id, int64_t limit) override {
    return Ids("SELECT s.id FROM spaces s WHERE s.id > $1"
               " AND NOT EXISTS (SELECT 1 FROM directory_docs d WHERE d.space_id = s.id) ORDER BY s.id LIMIT $2",
               PgParams().Add(after_space_id).Add(limit));
  }

  Result<int64_t> CountDocuments() override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT COUNT(*) FROM directory_docs"));
      return r.Int(0, 0);
    });
  }

  // After a bulk load: fresh planner statistics and a cleaned GIN pending list.
  Status Optimize() override {
    ASSIGN_OR_RETURN(PgPool::Lease conn, pool_->Acquire());
    return conn->ExecScript("VACUUM (ANALYZE) directory_docs");
  }

  Result<DirectorySignals> UpdateSignals(int64_t space_id,
                                         const std::function<void(DirectorySignals&)>& change) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<DirectorySignals> {
      ASSIGN_OR_RETURN(DirectorySignals s, SignalsIn(conn, space_id, true));
      change(s);
      RETURN_IF_ERROR(SetSignalsIn(conn, space_id, s));
      return s;
    });
  }

  Status RecordProbe(const ProbeRecord& p, int64_t next_probe_at) override {
    return Write([&](PgConn& conn) -> Status {
      Status s = conn.Exec("INSERT INTO directory_probes (space_id, at, ok, status, woke, detail)"
                           " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (space_id, at) DO UPDATE SET"
                           " ok = excluded.ok, status = excluded.status, woke = excluded.woke, detail = excluded.detail",
                           PgParams()
                               .Add(p.space_id)
                               .Add(p.at)
                               .Add(p.ok)
                               .Add(p.status)
                               .Add(p.woke)
                               .Add(p.detail.substr(0, 500)))
                     .status();
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(p.space_id) + " not found");
      RETURN_IF_ERROR(s);
      // Old probes go, except the last that woke the Space (the weekly wake limit).
      RETURN_IF_ERROR(conn.Exec("DELETE FROM directory_probes WHERE space_id = $1 AND at < $2 AND at <>"
                                " COALESCE((SELECT MAX(at) FROM directory_probes WHERE space_id = $1 AND woke), 0)",
                                PgParams().Add(p.space_id).Add(p.at - kProbesKeptMs))
                          .status());
      return ScheduleIn(conn, p.space_id, next_probe_at);
    });
  }

  Status ScheduleProbe(int64_t space_id, int64_t at) override {
    return Write([&](PgConn& conn) { return ScheduleIn(conn, space_id, at); });
  }

  Result<std::vector<int64_t>> DueForProbe(int64_t now, int64_t limit) override {
    return Ids("SELECT space_id FROM directory_docs WHERE next_probe_at <= $1 ORDER BY next_probe_at, space_id LIMIT $2",
               PgParams().Add(now).Add(limit));
  }

  Result<HealthSummary> Health(int64_t space_id, int64_t since) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<HealthSummary> {
      HealthSummary h;
      ASSIGN_OR_RETURN(PgResult count, conn.Exec("SELECT COUNT(*), COUNT(*) FILTER (WHERE ok) FROM directory_probes"
                                                 " WHERE space_id = $1 AND at >= $2",
                                                 PgParams().Add(space_id).Add(since)));
      h.probes = count.Int(0, 0);
      h.passed = count.Int(0, 1);
      ASSIGN_OR_RETURN(PgResult last, conn.Exec("SELECT at, ok, status, detail FROM directory_probes"
                                                " WHERE space_id = $1 ORDER BY at DESC LIMIT 1",
                                                PgParams().Add(space_id)));
      if (last.rows() > 0) {
        h.last_at = last.Int(0, 0);
        h.last_ok = last.Bool(0, 1);
        h.last_status = static_cast<int>(last.Int(0, 2));
        h.last_detail = last.Text(0, 3);
      }
      if (h.last_at != 0 && !h.last_ok) {
        ASSIGN_OR_RETURN(PgResult failing, conn.Exec("SELECT MIN(at) FROM directory_probes WHERE space_id = $1 AND at >"
                                                     " COALESCE((SELECT MAX(at) FROM directory_probes"
                                                     " WHERE space_id = $1 AND ok), 0)",
                                                     PgParams().Add(space_id)));
        h.failing_since = failing.Int(0, 0);
      }
      ASSIGN_OR_RETURN(PgResult woke, conn.Exec("SELECT COALESCE(MAX(at), 0) FROM directory_probes"
                                                " WHERE space_id = $1 AND woke",
                                                PgParams().Add(space_id)));
      h.last_woke_at = woke.Int(0, 0);
      return h;
    });
  }

  Status AddTraffic(const std::vector<TrafficCount>& counts) override {
    for (const TrafficCount& c : counts) {
      if (c.visitors < 0 || c.answers < 0 || c.errors < 0) return Status::InvalidArgument("negative traffic count");
    }
    return Write([&](PgConn& conn) -> Status {
      for (const TrafficCount& c : counts) {
        // A Space that is gone takes its counts with it: skipped, not an
        // error (which would end the whole transaction here).
        RETURN_IF_ERROR(conn.Exec("INSERT INTO directory_traffic (space_id, day, visitors, answers, errors)"
                                  " SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM spaces WHERE id = $1)"
                                  " ON CONFLICT (space_id, day) DO UPDATE SET"
                                  " visitors = GREATEST(directory_traffic.visitors, excluded.visitors),"
                                  " answers = directory_traffic.answers + excluded.answers,"
                                  " errors = directory_traffic.errors + excluded.errors",
                                  PgParams().Add(c.space_id).Add(c.day).Add(c.visitors).Add(c.answers).Add(c.errors))
                            .status());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<TrafficCount>> Traffic(int64_t space_id, int64_t since_day) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<TrafficCount>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT day, visitors, answers, errors FROM directory_traffic"
                                             " WHERE space_id = $1 AND day >= $2 ORDER BY day",
                                             PgParams().Add(space_id).Add(since_day)));
      std::vector<TrafficCount> out;
      for (int row = 0; row < r.rows(); ++row) {
        out.push_back({space_id, r.Int(row, 0), r.Int(row, 1), r.Int(row, 2), r.Int(row, 3)});
      }
      return out;
    });
  }

  Result<std::vector<LikeAge>> LikesSince(int64_t space_id, int64_t since) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<LikeAge>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT l.created_at, u.created_at FROM likes l JOIN users u"
                                             " ON u.id = l.user_id WHERE l.space_id = $1 AND l.created_at >= $2"
                                             " ORDER BY l.created_at",
                                             PgParams().Add(space_id).Add(since)));
      std::vector<LikeAge> out;
      for (int row = 0; row < r.rows(); ++row) out.push_back({r.Int(row, 0), r.Int(row, 1)});
      return out;
    });
  }

  Result<std::vector<int64_t>> AbandonReview(int64_t modified_before, int64_t after_space_id,
                                             int64_t limit) override {
    return Ids("SELECT d.space_id FROM directory_docs d JOIN spaces s ON s.id = d.space_id"
               " WHERE d.space_id > $1 AND (d.abandoned OR s.last_modified < $2) ORDER BY d.space_id LIMIT $3",
               PgParams().Add(after_space_id).Add(modified_before).Add(limit));
  }

  Status SetFingerprint(int64_t space_id, const Fingerprint& f) override {
    return Write([&](PgConn& conn) -> Status {
      Status s = conn.Exec("INSERT INTO directory_fingerprints (space_id, files_key, minhash) VALUES ($1, $2, $3::bytea)"
                           " ON CONFLICT (space_id) DO UPDATE SET files_key = excluded.files_key,"
                           " minhash = excluded.minhash",
                           PgParams().Add(space_id).Add(f.files_key).AddBytes(PackMinhash(f.minhash)))
                     .status();
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
      RETURN_IF_ERROR(s);
      RETURN_IF_ERROR(conn.Exec("DELETE FROM directory_lsh WHERE space_id = $1", PgParams().Add(space_id)).status());
      if (f.bands.empty()) return Status::Ok();
      nlohmann::json bands = f.bands;
      return conn
          .Exec("INSERT INTO directory_lsh (band, space_id) SELECT DISTINCT b::bigint, $1::bigint"
                " FROM jsonb_array_elements_text($2::jsonb) b ON CONFLICT DO NOTHING",
                PgParams().Add(space_id).Add(bands.dump()))
          .status();
    });
  }

  Result<std::vector<FingerprintMatch>> SimilarTo(int64_t space_id, const Fingerprint& f, int64_t limit) override {
    nlohmann::json bands = f.bands;
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<FingerprintMatch>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT s.id, s.created_at, COALESCE(s.duplicated_from, 0), f.files_key,"
                                             " f.minhash FROM directory_fingerprints f JOIN spaces s ON s.id = f.space_id"
                                             " WHERE f.space_id <> $1 AND (f.files_key = $2 OR f.space_id IN"
                                             " (SELECT l.space_id FROM directory_lsh l WHERE l.band IN"
                                             " (SELECT jsonb_array_elements_text($3::jsonb)::bigint)))"
                                             " ORDER BY s.created_at, s.id LIMIT $4",
                                             PgParams().Add(space_id).Add(f.files_key).Add(bands.dump()).Add(limit)));
      std::vector<FingerprintMatch> out;
      for (int row = 0; row < r.rows(); ++row) {
        out.push_back({r.Int(row, 0), r.Int(row, 1), r.Int(row, 2), r.Text(row, 3), UnpackMinhash(r.Bytes(row, 4))});
      }
      return out;
    });
  }

  Result<std::vector<int64_t>> DuplicatesOf(int64_t space_id) override {
    return Ids("SELECT space_id FROM directory_docs WHERE duplicate_of = $1 ORDER BY space_id LIMIT 1000",
               PgParams().Add(space_id));
  }

 private:
  static Status NoEntry(int64_t space_id) {
    return Status::NotFound("space " + std::to_string(space_id) + " has no directory entry");
  }
  static Status NoEntryUnlessChanged(const PgResult& r, int64_t space_id) {
    return r.affected() == 0 ? NoEntry(space_id) : Status::Ok();
  }

  template <typename Fn>
  Status Write(Fn&& fn) {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Status { return fn(conn); });
  }

  Result<std::vector<int64_t>> Ids(const std::string& sql, const PgParams& params) {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<int64_t>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, params));
      std::vector<int64_t> out;
      for (int row = 0; row < r.rows(); ++row) out.push_back(r.Int(row, 0));
      return out;
    });
  }

  static Result<DirectorySignals> SignalsIn(PgConn& conn, int64_t space_id, bool for_update) {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kSignalColumns +
                                               " FROM directory_docs d WHERE space_id = $1" +
                                               (for_update ? " FOR UPDATE" : ""),
                                           PgParams().Add(space_id)));
    if (r.rows() == 0) return NoEntry(space_id);
    return SignalsAt(r, 0, 0);
  }

  static Status SetSignalsIn(PgConn& conn, int64_t space_id, const DirectorySignals& s) {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE directory_docs SET verified = $1, abandoned = $2, duplicate_of = $3,"
                                           " hidden = $4, trending_key = $5, archived = $6, like_burst_at = $7,"
                                           " reports = $8 WHERE space_id = $9",
                                           PgParams()
                                               .Add(s.verified)
                                               .Add(s.abandoned)
                                               .Add(s.duplicate_of)
                                               .Add(s.hidden)
                                               .Add(s.trending_key)
                                               .Add(s.archived)
                                               .Add(s.like_burst_at)
                                               .Add(s.reports)
                                               .Add(space_id)));
    return NoEntryUnlessChanged(r, space_id);
  }

  static Status ScheduleIn(PgConn& conn, int64_t space_id, int64_t at) {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE directory_docs SET next_probe_at = $1 WHERE space_id = $2",
                                           PgParams().Add(at).Add(space_id)));
    return NoEntryUnlessChanged(r, space_id);
  }

  // Inserts or replaces the document's words (keeping its signals unless
  // `signals` are given).
  static Status IndexIn(PgConn& conn, int64_t space_id, const DirectoryText& t, int bucket,
                        const DirectorySignals* signals) {
    if (space_id <= 0 || space_id > 0xffffffffLL) return Status::InvalidArgument("space id outside the docid range");
    Status s = conn.Exec("INSERT INTO directory_docs (space_id, docid, tsv_owner, tsv_name, tsv_title, tsv_description,"
                         " tsv_tags, tsv_refs, tsv_readme, readme_words) SELECT $1, $2,"
                         " to_tsvector('spaceport_text', $3), to_tsvector('spaceport_text', $4),"
                         " to_tsvector('spaceport_text', $5), to_tsvector('spaceport_text', $6),"
                         " to_tsvector('spaceport_text', $7), to_tsvector('spaceport_text', $8), r, length(r)"
                         " FROM to_tsvector('spaceport_text', $9) r"
                         " ON CONFLICT (space_id) DO UPDATE SET docid = excluded.docid, tsv_owner = excluded.tsv_owner,"
                         " tsv_name = excluded.tsv_name, tsv_title = excluded.tsv_title,"
                         " tsv_description = excluded.tsv_description, tsv_tags = excluded.tsv_tags,"
                         " tsv_refs = excluded.tsv_refs, tsv_readme = excluded.tsv_readme,"
                         " readme_words = excluded.readme_words",
                         PgParams()
                             .Add(space_id)
                             .Add(DirectoryDocid(bucket, space_id))
                             .Add(t.owner)
                             .Add(t.name)
                             .Add(t.title)
                             .Add(t.description)
                             .Add(t.tags)
                             .Add(t.refs)
                             .Add(t.readme))
                   .status();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
    RETURN_IF_ERROR(s);
    return signals ? SetSignalsIn(conn, space_id, *signals) : Status::Ok();
  }

  std::unique_ptr<PgPool> pool_;
};

}  // namespace

Result<std::unique_ptr<DirectoryStore>> OpenPostgresDirectoryStore(const std::string& url, const WriteFence* fence) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, OpenMigratedPool(url, kPoolSize, "the directory", fence));
  return std::unique_ptr<DirectoryStore>(new PgDirectoryStore(std::move(pool)));
}

}  // namespace spaceport::store::postgres
