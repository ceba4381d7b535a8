// store/store_copy.h: SQLite -> PostgreSQL, table by table with COPY, in one
// transaction on the target, verified before it commits.
#include <map>
#include <string>
#include <vector>

#include "core/strings.h"
#include "store/billing_store.h"
#include "store/collection_store.h"
#include "store/directory_store.h"
#include "store/moderation_store.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"
#include "store/store_copy.h"

namespace spaceport::store {
namespace {

using postgres::PgConn;
using postgres::PgParams;
using postgres::PgResult;

// How a column's SQLite value is written for PostgreSQL: i(nteger),
// t(ext), b(oolean from 0/1), x (bytes to bytea), n (integer, 0 -> NULL).
struct Column {
  const char* source;  // an expression over the source table(s)
  const char* target;  // the target column
  char type;
};

struct Table {
  const char* target;  // the target table ("" : a staging table, see kDirectory)
  const char* from;    // the source's FROM clause
  const char* order;   // the source's ORDER BY
  std::vector<Column> columns;
  const char* count_source;  // the source table counted for verification
};

// In dependency order (foreign keys point backwards). Likes come after the
// Spaces, whose likes counters are copied as they are (the trigger's
// increments for the copied likes are taken off again).
const std::vector<Table>& Tables() {
  static const std::vector<Table> kTables = {
      {"users", "users", "id",
       {{"id", "id", 'i'}, {"name", "name", 't'}, {"is_admin", "is_admin", 'b'}, {"created_at", "created_at", 'i'},
        {"password_hash", "password_hash", 't'}, {"suspended", "suspended", 'b'}},
       "users"},
      {"organizations", "organizations", "id",
       {{"id", "id", 'i'}, {"name", "name", 't'}, {"created_at", "created_at", 'i'}}, "organizations"},
      {"org_members", "org_members", "org_id, user_id",
       {{"org_id", "org_id", 'i'}, {"user_id", "user_id", 'i'}, {"role", "role", 't'}}, "org_members"},
      {"tokens", "tokens", "id",
       {{"id", "id", 'i'}, {"user_id", "user_id", 'i'}, {"name", "name", 't'}, {"scope", "scope", 't'},
        {"token_hash", "token_hash", 't'}, {"created_at", "created_at", 'i'}, {"last_used_at", "last_used_at", 'i'}},
       "tokens"},
      {"sessions", "sessions", "id_hash",
       {{"id_hash", "id_hash", 't'}, {"user_id", "user_id", 'i'}, {"csrf_secret", "csrf_secret", 't'},
        {"created_at", "created_at", 'i'}, {"expires_at", "expires_at", 'i'}, {"last_seen_at", "last_seen_at", 'i'}},
       "sessions"},
      {"spaces", "spaces", "id",
       {{"id", "id", 'i'}, {"owner", "owner", 't'}, {"name", "name", 't'}, {"subdomain", "subdomain", 't'},
        {"sdk", "sdk", 't'}, {"is_private", "is_private", 'b'}, {"visibility", "visibility", 't'},
        {"hardware", "hardware", 't'}, {"storage", "storage", 't'}, {"sleep_time_seconds", "sleep_time_seconds", 'i'},
        {"sha", "sha", 't'}, {"card_json", "card_json", 't'}, {"stage", "stage", 't'},
        {"error_message", "error_message", 't'}, {"created_at", "created_at", 'i'},
        {"last_modified", "last_modified", 'i'}, {"COALESCE(duplicated_from, 0)", "duplicated_from", 'n'},
        {"disabled", "disabled", 't'}, {"likes_count", "likes_count", 'i'}},
       "spaces"},
      {"builds", "builds", "id",
       {{"id", "id", 'i'}, {"space_id", "space_id", 'i'}, {"commit_sha", "commit_sha", 't'}, {"status", "status", 't'},
        {"error", "error", 't'}, {"created_at", "created_at", 'i'}, {"finished_at", "finished_at", 'i'}},
       "builds"},
      {"env", "env", "space_id, secret, key",
       {{"space_id", "space_id", 'i'}, {"secret", "secret", 'b'}, {"key", "key", 't'}, {"value", "value", 'x'},
        {"description", "description", 't'}, {"updated_at", "updated_at", 'i'}},
       "env"},
      {"likes", "likes", "created_at, user_id",
       {{"user_id", "user_id", 'i'}, {"space_id", "space_id", 'i'}, {"created_at", "created_at", 'i'}}, "likes"},
      {"space_gates", "space_gates", "space_id", {{"space_id", "space_id", 'i'}, {"mode", "mode", 't'}},
       "space_gates"},
      {"access_requests", "access_requests", "space_id, user_id",
       {{"space_id", "space_id", 'i'}, {"user_id", "user_id", 'i'}, {"status", "status", 't'},
        {"fields", "fields", 't'}, {"rejection_reason", "rejection_reason", 't'}, {"created_at", "created_at", 'i'},
        {"updated_at", "updated_at", 'i'}},
       "access_requests"},
      {"embed_links", "embed_links", "rowid",
       {{"id", "id", 't'}, {"space_id", "space_id", 'i'}, {"name", "name", 't'}, {"created_by", "created_by", 'i'},
        {"secret_hash", "secret_hash", 't'}, {"created_at", "created_at", 'i'}, {"expires_at", "expires_at", 'i'},
        {"revoked", "revoked", 'b'}},
       "embed_links"},
      {"oauth_grants", "oauth_grants", "user_id, space_id",
       {{"user_id", "user_id", 'i'}, {"space_id", "space_id", 'i'}, {"scopes", "scopes", 't'},
        {"granted_at", "granted_at", 'i'}},
       "oauth_grants"},
      {"ledger_transfers", "ledger_transfers", "seq",
       {{"seq", "seq", 'i'}, {"id", "id", 't'}, {"debit", "debit", 't'}, {"credit", "credit", 't'},
        {"amount", "amount", 'i'}, {"kind", "kind", 't'}, {"space_id", "space_id", 'i'}, {"ref", "ref", 't'},
        {"at", "at", 'i'}},
       "ledger_transfers"},
      {"ledger_balances", "ledger_balances", "account",
       {{"account", "account", 't'}, {"balance", "balance", 'i'}}, "ledger_balances"},
      {"ledger_holds", "ledger_holds", "id",
       {{"id", "id", 't'}, {"account", "account", 't'}, {"amount", "amount", 'i'}, {"state", "state", 't'},
        {"created_at", "created_at", 'i'}, {"resolved_at", "resolved_at", 'i'}},
       "ledger_holds"},
      {"subscriptions", "subscriptions", "user_id, space_id",
       {{"user_id", "user_id", 'i'}, {"space_id", "space_id", 'i'}, {"plan", "plan", 't'},
        {"period_start", "period_start", 'i'}, {"period_end", "period_end", 'i'},
        {"cancel_at_period_end", "cancel_at_period_end", 'b'}, {"state", "state", 't'},
        {"created_at", "created_at", 'i'}},
       "subscriptions"},
      {"space_usage", "space_usage", "space_id, hour",
       {{"space_id", "space_id", 'i'}, {"hour", "hour", 'i'}, {"requests", "requests", 'i'}, {"free", "free", 'i'},
        {"refused", "refused", 'i'}, {"limited", "limited", 'i'}},
       "space_usage"},
      // Documents with their words (FTS5 keeps them), into a staging table:
      // the vectors are made by the target (CopyDirectory).
      {"directory_staging", "directory_docs d LEFT JOIN directory_fts f ON f.rowid = d.docid", "d.space_id",
       {{"d.space_id", "space_id", 'i'}, {"d.docid", "docid", 'i'}, {"d.verified", "verified", 'b'},
        {"d.abandoned", "abandoned", 'b'}, {"d.duplicate_of", "duplicate_of", 'i'}, {"d.hidden", "hidden", 'b'},
        {"d.trending_key", "trending_key", 'i'}, {"d.archived", "archived", 'b'},
        {"d.like_burst_at", "like_burst_at", 'i'}, {"d.next_probe_at", "next_probe_at", 'i'},
        {"d.reports", "reports", 'i'}, {"COALESCE(f.owner, '')", "owner", 't'}, {"COALESCE(f.name, '')", "name", 't'},
        {"COALESCE(f.title, '')", "title", 't'}, {"COALESCE(f.description, '')", "description", 't'},
        {"COALESCE(f.tags, '')", "tags", 't'}, {"COALESCE(f.refs, '')", "refs", 't'},
        {"COALESCE(f.readme, '')", "readme", 't'}},
       "directory_docs"},
      {"directory_probes", "directory_probes", "space_id, at",
       {{"space_id", "space_id", 'i'}, {"at", "at", 'i'}, {"ok", "ok", 'b'}, {"status", "status", 'i'},
        {"woke", "woke", 'b'}, {"detail", "detail", 't'}},
       "directory_probes"},
      {"directory_traffic", "directory_traffic", "space_id, day",
       {{"space_id", "space_id", 'i'}, {"day", "day", 'i'}, {"visitors", "visitors", 'i'},
        {"answers", "answers", 'i'}, {"errors", "errors", 'i'}},
       "directory_traffic"},
      {"directory_fingerprints", "directory_fingerprints", "space_id",
       {{"space_id", "space_id", 'i'}, {"files_key", "files_key", 't'}, {"minhash", "minhash", 'x'}},
       "directory_fingerprints"},
      {"directory_lsh", "directory_lsh", "band, space_id", {{"band", "band", 'i'}, {"space_id", "space_id", 'i'}},
       "directory_lsh"},
      {"space_reports", "space_reports", "id",
       {{"id", "id", 'i'}, {"space_id", "space_id", 'i'}, {"COALESCE(reporter_id, 0)", "reporter_id", 'n'},
        {"reason", "reason", 't'}, {"details", "details", 't'}, {"status", "status", 't'},
        {"created_at", "created_at", 'i'}, {"resolved_at", "resolved_at", 'i'}, {"resolution", "resolution", 't'}},
       "space_reports"},
      {"moderation_log", "moderation_log", "id",
       {{"id", "id", 'i'}, {"at", "at", 'i'}, {"actor", "actor", 't'}, {"action", "action", 't'},
        {"space", "space", 't'}, {"user", "user_name", 't'}, {"report_id", "report_id", 'i'}, {"note", "note", 't'}},
       "moderation_log"},
      {"collections", "collections", "id",
       {{"id", "id", 'i'}, {"key", "key", 't'}, {"owner", "owner", 't'}, {"title", "title", 't'},
        {"description", "description", 't'}, {"private", "private", 'b'}, {"theme", "theme", 't'},
        {"position", "position", 'i'}, {"created_at", "created_at", 'i'}, {"updated_at", "updated_at", 'i'}},
       "collections"},
      {"collection_items", "collection_items", "id",
       {{"id", "id", 'i'}, {"key", "key", 't'}, {"collection_id", "collection_id", 'i'},
        {"space_id", "space_id", 'i'}, {"position", "position", 'i'}, {"note", "note", 't'},
        {"added_at", "added_at", 'i'}},
       "collection_items"},
  };
  return kTables;
}

// The identity columns whose sequences continue after the copied ids.
constexpr const char* kIdentities[][2] = {
    {"users", "id"},          {"organizations", "id"},    {"tokens", "id"},          {"spaces", "id"},
    {"builds", "id"},         {"ledger_transfers", "seq"}, {"space_reports", "id"},   {"moderation_log", "id"},
    {"collections", "id"},    {"collection_items", "id"},
};

// COPY's text format: backslash escapes for the separators.
void AppendCopyText(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      default: out->push_back(c);
    }
  }
}

