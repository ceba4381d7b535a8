#include "store/sqlite/migrations.h"

namespace spaceport::store::sqlite {
namespace {

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE,
  is_admin INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_by_user ON tokens(user_id);
CREATE TABLE spaces (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  subdomain TEXT NOT NULL UNIQUE,
  sdk TEXT NOT NULL,
  is_private INTEGER NOT NULL DEFAULT 0,
  hardware TEXT NOT NULL,
  sleep_time_seconds INTEGER NOT NULL,
  sha TEXT NOT NULL DEFAULT '',
  card_json TEXT NOT NULL DEFAULT '{}',
  stage TEXT NOT NULL,
  error_message TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  last_modified INTEGER NOT NULL,
  UNIQUE (owner, name)
);
CREATE INDEX spaces_by_created ON spaces(created_at, id);
CREATE INDEX spaces_by_modified ON spaces(last_modified, id);
CREATE TABLE builds (
  id INTEGER PRIMARY KEY,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  commit_sha TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX builds_by_space ON builds(space_id, id);
CREATE TABLE env (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  secret INTEGER NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (space_id, secret, key)
);
)sql";

constexpr char kSchemaV2Likes[] = R"sql(
CREATE TABLE likes (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, space_id)
);
CREATE INDEX likes_by_space ON likes(space_id, created_at);
)sql";

constexpr char kSchemaV3DuplicatedFrom[] = R"sql(
ALTER TABLE spaces ADD COLUMN duplicated_from INTEGER REFERENCES spaces(id) ON DELETE SET NULL;
CREATE INDEX spaces_by_duplicated_from ON spaces(duplicated_from);
)sql";

// Accounts: passwords, sessions (by id hash), organizations and their
// members, and a Space's visibility (is_private stays, equal to
// visibility = 'private', so listings keep one cheap filter).
constexpr char kSchemaV5Accounts[] = R"sql(
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE TABLE organizations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE org_members (
  org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_by_user ON org_members(user_id);
ALTER TABLE spaces ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
  CHECK (visibility IN ('public', 'protected', 'private'));
UPDATE spaces SET visibility = 'private' WHERE is_private = 1;
)sql";

constexpr char kSchemaV6Gates[] = R"sql(
CREATE TABLE space_gates (
  space_id INTEGER PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
  mode TEXT NOT NULL CHECK (mode IN ('auto', 'manual'))
);
CREATE TABLE access_requests (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
  fields TEXT NOT NULL DEFAULT '{}',
  rejection_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (space_id, user_id)
);
CREATE INDEX access_requests_by_status ON access_requests(space_id, status, created_at);
)sql";

// Embed links: only the hash of each link's secret is kept.
constexpr char kSchemaV7EmbedLinks[] = R"sql(
CREATE TABLE embed_links (
  id TEXT PRIMARY KEY,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  created_by INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX embed_links_by_space ON embed_links(space_id, created_at);
)sql";

// "Sign in with Spaceport" consent: which user allowed which Space's OAuth
// client, for which scopes.
constexpr char kSchemaV8OAuthGrants[] = R"sql(
CREATE TABLE oauth_grants (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  scopes TEXT NOT NULL,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, space_id)
);
CREATE INDEX oauth_grants_by_space ON oauth_grants(space_id);
)sql";

Result<bool> IsApplied(SqliteDb& db, int version) {
  ASSIGN_OR_RETURN(auto stmt, db.Prepare("SELECT 1 FROM schema_version WHERE version = ?"));
  stmt->Bind(1, int64_t{version});
  return stmt->Step();
}

// Returns whether the step ran (another process may have applied it first).
Result<bool> ApplyOne(SqliteDb& db, const Migration& m) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  // Re-read under the write lock: another process may have migrated meanwhile.
  Result<bool> applied = IsApplied(db, m.version);
  if (applied.ok() && *applied) {
    (void)db.Exec("ROLLBACK");
    return false;
  }
  Status s = applied.status();
  if (s.ok()) s = db.Exec(m.sql);
  if (s.ok()) {
    auto stmt = db.Prepare("INSERT INTO schema_version (version, description) VALUES (?, ?)");
    s = stmt.ok() ? (*stmt)->Bind(1, int64_t{m.version}).Bind(2, m.description).Run() : stmt.status();
  }
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) {
    (void)db.Exec("ROLLBACK");
    return s.WithContext("schema migration " + std::to_string(m.version) + " (" + m.description + ")");
  }
  return true;
}

