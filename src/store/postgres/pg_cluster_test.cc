// The change feed and leases on PostgreSQL (store/cluster.h), on the test
// server scripts/test starts: changes reach another node within a second
// and in order, a lost connection is resynced, and a lease changes holder
// only when it expires, with a new epoch.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/cluster.h"
#include "store/postgres/pg_db.h"
#include "store/store.h"
#include "store/testing/pg_test_database.h"

namespace spaceport::store {
namespace {

using testing::PgTestDatabase;

// Collects what a node's watcher hands over.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Change> changes;
  int resyncs = 0;

  void Add(const Change& c) {
    std::lock_guard lock(mu);
    changes.push_back(c);
    cv.notify_all();
  }
  void Resync() {
    std::lock_guard lock(mu);
    ++resyncs;
    cv.notify_all();
  }
  // Waits up to `ms` for `n` changes.
  bool WaitFor(size_t n, int ms) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return changes.size() >= n; });
  }
  bool WaitForResyncs(int n, int ms) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return resyncs >= n; });
  }
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = db_.Url();
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
  }
  std::unique_ptr<ChangeFeed> Feed(const std::string& node) {
    auto feed = OpenChangeFeed({.url = url_}, node, clock_.get());
    EXPECT_TRUE(feed.ok()) << feed.status().ToString();
    return feed.ok() ? std::move(*feed) : nullptr;
  }

  PgTestDatabase db_;
  std::string url_;
  std::unique_ptr<Clock> clock_ = MakeRealClock();
};

TEST_F(ClusterTest, ChangesReachTheOtherNodeWithinASecondInOrder) {
  auto a = Feed("a"), b = Feed("b");
  ASSERT_TRUE(a && b);
  Inbox at_a, at_b;
  ASSERT_TRUE(a->Watch([&](const Change& c) { at_a.Add(c); }, [&] { at_a.Resync(); }).ok());
  ASSERT_TRUE(b->Watch([&](const Change& c) { at_b.Add(c); }, [&] { at_b.Resync(); }).ok());
  ASSERT_TRUE(at_b.WaitForResyncs(1, 5000));  // list-then-watch: a resync before the first change
  ASSERT_TRUE(at_a.WaitForResyncs(1, 5000));

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(a->Publish("space", "s" + std::to_string(i)).ok());
  ASSERT_TRUE(at_b.WaitFor(20, 1000)) << "changes did not reach the other node within a second";
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  {
    std::lock_guard lock(at_b.mu);
    ASSERT_EQ(at_b.changes.size(), 20u);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(at_b.changes[i].key, "s" + std::to_string(i));
      EXPECT_EQ(at_b.changes[i].node, "a");
      if (i > 0) EXPECT_GT(at_b.changes[i].seq, at_b.changes[i - 1].seq);
    }
  }
  // A node is not told its own changes.
  ASSERT_TRUE(b->Publish("callers", "").ok());
  ASSERT_TRUE(at_a.WaitFor(1, 1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::lock_guard lock(at_b.mu);
  EXPECT_EQ(at_b.changes.size(), 20u);
}

TEST_F(ClusterTest, ALostConnectionResyncsAndMissesNothingAfter) {
  auto a = Feed("a"), b = Feed("b");
  ASSERT_TRUE(a && b);
  Inbox at_b;
  ASSERT_TRUE(b->Watch([&](const Change& c) { at_b.Add(c); }, [&] { at_b.Resync(); }).ok());
  ASSERT_TRUE(at_b.WaitForResyncs(1, 5000));
  // The server drops every connection of the database (a restart, a failover).
  auto admin = postgres::PgConn::Connect(PgTestDatabase::ServerUrl() + "/postgres");
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                             postgres::PgParams().Add(url_.substr(url_.rfind('/') + 1)))
                  .ok());
  ASSERT_TRUE(at_b.WaitForResyncs(2, 5000)) << "no resync after the connection was lost";
  Result<int64_t> published = Status::Unavailable("");
  for (int i = 0; i < 3 && !published.ok(); ++i) published = a->Publish("space", "after");  // its pool reconnects
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  ASSERT_TRUE(at_b.WaitFor(1, 2000));
  std::lock_guard lock(at_b.mu);
  EXPECT_EQ(at_b.changes.back().key, "after");
}

