// The PostgreSQL backend's own tests (the conformance suites cover its
// behaviour as a Store): migrating from several processes at once, refusing
// a newer schema, and living through a lost connection. Needs the test
// server scripts/test starts (store/testing/pg_test_database.h).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migrations.h"
#include "store/store.h"
#include "store/testing/pg_test_database.h"

namespace spaceport::store::postgres {
namespace {

using testing::PgTestDatabase;

const std::string kKey(32, 'k');

TEST(PostgresStoreTest, NodesOpeningAnEmptyDatabaseAtOnceMigrateItOnce) {
  PgTestDatabase db(/*empty=*/true);
  auto url = db.Url();
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  constexpr int kNodes = 4;
  std::vector<Status> opened(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] { opened[i] = Store::Open({.url = *url, .secrets_key = kKey}).status(); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : opened) EXPECT_TRUE(s.ok()) << s.ToString();

  auto conn = PgConn::Connect(*url);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto versions = (*conn)->Exec("SELECT version, COUNT(*) FROM schema_version GROUP BY version ORDER BY version");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->rows(), static_cast<int>(PgSchemaMigrations().size()));
  for (int i = 0; i < versions->rows(); ++i) {
    EXPECT_EQ(versions->Int(i, 0), PgSchemaMigrations()[i].version);
    EXPECT_EQ(versions->Int(i, 1), 1);
  }
  // Opening again applies nothing and keeps the data.
  auto store = Store::Open({.url = *url, .secrets_key = kKey});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->CreateUser("alice", false, 1).ok());
  auto again = Store::Open({.url = *url, .secrets_key = kKey});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->GetUserByName("ALICE").ok());
}

TEST(PostgresStoreTest, ANewerSchemaIsRefused) {
  PgTestDatabase db;
  auto url = db.Url();
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto conn = PgConn::Connect(*url);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->ExecScript("INSERT INTO schema_version VALUES (100000, 'from a newer Spaceport')").ok());
  auto store = Store::Open({.url = *url, .secrets_key = kKey});
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
}

TEST(PostgresStoreTest, ALostConnectionIsReplacedOnTheNextCall) {
  PgTestDatabase db;
  auto url = db.Url();
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto store = Store::Open({.url = *url, .secrets_key = kKey});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CreateUser("alice", false, 1).ok());

  // The server ends every session of the database (as a restart or a failover would).
  auto admin = PgConn::Connect(PgTestDatabase::ServerUrl() + "/postgres");
  ASSERT_TRUE(admin.ok());
  auto killed = (*admin)->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      PgParams().Add(url->substr(url->rfind('/') + 1)));
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_GE(killed->rows(), 1);

  // The pooled connection is dead: that call fails as Unavailable at most
  // once, and the store reconnects.
  auto first = (*store)->GetUserByName("alice");
  if (!first.ok()) EXPECT_EQ(first.status().code(), StatusCode::kUnavailable) << first.status().ToString();
  auto second = (*store)->GetUserByName("alice");
  EXPECT_TRUE(second.ok()) << second.status().ToString();
}

TEST(PostgresStoreTest, AnUnreachableServerIsUnavailable) {
  auto store =
      Store::Open({.url = "postgres://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2", .secrets_key = kKey});
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("PostgreSQL"), std::string::npos) << store.status().message();
  EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos) << "must not echo the password";
}

TEST(PostgresStoreTest, ConflictingWritersAreRetriedNotFailed) {
  PgTestDatabase db;
  auto url = db.Url();
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto store = Store::Open({.url = *url, .secrets_key = kKey});
  ASSERT_TRUE(store.ok());
  auto alice = (*store)->CreateUser("alice", false, 1);
  ASSERT_TRUE(alice.ok());
  auto bob = (*store)->CreateUser("bob", false, 1);
  ASSERT_TRUE(bob.ok());
  auto org = (*store)->CreateOrganization("acme", alice->id, 1);
  ASSERT_TRUE(org.ok());
  // Two admins demote each other at once, round after round: each demotion
  // checks that another admin remains, so under SQLite's single writer one
  // of them is refused. Here the checks conflict, PostgreSQL aborts one
  // transaction, and its retry sees the other's write and refuses.
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE((*store)->SetOrgMember(org->id, alice->id, OrgRole::kAdmin).ok());
    ASSERT_TRUE((*store)->SetOrgMember(org->id, bob->id, OrgRole::kAdmin).ok());
    Status demoted[2];
    std::thread a([&] { demoted[0] = (*store)->SetOrgMember(org->id, alice->id, OrgRole::kRead); });
    std::thread b([&] { demoted[1] = (*store)->SetOrgMember(org->id, bob->id, OrgRole::kRead); });
    a.join();
    b.join();
    int refused = 0;
    for (const Status& s : demoted) {
      if (s.code() == StatusCode::kFailedPrecondition) {
        ++refused;
      } else {
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
    EXPECT_EQ(refused, 1) << "round " << round;
    auto members = (*store)->ListOrgMembers(org->id);
    ASSERT_TRUE(members.ok());
    int admins = 0;
    for (const OrgMember& m : *members) admins += m.role == OrgRole::kAdmin;
    ASSERT_EQ(admins, 1) << "round " << round;
  }
}

}  // namespace
}  // namespace spaceport::store::postgres