// The persistent storage tier a Space asked for ('': the host's default).
constexpr char kSchemaV9Storage[] = R"sql(
ALTER TABLE spaces ADD COLUMN storage TEXT NOT NULL DEFAULT '';
)sql";

// The ledger (store/billing_store.h). Transfers are immutable; balances is
// a cache of their sums per account, written in the same transaction.
constexpr char kSchemaV10Billing[] = R"sql(
CREATE TABLE ledger_transfers (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  debit TEXT NOT NULL,
  credit TEXT NOT NULL CHECK (credit <> debit),
  amount INTEGER NOT NULL CHECK (amount > 0),
  kind TEXT NOT NULL,
  space_id INTEGER NOT NULL DEFAULT 0,
  ref TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL
);
CREATE INDEX ledger_transfers_by_debit ON ledger_transfers(debit, seq);
CREATE INDEX ledger_transfers_by_credit ON ledger_transfers(credit, seq);
CREATE INDEX ledger_transfers_by_space ON ledger_transfers(space_id, at);
CREATE TABLE ledger_balances (
  account TEXT PRIMARY KEY,
  balance INTEGER NOT NULL,
  CHECK (account NOT LIKE 'wallet:%' OR balance >= 0)
) WITHOUT ROWID;
CREATE TABLE ledger_holds (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  state TEXT NOT NULL CHECK (state IN ('open', 'posted', 'voided')),
  created_at INTEGER NOT NULL,
  resolved_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX ledger_holds_open ON ledger_holds(state) WHERE state = 'open';
CREATE TABLE subscriptions (
  user_id INTEGER NOT NULL,
  space_id INTEGER NOT NULL,
  plan TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('active', 'lapsed', 'cancelled')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, space_id)
);
CREATE INDEX subscriptions_active ON subscriptions(state, period_end);
)sql";

// Requests counted by the edge per Space and UTC hour (the ledger has the
// money; these are the counts it does not).
constexpr char kSchemaV11Usage[] = R"sql(
CREATE TABLE space_usage (
  space_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  free INTEGER NOT NULL DEFAULT 0,
  refused INTEGER NOT NULL DEFAULT 0,
  limited INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (space_id, hour)
) WITHOUT ROWID;
)sql";

// The directory (store/directory_store.h): likes as a counter kept by
// triggers, the full-text index (rowid = docid, static rank order; columns
// only, no positions: no phrase queries, a smaller index) and the
// directory's signals per Space. Deleting a Space deletes its document;
// renaming it renames the document's owner and name.
constexpr char kSchemaV12Directory[] = R"sql(
ALTER TABLE spaces ADD COLUMN likes_count INTEGER NOT NULL DEFAULT 0;
UPDATE spaces SET likes_count = (SELECT COUNT(*) FROM likes l WHERE l.space_id = spaces.id);
CREATE INDEX spaces_by_likes ON spaces(likes_count, created_at, id);
CREATE TRIGGER likes_count_up AFTER INSERT ON likes BEGIN
  UPDATE spaces SET likes_count = likes_count + 1 WHERE id = new.space_id;
END;
CREATE TRIGGER likes_count_down AFTER DELETE ON likes BEGIN
  UPDATE spaces SET likes_count = likes_count - 1 WHERE id = old.space_id;