TEST_F(ClusterTest, ALeaseChangesHolderOnlyWhenItExpiresWithANewEpoch) {
  auto leases = OpenLeaseStore({.url = url_});
  ASSERT_TRUE(leases.ok()) << leases.status().ToString();
  LeaseStore& l = **leases;
  EXPECT_EQ(l.Get("runtime")->holder, "");
  auto a = l.TryAcquire("runtime", "a", "10.0.0.1:8080", 5000, 1000);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->holder, "a");
  EXPECT_EQ(a->epoch, 1);
  EXPECT_EQ(a->expires_at, 6000);
  // b is refused while a's lease runs; a renews under the same epoch.
  EXPECT_EQ(l.TryAcquire("runtime", "b", "10.0.0.2:8080", 5000, 3000)->holder, "a");
  auto renewed = l.TryAcquire("runtime", "a", "10.0.0.1:8080", 5000, 4000);
  EXPECT_EQ(renewed->epoch, 1);
  EXPECT_EQ(renewed->expires_at, 9000);
  // a stops renewing: b takes it once it expires, with a new epoch and its address.
  EXPECT_EQ(l.TryAcquire("runtime", "b", "10.0.0.2:8080", 5000, 8999)->holder, "a");
  auto b = l.TryAcquire("runtime", "b", "10.0.0.2:8080", 5000, 9000);
  EXPECT_EQ(b->holder, "b");
  EXPECT_EQ(b->epoch, 2);
  EXPECT_EQ(l.Get("runtime")->address, "10.0.0.2:8080");
  // Releasing hands it over at once; only the holder can release.
  ASSERT_TRUE(l.Release("runtime", "a").ok());
  EXPECT_EQ(l.TryAcquire("runtime", "a", "x", 5000, 9500)->holder, "b");
  ASSERT_TRUE(l.Release("runtime", "b").ok());
  auto back = l.TryAcquire("runtime", "a", "x", 5000, 9600);
  EXPECT_EQ(back->holder, "a");
  EXPECT_EQ(back->epoch, 3);
}

// A node that stalled past its lease and came back: its writes to the
// tables of singleton work are refused once another node holds the lease
// (a new epoch), while tables outside that work and unfenced processes
// write on.
TEST_F(ClusterTest, AStaleHoldersWritesAreFencedByTheEpoch) {
  auto leases = OpenLeaseStore({.url = url_});
  ASSERT_TRUE(leases.ok()) << leases.status().ToString();
  auto a = (*leases)->TryAcquire("runtime", "node a", "x", 5000, 1000);
  ASSERT_TRUE(a.ok() && a->holder == "node a");
  WriteFence fence;
  auto store = Store::Open({.url = url_, .secrets_key = std::string(32, 'k'), .fence = &fence});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto unfenced = Store::Open({.url = url_, .secrets_key = std::string(32, 'k')});
  ASSERT_TRUE(unfenced.ok()) << unfenced.status().ToString();
  ASSERT_TRUE((*store)->CreateUser("alice", false, 1).ok());
  auto space = [&](Store& through, const std::string& name) {
    Space s;
    s.owner = "alice";
    s.name = name;
    s.sdk = "static";
    return through.CreateSpace(s, 2);
  };
  fence.Set("runtime", "node a", a->epoch);
  ASSERT_TRUE(space(**store, "while-held").ok()) << "the holder's own writes were refused";

  // b takes the lease after a's expired; a has not noticed yet.
  auto b = (*leases)->TryAcquire("runtime", "b", "y", 5000, 7000);
  ASSERT_EQ(b->holder, "b");
  auto stale = space(**store, "after-losing");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition) << stale.status().ToString();
  EXPECT_NE(stale.status().message().find("fenced"), std::string::npos) << stale.status().ToString();
  EXPECT_FALSE((*store)->GetSpace("alice", "after-losing").ok()) << "the refused write left a row";
  // Accounts are not singleton work: still written.
  EXPECT_TRUE((*store)->CreateUser("carol", false, 3).ok());
  // A store opened without the fence (a front node, a tool) is not checked.
  EXPECT_TRUE(space(**unfenced, "unfenced").ok());

  // a takes the lease back later (a new epoch): fenced by that one, it writes again.
  ASSERT_TRUE((*leases)->Release("runtime", "b").ok());
  auto back = (*leases)->TryAcquire("runtime", "node a", "x", 5000, 8000);
  ASSERT_EQ(back->holder, "node a");
  fence.Set("runtime", "node a", back->epoch);
  EXPECT_TRUE(space(**store, "held-again").ok());
  fence.Set("runtime", "node a", a->epoch);  // the old epoch is refused
  EXPECT_EQ(space(**store, "old-epoch").status().code(), StatusCode::kFailedPrecondition);
  fence.Clear();
  EXPECT_TRUE(space(**store, "cleared").ok());
}

TEST_F(ClusterTest, ConcurrentAcquirersHaveOneWinner) {
  constexpr int kNodes = 6;
  std::vector<std::string> holders(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      auto leases = OpenLeaseStore({.url = url_});
      if (!leases.ok()) return;
      auto got = (*leases)->TryAcquire("builds", "n" + std::to_string(i), "", 5000, 1000);
      if (got.ok()) holders[i] = got->holder;
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& h : holders) EXPECT_EQ(h, holders[0]);
  EXPECT_FALSE(holders[0].empty());
}

TEST(ClusterOpen, SqliteHasNoCluster) {
  auto clock = MakeRealClock();
  EXPECT_EQ(OpenChangeFeed({.url = "sqlite::memory:"}, "a", clock.get()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenLeaseStore({.url = "sqlite::memory:"}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spaceport::store