void AppendValue(std::string* out, const sqlite::Stmt& st, int i, char type) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (type) {
    case 'i': *out += std::to_string(st.Int(i)); break;
    case 'n': *out += st.Int(i) == 0 ? "\\N" : std::to_string(st.Int(i)); break;
    case 'b': *out += st.Int(i) != 0 ? "t" : "f"; break;
    case 'x': {
      *out += "\\\\x";
      for (unsigned char c : st.Blob(i)) {
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
      }
      break;
    }
    default: AppendCopyText(out, st.Text(i));
  }
}

Result<int64_t> CopyTable(sqlite::SqliteDb& source, PgConn& target, const Table& t) {
  std::string select, targets;
  for (const Column& c : t.columns) {
    select += std::string(select.empty() ? "" : ", ") + c.source;
    targets += std::string(targets.empty() ? "" : ", ") + c.target;
  }
  ASSIGN_OR_RETURN(auto st, source.Prepare("SELECT " + select + " FROM " + t.from + " ORDER BY " + t.order));
  auto next = [&](std::string* chunk) -> Result<bool> {
    for (int rows = 0; rows < 2000; ++rows) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) return false;
      for (size_t i = 0; i < t.columns.size(); ++i) {
        if (i > 0) chunk->push_back('\t');
        AppendValue(chunk, *st, static_cast<int>(i), t.columns[i].type);
      }
      chunk->push_back('\n');
    }
    return true;
  };
  Result<int64_t> copied = target.CopyIn(std::string("COPY ") + t.target + " (" + targets + ") FROM STDIN", next);
  if (!copied.ok()) return copied.status().WithContext(std::string("copying ") + t.target);
  return copied;
}

