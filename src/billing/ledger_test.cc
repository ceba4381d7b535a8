#include "billing/ledger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/testing/temp_dir.h"

namespace spaceport::billing {
namespace {

using store::BillingStore;
using store::LedgerBatch;
using store::LedgerTransfer;

// Test double of the store's billing area that counts writes and can fail
// them, around a real SQLite one.
class FlakyBillingStore : public BillingStore {
 public:
  explicit FlakyBillingStore(std::unique_ptr<BillingStore> inner) : inner_(std::move(inner)) {}
  Result<std::vector<std::string>> Apply(const LedgerBatch& batch, int64_t now) override {
    {
      std::unique_lock lock(gate_mu);
      gate_cv.wait(lock, [&] { return !gate_closed; });
    }
    ++applies;
    if (fail_writes.load() > 0) {
      --fail_writes;
      return Status::Unavailable("disk on fire (injected)");
    }
    return inner_->Apply(batch, now);
  }
  Result<int64_t> VoidOpenHolds(int64_t now) override { return inner_->VoidOpenHolds(now); }
  Result<std::vector<std::pair<std::string, int64_t>>> Balances() override { return inner_->Balances(); }
  Result<int64_t> Balance(std::string_view a) override { return inner_->Balance(a); }
  Result<std::vector<std::pair<std::string, int64_t>>> SumsFromTransfers() override { return inner_->SumsFromTransfers(); }
  Result<std::vector<LedgerTransfer>> ListTransfers(std::string_view a, int64_t b, int64_t l) override {
    return inner_->ListTransfers(a, b, l);
  }
  Result<std::vector<LedgerTransfer>> AllTransfers(int64_t a, int64_t l) override { return inner_->AllTransfers(a, l); }
  Result<LedgerTransfer> GetTransfer(std::string_view id) override { return inner_->GetTransfer(id); }
  Result<int64_t> CountOpenHolds() override { return inner_->CountOpenHolds(); }
  Result<std::vector<std::pair<int64_t, int64_t>>> SumsBySpace(std::string_view k, std::string_view c) override {
    return inner_->SumsBySpace(k, c);
  }
  Result<int64_t> SumBetween(std::string_view d, std::string_view c) override { return inner_->SumBetween(d, c); }
  Status AddUsage(const std::vector<store::UsageCount>& c) override { return inner_->AddUsage(c); }
  Result<std::vector<store::UsagePoint>> Usage(int64_t s, int64_t f, int64_t t, int64_t b, int64_t p) override {
    return inner_->Usage(s, f, t, b, p);
  }
  Status PutSubscription(const store::Subscription& s) override { return inner_->PutSubscription(s); }
  Result<store::Subscription> GetSubscription(int64_t u, int64_t s) override { return inner_->GetSubscription(u, s); }
  Result<std::vector<store::Subscription>> ListSubscriptions(int64_t u) override { return inner_->ListSubscriptions(u); }
  Result<std::vector<store::Subscription>> ListActiveSubscriptions() override {
    return inner_->ListActiveSubscriptions();
  }

  std::atomic<int> applies{0};
  std::atomic<int> fail_writes{0};
  // Closed: writes wait (so that what is queued meanwhile forms one batch).
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_closed = false;
  void SetGate(bool closed) {
    {
      std::lock_guard lock(gate_mu);
      gate_closed = closed;
    }
    gate_cv.notify_all();
  }

 private:
  std::unique_ptr<BillingStore> inner_;
};

LedgerTransfer TopUp(const std::string& id, int64_t user, Micros amount) {
  LedgerTransfer t;
  t.id = id;
  t.debit = std::string(kFundingAccount);
  t.credit = WalletAccount(user);
  t.amount = amount;
  t.kind = "topup";
  return t;
}

// Every test runs with charges written to the store directly and through
// the journal (GetParam()); in the journal's case a restart is a crash: the
// journal is not folded at shutdown but replayed by the next Open.
class LedgerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto inner = store::OpenSqliteBillingStore(dir_.path() + "/spaceport.db");
    ASSERT_TRUE(inner.ok()) << inner.status().ToString();
    store_ = std::make_unique<FlakyBillingStore>(std::move(*inner));
    Reopen();
  }
  void Reopen() {
    ledger_.reset();
    auto ledger = Ledger::Open(store_.get(), &clock_,
                               {.fee_percent = 10,
                                .journal_dir = GetParam() ? dir_.path() + "/journal" : "",
                                .fold_at_shutdown = false,
                                .fold_in_background = false});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
  }
  bool journaled() const { return GetParam(); }
  Result<Charge> PostAndWait(const std::string& hold, Micros cost, const std::string& owner = "bob") {
    std::promise<Result<Charge>> p;
    ledger_->Post(hold, cost, owner, 7, [&p](Result<Charge> c) { p.set_value(std::move(c)); });
    return p.get_future().get();
  }