END;
CREATE TABLE directory_docs (
  space_id INTEGER PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
  docid INTEGER NOT NULL UNIQUE,
  verified INTEGER NOT NULL DEFAULT 0,
  abandoned INTEGER NOT NULL DEFAULT 0,
  duplicate_of INTEGER NOT NULL DEFAULT 0,
  hidden INTEGER NOT NULL DEFAULT 0,
  trending_milli INTEGER NOT NULL DEFAULT 0
);
CREATE VIRTUAL TABLE directory_fts USING fts5(
  owner, name, title, description, tags, refs, readme,
  prefix = '2 3 4', detail = column, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER directory_docs_gone AFTER DELETE ON directory_docs BEGIN
  DELETE FROM directory_fts WHERE rowid = old.docid;
END;
CREATE TRIGGER directory_space_renamed AFTER UPDATE OF owner, name ON spaces BEGIN
  UPDATE directory_fts SET owner = new.owner, name = new.name
   WHERE rowid = (SELECT docid FROM directory_docs WHERE space_id = new.id);
END;
)sql";

// Owners, names and titles again, in an index of their own: "the best
// title matches" of a word found in most READMEs but few titles is then a
// walk of its few title entries, not of all its matches.
constexpr char kSchemaV13DirectoryTitles[] = R"sql(
CREATE VIRTUAL TABLE directory_titles USING fts5(
  owner, name, title,
  prefix = '2 3 4', detail = column, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO directory_titles (rowid, owner, name, title) SELECT rowid, owner, name, title FROM directory_fts;
DROP TRIGGER directory_docs_gone;
CREATE TRIGGER directory_docs_gone AFTER DELETE ON directory_docs BEGIN
  DELETE FROM directory_fts WHERE rowid = old.docid;
  DELETE FROM directory_titles WHERE rowid = old.docid;
END;
DROP TRIGGER directory_space_renamed;
CREATE TRIGGER directory_space_renamed AFTER UPDATE OF owner, name ON spaces BEGIN
  UPDATE directory_fts SET owner = new.owner, name = new.name
   WHERE rowid = (SELECT docid FROM directory_docs WHERE space_id = new.id);
  UPDATE directory_titles SET owner = new.owner, name = new.name
   WHERE rowid = (SELECT docid FROM directory_docs WHERE space_id = new.id);
END;
)sql";

// The directory's signals: health probes, traffic per day (trending,
// abandoned), fingerprints for near-duplicates, archiving and flagged like
// bursts. trending_milli becomes a key that orders by the current score
// (directory/trending.h); the old values were never set.
constexpr char kSchemaV14DirectorySignals[] = R"sql(
ALTER TABLE directory_docs RENAME COLUMN trending_milli TO trending_key;
UPDATE directory_docs SET trending_key = 0;
ALTER TABLE directory_docs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directory_docs ADD COLUMN like_burst_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directory_docs ADD COLUMN next_probe_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX directory_docs_by_probe ON directory_docs(next_probe_at);
CREATE TABLE directory_probes (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  status INTEGER NOT NULL,
  woke INTEGER NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (space_id, at)
) WITHOUT ROWID;
CREATE TABLE directory_traffic (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  day INTEGER NOT NULL,
  visitors INTEGER NOT NULL DEFAULT 0,
  answers INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (space_id, day)
) WITHOUT ROWID;
CREATE TABLE directory_fingerprints (
  space_id INTEGER PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
  files_key TEXT NOT NULL,
  minhash BLOB NOT NULL
);
CREATE INDEX directory_fingerprints_by_files ON directory_fingerprints(files_key);
CREATE TABLE directory_lsh (
  band INTEGER NOT NULL,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  PRIMARY KEY (band, space_id)
) WITHOUT ROWID;
CREATE INDEX directory_lsh_by_space ON directory_lsh(space_id);
)sql";