// The staged documents become directory_docs rows with their vectors.
Status CopyDirectory(PgConn& target) {
  return target.ExecScript(
      "INSERT INTO directory_docs (space_id, docid, verified, abandoned, duplicate_of, hidden, trending_key, archived,"
      " like_burst_at, next_probe_at, reports, tsv_owner, tsv_name, tsv_title, tsv_description, tsv_tags, tsv_refs,"
      " tsv_readme, readme_words)"
      " SELECT space_id, docid, verified, abandoned, duplicate_of, hidden, trending_key, archived, like_burst_at,"
      " next_probe_at, reports, to_tsvector('spaceport_text', owner), to_tsvector('spaceport_text', name),"
      " to_tsvector('spaceport_text', title), to_tsvector('spaceport_text', description),"
      " to_tsvector('spaceport_text', tags), to_tsvector('spaceport_text', refs), r, length(r)"
      " FROM directory_staging, to_tsvector('spaceport_text', readme) r;"
      "DROP TABLE directory_staging");
}

Result<int64_t> SourceCount(sqlite::SqliteDb& source, const std::string& table) {
  ASSIGN_OR_RETURN(auto st, source.Prepare("SELECT COUNT(*) FROM " + table));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : 0;
}

Result<int64_t> TargetCount(PgConn& target, const std::string& table) {
  ASSIGN_OR_RETURN(PgResult r, target.Exec("SELECT COUNT(*) FROM " + table));
  return r.Int(0, 0);
}

