// SQLite-specific store tests: URL dispatch, encryption at rest as seen in the
// database file, connection settings and schema migrations.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"
#include "store/testing/store_backends.h"

namespace spaceport::store::sqlite {
namespace {

using store::testing::TempDir;

const std::string kKey(32, 'k');

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A read-only look at the database file through the sqlite3 C API.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr); }
  ~RawDb() { sqlite3_close(db_); }
  // The first column of the first row of `sql`, as bytes.
  std::string One(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out = "<error>";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      const void* data = sqlite3_column_blob(st, 0);
      out.assign(static_cast<const char*>(data ? data : ""), sqlite3_column_bytes(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(StoreOpenTest, RejectsUnknownSchemes) {
  auto bad = Store::Open({.url = "mysql://user:pw@host/db"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("pw"), std::string::npos) << "must not echo credentials";
  EXPECT_EQ(Store::Open({.url = "sqlite:"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Store::Open({.url = ""}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Store::Open({.url = "sqlite::memory:"}).ok());
}

TEST(StoreOpenTest, UnopenablePathIsAnError) {
  auto result = Store::Open({.url = "sqlite:/nonexistent-dir/sub/x.db"});
  EXPECT_FALSE(result.ok());
}

TEST(StoreNamesTest, NamesEnums) {
  EXPECT_EQ(TokenScopeName(TokenScope::kRead), "read");
  EXPECT_EQ(TokenScopeName(TokenScope::kWrite), "write");
  EXPECT_EQ(BuildStatusName(BuildStatus::kQueued), "queued");
  EXPECT_EQ(BuildStatusName(BuildStatus::kRunning), "running");
  EXPECT_EQ(BuildStatusName(BuildStatus::kSucceeded), "succeeded");
  EXPECT_EQ(BuildStatusName(BuildStatus::kFailed), "failed");
  EXPECT_EQ(BuildStatusName(BuildStatus::kCancelled), "cancelled");
}

TEST(SqliteStoreTest, SecretsAreEncryptedAtRest) {
  TempDir dir;
  std::string path = dir.path() + "/s.db";
  const std::string kSecret = "plaintext-secret-value-0123456789";
  const std::string kVariable = "plaintext-variable-value-987654";
  {
    auto store = Store::Open({.url = "sqlite:" + path, .secrets_key = kKey});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto space = (*store)->CreateSpace({.owner = "alice", .name = "demo"}, 1);
    ASSERT_TRUE(space.ok());
    ASSERT_TRUE((*store)->SetEnv(space->id, {.key = "A", .value = kSecret, .secret = true}).ok());
    ASSERT_TRUE((*store)->SetEnv(space->id, {.key = "B", .value = kSecret, .secret = true}).ok());
    ASSERT_TRUE((*store)->SetEnv(space->id, {.key = "V", .value = kVariable}).ok());

    // While open: the rows as the database holds them (WAL included).
    RawDb raw(path);
    std::string a = raw.One("SELECT value FROM env WHERE key = 'A'");
    std::string b = raw.One("SELECT value FROM env WHERE key = 'B'");
    EXPECT_EQ(a.size(), 24 + 16 + kSecret.size());  // nonce || ciphertext+tag
    EXPECT_EQ(a.find(kSecret), std::string::npos);
    EXPECT_NE(a, b) << "a fresh nonce per value";
    EXPECT_EQ(raw.One("SELECT value FROM env WHERE key = 'V'"), kVariable);
  }
  // After close: no file of the database holds the plaintext secret; the
  // variable is there, which shows the scan can find what is stored.
  std::string bytes = ReadFile(path) + ReadFile(path + "-wal");
  EXPECT_EQ(bytes.find(kSecret), std::string::npos);
  EXPECT_NE(bytes.find(kVariable), std::string::npos);
}

TEST(SqliteStoreTest, FileDatabaseUsesWal) {
  TempDir dir;
  std::string path = dir.path() + "/w.db";
  auto store = Store::Open({.url = "sqlite:" + path});
  ASSERT_TRUE(store.ok());
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");
}

TEST(SqliteDbTest, ForeignKeysAndConstraintCodes) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE p (id INTEGER PRIMARY KEY, n TEXT UNIQUE CHECK (n <> 'bad'));"
                          "CREATE TABLE c (p INTEGER NOT NULL REFERENCES p(id));")
                  .ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO p VALUES (1, 'x')").ok());
  EXPECT_EQ((*db)->Exec("INSERT INTO p VALUES (2, 'x')").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*db)->Exec("INSERT INTO p VALUES (1, 'y')").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*db)->Exec("INSERT INTO p VALUES (3, 'bad')").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*db)->Exec("INSERT INTO c VALUES (99)").code(), StatusCode::kNotFound);
  EXPECT_EQ((*db)->Exec("INSERT INTO c VALUES (NULL)").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*db)->Exec("SELEKT 1").code(), StatusCode::kInternal);
  EXPECT_FALSE((*db)->Prepare("SELECT * FROM missing").ok());
}

TEST(MigrationsTest, ReopeningDoesNotRerunMigrations) {
  TempDir dir;
  std::string path = dir.path() + "/m.db";
  const int latest = SchemaMigrations().back().version;
  {
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    auto applied = ApplyMigrations(**db, SchemaMigrations());
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_EQ(*applied, static_cast<int>(SchemaMigrations().size()));
  }
  for (int i = 0; i < 2; ++i) {
    auto store = Store::Open({.url = "sqlite:" + path});  // would fail if step 1 re-ran
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*SchemaVersion(**db), latest);
  EXPECT_EQ(*ApplyMigrations(**db, SchemaMigrations()), 0);
  RawDb raw(path);
  EXPECT_EQ(raw.One("SELECT COUNT(*) || '' FROM schema_version"), std::to_string(SchemaMigrations().size()));
}

TEST(MigrationsTest, AppendedStepsRunOnceInOrder) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db.ok());
  std::vector<Migration> steps = {{1, "one", "CREATE TABLE a (x INTEGER);"}};
  EXPECT_EQ(*ApplyMigrations(**db, steps), 1);
  steps.push_back({2, "two", "ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES (1, 'z');"});
  steps.push_back({3, "three", "CREATE TABLE b (x INTEGER);"});
  EXPECT_EQ(*ApplyMigrations(**db, steps), 2);
  EXPECT_EQ(*ApplyMigrations(**db, steps), 0);
  EXPECT_EQ(*SchemaVersion(**db), 3);
  EXPECT_TRUE((*db)->Exec("INSERT INTO b VALUES (1)").ok());
}