  FakeClock clock_;
  spaceport::testing::TempDir dir_;
  std::unique_ptr<FlakyBillingStore> store_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_P(LedgerTest, HoldChargeSplitsTheFeeAndReleasesTheRest) {
  ASSERT_TRUE(*ledger_->Transfer(TopUp("t1", 1, 1'000'000)));
  EXPECT_FALSE(*ledger_->Transfer(TopUp("t1", 1, 1'000'000)));  // the same id: nothing new
  EXPECT_EQ(ledger_->Wallet(1).balance, 1'000'000);
  auto hold = ledger_->Hold(1, 50'000);
  ASSERT_TRUE(hold);
  EXPECT_EQ(ledger_->Wallet(1).held, 50'000);
  EXPECT_EQ(ledger_->Wallet(1).available(), 950'000);
  auto charge = PostAndWait(*hold, 12'345);
  ASSERT_TRUE(charge.ok()) << charge.status().ToString();
  EXPECT_EQ(charge->cost, 12'345);
  EXPECT_EQ(charge->balance, 1'000'000 - 12'345);
  EXPECT_EQ(ledger_->Wallet(1).held, 0);
  // On disk when `done` ran (in the journal: a crash now loses nothing): 10%
  // (rounded down) to the platform, the rest to the owner.
  if (journaled()) Reopen();
  EXPECT_EQ(*store_->Balance("wallet:1"), 987'655);
  EXPECT_EQ(*store_->Balance("platform:fees"), 1'234);
  EXPECT_EQ(*store_->Balance("earnings:bob"), 11'111);
  // A cost above the hold is capped at it; a negative one is nothing.
  auto capped = ledger_->Hold(1, 100);
  EXPECT_EQ(PostAndWait(*capped, 5'000)->cost, 100);
  auto free = ledger_->Hold(1, 100);
  EXPECT_EQ(PostAndWait(*free, -3)->cost, 0);
  // A hold resolves once.
  EXPECT_EQ(PostAndWait(*capped, 1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(PostAndWait("nope", 1).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(LedgerTest, NoWalletGoesBelowZero) {
  ASSERT_TRUE(ledger_->Transfer(TopUp("t1", 1, 100)).ok());
  auto a = ledger_->Hold(1, 60);
  ASSERT_TRUE(a);
  EXPECT_FALSE(ledger_->Hold(1, 41));  // 40 left available
  auto b = ledger_->Hold(1, 40);
  ASSERT_TRUE(b);
  EXPECT_FALSE(ledger_->Hold(2, 1));  // an empty wallet
  EXPECT_TRUE(ledger_->Hold(2, 0));   // a free request holds nothing
  // A debit of the wallet (a plan payment) only from what is available.
  LedgerTransfer pay{"sub:1", "wallet:1", "earnings:bob", 1, "subscription"};
  EXPECT_EQ(ledger_->Transfer(pay).status().code(), StatusCode::kPaymentRequired);
  ledger_->Void(*a);
  EXPECT_TRUE(*ledger_->Transfer(pay));
  EXPECT_EQ(ledger_->Wallet(1).balance, 99);
}

// Many requests settle concurrently: every charge lands, in fewer writes
// than charges (one fsync serves many).
TEST_P(LedgerTest, GroupCommitSharesWrites) {
  ASSERT_TRUE(ledger_->Transfer(TopUp("t1", 1, 10'000'000)).ok());
  const int before = store_->applies.load();
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto hold = ledger_->Hold(1, 1000);
        if (!hold) continue;
        std::promise<void> done;
        ledger_->Post(*hold, 1000, "bob", 7, [&](Result<Charge> c) {
          if (c.ok()) ++ok;
          done.set_value();
        });
        done.get_future().wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  ASSERT_TRUE(ledger_->Flush().ok());
  EXPECT_EQ(*store_->Balance("wallet:1"), 10'000'000 - kThreads * kEach * 1000);
  EXPECT_LT(store_->applies.load() - before, kThreads * kEach);
}

// A write that fails fails its callers (no answer claims a charge that is
// not stored) and memory goes back to what the store holds.
TEST_P(LedgerTest, AFailedWriteFailsItsChargesAndMemoryFollowsTheStore) {
  ASSERT_TRUE(ledger_->Transfer(TopUp("t1", 1, 1000)).ok());
  store_->fail_writes = 1;
  auto hold = ledger_->Hold(1, 300);
  auto charge = PostAndWait(*hold, 300);
  if (journaled()) {
    // The charge is in the journal: made. The store's failure fails a fold,
    // which is tried again; nothing is lost, nothing counted twice.
    ASSERT_TRUE(charge.ok()) << charge.status().ToString();
    store_->fail_writes = 1;
    EXPECT_EQ(ledger_->Flush().code(), StatusCode::kUnavailable);
    EXPECT_EQ(ledger_->Wallet(1).balance, 700);
    ASSERT_TRUE(ledger_->Flush().ok());
    EXPECT_EQ(*store_->Balance("wallet:1"), 700);
    EXPECT_EQ(ledger_->Wallet(1).balance, 700);
    return;
  }
  EXPECT_EQ(charge.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ledger_->Wallet(1).balance, 1000);
  EXPECT_EQ(*store_->Balance("wallet:1"), 1000);
  store_->fail_writes = 1;
  EXPECT_EQ(ledger_->Transfer(TopUp("t2", 1, 5)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ledger_->Wallet(1).balance, 1000);
  EXPECT_EQ(ledger_->Wallet(1).held, 0);
  EXPECT_TRUE(*ledger_->Transfer(TopUp("t2", 1, 5)));  // a retry goes through
  EXPECT_EQ(ledger_->Wallet(1).balance, 1005);
}

// The same event delivered twice while a write is under way lands in one
// batch: stored once, and credited in memory once.
TEST_P(LedgerTest, TheSameIdTwiceInOneBatchCountsOnce) {
  store_->SetGate(true);
  std::thread first([&] { EXPECT_TRUE(*ledger_->Transfer(TopUp("a", 1, 100))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer took it and waits at the gate
  std::atomic<int> fresh{0}, again{0};
  std::thread b([&] { *ledger_->Transfer(TopUp("dup", 1, 7)) ? ++fresh : ++again; });
  std::thread c([&] { *ledger_->Transfer(TopUp("dup", 1, 7)) ? ++fresh : ++again; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both queued behind the gate
  store_->SetGate(false);
  first.join();
  b.join();
  c.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(again.load(), 1);
  EXPECT_EQ(ledger_->Wallet(1).balance, 107);
  EXPECT_EQ(*store_->Balance("wallet:1"), 107);
}

// A retried debit that was stored before is not refused for what it spent.
TEST_P(LedgerTest, ARetriedPaymentIsNotRefusedForItsOwnSpending) {
  ASSERT_TRUE(ledger_->Transfer(TopUp("t", 1, 100)).ok());
  LedgerTransfer pay{"plan:1", "wallet:1", "earnings:bob", 80, "subscription"};
  EXPECT_TRUE(*ledger_->Transfer(pay));
  auto again = ledger_->Transfer(pay);  // 20 left: short, but it was paid before
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
  EXPECT_EQ(ledger_->Wallet(1).balance, 20);
}

// Acceptance 6: random top-ups, holds, posts, voids, expiries and restarts,
// each checked against a model of the balances.
TEST_P(LedgerTest, PropertyRandomOperationsMatchAModel) {
  std::mt19937 rng(20261206);
  std::map<std::string, Micros> model;  // durable balances
  struct ModelHold {
    int64_t user;
    Micros amount;
  };
  std::map<std::string, ModelHold> holds;
  auto held = [&](int64_t user) {
    Micros h = 0;
    for (const auto& [id, mh] : holds) h += mh.user == user ? mh.amount : 0;
    return h;
  };
  auto rand = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int topups = 0;
  for (int step = 0; step < 600; ++step) {
    const int64_t user = rand(1, 4);
    const std::string wallet = WalletAccount(user);
    switch (rand(0, 9)) {
      case 0:
      case 1: {  // a top-up, sometimes a replay of an earlier one
        bool replay = topups > 0 && rand(0, 3) == 0;
        std::string id = "topup:" + std::to_string(replay ? rand(0, topups - 1) : topups++);
        Micros amount = 1000 * (1 + std::hash<std::string>{}(id) % 97);
        auto r = ledger_->Transfer(TopUp(id, user, amount));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (*r) {
          model[wallet] += amount;
          model[std::string(kFundingAccount)] -= amount;
        } else {
          ASSERT_TRUE(replay) << "a fresh id was reported as stored before";
        }
        break;
      }
      case 2:
      case 3:
      case 4: {  // a hold
        Micros amount = rand(0, 30'000);
        auto h = ledger_->Hold(user, amount);
        bool can = model[wallet] - held(user) >= amount;
        ASSERT_EQ(h.has_value(), can) << "step " << step;
        if (h) holds[*h] = {user, amount};
        break;
      }
      case 5:
      case 6:
      case 7: {  // settle a hold: post (maybe above its amount) or void
        if (holds.empty()) break;
        auto it = std::next(holds.begin(), rand(0, static_cast<int64_t>(holds.size()) - 1));
        std::string id = it->first;
        ModelHold mh = it->second;
        holds.erase(it);
        if (rand(0, 3) == 0) {
          ledger_->Void(id);
          break;
        }
        Micros cost = std::min<Micros>(rand(-10, 40'000), mh.amount);
        cost = std::max<Micros>(cost, 0);
        std::string owner = rand(0, 1) ? "bob" : "org-" + std::to_string(user % 2);
        auto c = PostAndWait(id, cost == mh.amount && rand(0, 1) ? mh.amount + 999 : cost, owner);
        ASSERT_TRUE(c.ok()) << c.status().ToString();
        ASSERT_EQ(c->cost, cost);
        Micros fee = cost * 10 / 100;
        model[WalletAccount(mh.user)] -= cost;
        model[EarningsAccount(owner)] += cost - fee;
        model[std::string(kFeesAccount)] += fee;
        ASSERT_EQ(c->balance, model[WalletAccount(mh.user)]);
        break;
      }
      case 8: {  // expiry: the oldest hold is given up
        if (holds.empty()) break;
        ledger_->Void(holds.begin()->first);
        holds.erase(holds.begin());
        break;
      }
      case 9: {  // a restart: what was written stays, holds (in memory) are gone as after a crash
        if (rand(0, 4) != 0) break;
        Reopen();
        holds.clear();  // held only in memory: a restart voids them
        break;
      }
    }
    // After every step: memory agrees with the model.
    for (int64_t u = 1; u <= 4; ++u) {
      WalletView w = ledger_->Wallet(u);
      ASSERT_EQ(w.balance, model[WalletAccount(u)]) << "step " << step << " user " << u;
      ASSERT_EQ(w.held, held(u)) << "step " << step << " user " << u;
      ASSERT_GE(w.available(), 0);
    }
    if (step % 50 == 49) {  // and the store, once written
      ASSERT_TRUE(ledger_->Flush().ok());
      auto stored = store_->Balances();
      auto summed = store_->SumsFromTransfers();
      ASSERT_TRUE(stored.ok() && summed.ok());
      Micros total = 0;
      for (const auto& [account, balance] : *stored) {
        total += balance;
        ASSERT_EQ(balance, model[account]) << account << " at step " << step;
        if (account.rfind("wallet:", 0) == 0) {
          ASSERT_GE(balance, 0);
        }
      }
      ASSERT_EQ(total, 0);
      ASSERT_EQ(*stored, *summed);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Writes, LedgerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Journal" : "Direct"; });

}  // namespace
}  // namespace spaceport::billing