// Per account: (cached balance, sum of its transfers).
using LedgerSums = std::map<std::string, std::pair<int64_t, int64_t>>;

Result<LedgerSums> SourceLedger(sqlite::SqliteDb& source) {
  LedgerSums sums;
  ASSIGN_OR_RETURN(auto balances, source.Prepare("SELECT account, balance FROM ledger_balances"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, balances->Step());
    if (!row) break;
    sums[balances->Text(0)].first = balances->Int(1);
  }
  ASSIGN_OR_RETURN(auto transfers, source.Prepare(
      "SELECT account, SUM(delta) FROM (SELECT credit AS account, amount AS delta FROM ledger_transfers"
      " UNION ALL SELECT debit, -amount FROM ledger_transfers) GROUP BY account"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, transfers->Step());
    if (!row) break;
    sums[transfers->Text(0)].second = transfers->Int(1);
  }
  return sums;
}

Result<LedgerSums> TargetLedger(PgConn& target) {
  LedgerSums sums;
  ASSIGN_OR_RETURN(PgResult balances, target.Exec("SELECT account, balance FROM ledger_balances"));
  for (int i = 0; i < balances.rows(); ++i) sums[balances.Text(i, 0)].first = balances.Int(i, 1);
  ASSIGN_OR_RETURN(PgResult transfers, target.Exec(
      "SELECT account, SUM(delta)::BIGINT FROM (SELECT credit AS account, amount AS delta FROM ledger_transfers"
      " UNION ALL SELECT debit, -amount FROM ledger_transfers) t GROUP BY account"));
  for (int i = 0; i < transfers.rows(); ++i) sums[transfers.Text(i, 0)].second = transfers.Int(i, 1);
  return sums;
}

Status VerifyLedger(const LedgerSums& source, const LedgerSums& target, StoreCopyReport& report) {
  if (source != target) return Status::Internal("the ledger differs after the copy: nothing was committed");
  int64_t total = 0;
  for (const auto& [account, sums] : target) {
    if (sums.first != sums.second) {
      return Status::Internal("account " + account + " has a balance of " + std::to_string(sums.first) +
                              " but its transfers sum to " + std::to_string(sums.second) + " (in the source too)");
    }
    total += sums.first;
  }
  if (total != 0) return Status::Internal("the ledger's balances sum to " + std::to_string(total) + ", not zero");
  report.ledger_accounts = static_cast<int64_t>(target.size());
  return Status::Ok();
}