TEST(MigrationsTest, AStepMergedBelowTheHighestStillRuns) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db.ok());
  std::vector<Migration> steps = {{1, "one", "CREATE TABLE a (x INTEGER);"}, {3, "three", "CREATE TABLE c (x);"}};
  EXPECT_EQ(*ApplyMigrations(**db, steps), 2);
  steps.insert(steps.begin() + 1, {2, "two, from another branch", "CREATE TABLE b (x INTEGER);"});
  EXPECT_EQ(*ApplyMigrations(**db, steps), 1);
  EXPECT_TRUE((*db)->Exec("INSERT INTO b VALUES (1)").ok());
  EXPECT_EQ(*ApplyMigrations(**db, steps), 0);
}

TEST(MigrationsTest, FailingStepRollsBackCompletely) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db.ok());
  std::vector<Migration> steps = {{1, "one", "CREATE TABLE a (x INTEGER);"},
                                  {2, "broken", "CREATE TABLE half (x INTEGER); NOT SQL;"}};
  auto result = ApplyMigrations(**db, steps);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("broken"), std::string::npos) << result.status().message();
  EXPECT_EQ(*SchemaVersion(**db), 1);
  EXPECT_FALSE((*db)->Prepare("SELECT * FROM half").ok()) << "step 2 must leave nothing behind";
}

TEST(MigrationsTest, RefusesDatabaseFromNewerVersion) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db.ok());
  std::vector<Migration> steps = {{1, "one", "CREATE TABLE a (x INTEGER);"}, {2, "two", "SELECT 1;"}};
  ASSERT_TRUE(ApplyMigrations(**db, steps).ok());
  steps.pop_back();
  EXPECT_EQ(ApplyMigrations(**db, steps).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace spaceport::store::sqlite