// Moderation: reports of Spaces, the moderators' audit log, disabled Spaces
// (the notice their app answers with), suspended users, and the count of
// reports the directory ranks by.
constexpr char kSchemaV15Moderation[] = R"sql(
ALTER TABLE spaces ADD COLUMN disabled TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directory_docs ADD COLUMN reports INTEGER NOT NULL DEFAULT 0;
CREATE TABLE space_reports (
  id INTEGER PRIMARY KEY,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  reporter_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  created_at INTEGER NOT NULL,
  resolved_at INTEGER NOT NULL DEFAULT 0,
  resolution TEXT NOT NULL DEFAULT ''
);
CREATE INDEX space_reports_by_status ON space_reports(status, id);
CREATE INDEX space_reports_by_space ON space_reports(space_id, status);
CREATE INDEX space_reports_by_reporter ON space_reports(reporter_id, created_at);
CREATE TABLE moderation_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  space TEXT NOT NULL,
  user TEXT NOT NULL,
  report_id INTEGER NOT NULL,
  note TEXT NOT NULL
);
)sql";

// Collections: curated lists of Spaces (HF's shape), titles unique per
// owner, items in order with a note.
constexpr char kSchemaV16Collections[] = R"sql(
CREATE TABLE collections (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  private INTEGER NOT NULL DEFAULT 0,
  theme TEXT NOT NULL DEFAULT '',
  position INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (owner COLLATE NOCASE, title COLLATE NOCASE)
);
CREATE INDEX collections_by_updated ON collections(updated_at);
CREATE TABLE collection_items (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  UNIQUE (collection_id, space_id)
);
CREATE INDEX collection_items_by_space ON collection_items(space_id);
)sql";

// Listing by trending walks this index instead of sorting every Space.
constexpr char kSchemaV17TrendingIndex[] = R"sql(
CREATE INDEX directory_docs_by_trending ON directory_docs(trending_key);
)sql";

}  // namespace

const std::vector<Migration>& SchemaMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "users, tokens, spaces, builds, env", kSchemaV1},
      {2, "likes", kSchemaV2Likes},
      {3, "spaces.duplicated_from", kSchemaV3DuplicatedFrom},
      {5, "accounts: passwords, sessions, organizations, visibility", kSchemaV5Accounts},
      {6, "gated Spaces and access requests", kSchemaV6Gates},
      {7, "embed links", kSchemaV7EmbedLinks},
      {8, "OAuth consent grants", kSchemaV8OAuthGrants},
      {9, "spaces.storage", kSchemaV9Storage},
      {10, "billing: ledger transfers, balances, holds, subscriptions", kSchemaV10Billing},
      {11, "usage counters per Space and hour", kSchemaV11Usage},
      {12, "directory: likes counter, full-text index, signals", kSchemaV12Directory},
      {13, "directory: title index", kSchemaV13DirectoryTitles},
      {14, "directory: probes, traffic, fingerprints, archiving", kSchemaV14DirectorySignals},
      {15, "moderation: reports, audit log, disabled Spaces, suspended users", kSchemaV15Moderation},
      {16, "collections", kSchemaV16Collections},
      {17, "directory: trending index", kSchemaV17TrendingIndex},
  };
  return kMigrations;
}

Result<int> SchemaVersion(SqliteDb& db) {
  RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY, description TEXT NOT NULL)"));
  ASSIGN_OR_RETURN(auto stmt, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? static_cast<int>(stmt->Int(0)) : 0;
}

Result<int> ApplyMigrations(SqliteDb& db, const std::vector<Migration>& migrations) {
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return Status::FailedPrecondition("database schema version " + std::to_string(current) +
                                      " is newer than this Spaceport (" + std::to_string(latest) + ")");
  }
  int applied = 0;
  // Every step not yet recorded runs, even below the highest applied one:
  // steps numbered in parallel branches may land in either order.
  for (const Migration& m : migrations) {
    ASSIGN_OR_RETURN(bool done, IsApplied(db, m.version));
    if (done) continue;
    ASSIGN_OR_RETURN(bool ran, ApplyOne(db, m));
    if (ran) ++applied;
  }
  return applied;
}

Result<std::unique_ptr<SqliteDb>> OpenMigrated(const std::string& path, const std::string& what) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  Result<int> applied = ApplyMigrations(*db, SchemaMigrations());
  if (!applied.ok()) return applied.status().WithContext("opening " + what + " in " + path);
  return db;
}

}  // namespace spaceport::store::sqlite