Status CopyAll(sqlite::SqliteDb& source, PgConn& target, StoreCopyReport& report) {
  for (const char* table : {"users", "spaces", "ledger_transfers"}) {
    ASSIGN_OR_RETURN(int64_t rows, TargetCount(target, table));
    if (rows > 0) {
      return Status::FailedPrecondition(std::string("the target database holds data already (") + table +
                                        "): copy into an empty one");
    }
  }
  RETURN_IF_ERROR(target.ExecScript(
      "CREATE TEMP TABLE directory_staging (space_id BIGINT, docid BIGINT, verified BOOLEAN, abandoned BOOLEAN,"
      " duplicate_of BIGINT, hidden BOOLEAN, trending_key BIGINT, archived BOOLEAN, like_burst_at BIGINT,"
      " next_probe_at BIGINT, reports BIGINT, owner TEXT, name TEXT, title TEXT, description TEXT, tags TEXT,"
      " refs TEXT, readme TEXT)"));
  for (const Table& t : Tables()) {
    ASSIGN_OR_RETURN(int64_t copied, CopyTable(source, target, t));
    if (std::string(t.target) == "directory_staging") RETURN_IF_ERROR(CopyDirectory(target));
    // The likes trigger counted the copied likes on top of the copied counters: take them off again.
    if (std::string(t.target) == "likes") {
      RETURN_IF_ERROR(target.ExecScript("UPDATE spaces s SET likes_count = s.likes_count - c.n FROM"
                                        " (SELECT space_id, COUNT(*) AS n FROM likes GROUP BY space_id) c"
                                        " WHERE c.space_id = s.id"));
    }
    ASSIGN_OR_RETURN(int64_t in_source, SourceCount(source, t.count_source));
    ASSIGN_OR_RETURN(int64_t in_target, TargetCount(target, t.count_source));
    if (copied != in_source || in_target != in_source) {
      return Status::Internal(std::string(t.count_source) + ": " + std::to_string(in_source) + " rows in the source, " +
                              std::to_string(in_target) + " copied: nothing was committed");
    }
    report.tables.emplace_back(t.count_source, in_target);
  }
  for (const auto& [table, column] : kIdentities) {
    RETURN_IF_ERROR(target.Exec(std::string("SELECT setval(pg_get_serial_sequence('") + table + "', '" + column +
                                "'), COALESCE((SELECT MAX(" + column + ") FROM " + table + "), 0) + 1, false)")
                        .status());
  }
  // The likes counters the trigger kept must be the source's.
  ASSIGN_OR_RETURN(PgResult likes, target.Exec("SELECT COALESCE(SUM(likes_count), 0)::BIGINT FROM spaces"));
  ASSIGN_OR_RETURN(auto source_likes, source.Prepare("SELECT COALESCE(SUM(likes_count), 0) FROM spaces"));
  ASSIGN_OR_RETURN(bool row, source_likes->Step());
  if (!row || source_likes->Int(0) != likes.Int(0, 0)) return Status::Internal("the likes counters differ after the copy");
  ASSIGN_OR_RETURN(LedgerSums from, SourceLedger(source));
  ASSIGN_OR_RETURN(LedgerSums to, TargetLedger(target));
  RETURN_IF_ERROR(VerifyLedger(from, to, report));
  ASSIGN_OR_RETURN(PgResult total, target.Exec("SELECT COALESCE(SUM(amount), 0)::BIGINT FROM ledger_transfers"));
  report.ledger_total_micros = total.Int(0, 0);
  return Status::Ok();
}

}  // namespace

Result<StoreCopyReport> CopyStore(const std::string& from, const std::string& to) {
  if (!StartsWith(from, "sqlite:") || from == "sqlite:" || from == "sqlite::memory:") {
    return Status::InvalidArgument("--from wants sqlite:PATH (the store of a stopped server)");
  }
  if (!IsPostgresUrl(to)) return Status::InvalidArgument("--to wants postgres://USER@HOST:PORT/DB");
  // Both schemas current: opening each area migrates it.
  {
    ASSIGN_OR_RETURN(auto source_store, Store::Open({.url = from, .secrets_key = std::string(32, '\0')}));
    ASSIGN_OR_RETURN(auto target_store, Store::Open({.url = to, .secrets_key = std::string(32, '\0')}));
  }
  ASSIGN_OR_RETURN(auto source, sqlite::SqliteDb::Open(from.substr(7)));
  ASSIGN_OR_RETURN(auto target, PgConn::Connect(to));
  StoreCopyReport report;
  RETURN_IF_ERROR(source->Exec("BEGIN"));  // one consistent snapshot of the source
  RETURN_IF_ERROR(target->ExecScript("BEGIN ISOLATION LEVEL SERIALIZABLE"));
  Status copied = CopyAll(*source, *target, report);
  (void)source->Exec("ROLLBACK");
  if (!copied.ok()) {
    (void)target->ExecScript("ROLLBACK");
    return copied;
  }
  RETURN_IF_ERROR(target->ExecScript("COMMIT"));
  return report;
}

}  // namespace spaceport::store
