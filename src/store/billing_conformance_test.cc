// The billing area of the store (store/billing_store.h) on every backend:
// transfers idempotent by id, balances that always sum to zero, wallets that
// never go negative, holds that resolve once, crashed holds voided, pages of
// transfers, subscriptions.
#include <gtest/gtest.h>

#include <map>
#include <numeric>

#include "store/billing_store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::ConformanceTest;
using testing::kT0;

class BillingConformanceTest : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    auto billing = backend_->OpenBilling();
    ASSERT_TRUE(billing.ok()) << billing.status().ToString();
    billing_ = std::move(*billing);
  }
  static LedgerTransfer T(std::string id, std::string debit, std::string credit, int64_t amount,
                          std::string kind = "topup") {
    LedgerTransfer t;
    t.id = std::move(id);
    t.debit = std::move(debit);
    t.credit = std::move(credit);
    t.amount = amount;
    t.kind = std::move(kind);
    return t;
  }
  std::map<std::string, int64_t> BalanceMap() {
    auto b = billing_->Balances();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::map<std::string, int64_t>(b->begin(), b->end()) : std::map<std::string, int64_t>{};
  }
  void ExpectBalanced() {
    auto cached = billing_->Balances();
    auto summed = billing_->SumsFromTransfers();
    ASSERT_TRUE(cached.ok() && summed.ok());
    std::map<std::string, int64_t> c(cached->begin(), cached->end()), s(summed->begin(), summed->end());
    EXPECT_EQ(c, s);
    int64_t total = 0;
    for (const auto& [account, balance] : c) total += balance;
    EXPECT_EQ(total, 0);
  }

  std::unique_ptr<BillingStore> billing_;
};

TEST_P(BillingConformanceTest, TransfersAreIdempotentAndBalance) {
  LedgerBatch batch;
  batch.transfers = {T("stripe:evt_1", "external:funding", "wallet:1", 5'000'000),
                     T("grant:1", "external:grants", "wallet:2", 1'000'000, "grant")};
  auto fresh = billing_->Apply(batch, kT0);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(*fresh, (std::vector<std::string>{"stripe:evt_1", "grant:1"}));
  // The same event again: nothing new, nothing moves.
  auto again = billing_->Apply(batch, kT0 + 1);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(*billing_->Balance("wallet:1"), 5'000'000);
  EXPECT_EQ(*billing_->Balance("external:funding"), -5'000'000);
  EXPECT_EQ(*billing_->Balance("wallet:9"), 0);
  ExpectBalanced();
  auto t = billing_->GetTransfer("stripe:evt_1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->amount, 5'000'000);
  EXPECT_EQ(t->at, kT0);
  EXPECT_EQ(billing_->GetTransfer("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(BillingConformanceTest, RefusesBadTransfersAndOverdrafts) {
  for (const LedgerTransfer& bad : {T("", "a", "b", 1), T("x", "a", "a", 1), T("x", "a", "b", 0),
                                    T("x", "a", "b", -5), T("x", "", "b", 1), T(std::string(300, 'i'), "a", "b", 1)}) {
    LedgerBatch b;
    b.transfers = {bad};
    EXPECT_EQ(billing_->Apply(b, kT0).status().code(), StatusCode::kInvalidArgument) << bad.id;
  }
  LedgerBatch fund;
  fund.transfers = {T("t1", "external:funding", "wallet:1", 100)};
  ASSERT_TRUE(billing_->Apply(fund, kT0).ok());
  // A batch that would overdraw a wallet fails whole: its good transfer is not stored either.
  LedgerBatch over;
  over.transfers = {T("t2", "external:funding", "wallet:2", 7), T("c1", "wallet:1", "earnings:bob", 101, "charge")};
  EXPECT_EQ(billing_->Apply(over, kT0).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(billing_->GetTransfer("t2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*billing_->Balance("wallet:1"), 100);
  // Other accounts may go below zero (funding, payouts are the outside world).
  LedgerBatch exact;
  exact.transfers = {T("c2", "wallet:1", "earnings:bob", 100, "charge")};
  ASSERT_TRUE(billing_->Apply(exact, kT0).ok());
  EXPECT_EQ(*billing_->Balance("wallet:1"), 0);
  ExpectBalanced();
}

TEST_P(BillingConformanceTest, HoldsResolveOnceAndCrashedOnesAreVoided) {
  LedgerBatch open;
  open.opened = {{"h1", "wallet:1", 500, kT0}, {"h2", "wallet:1", 300, kT0}, {"h3", "wallet:2", 10, kT0}};
  ASSERT_TRUE(billing_->Apply(open, kT0).ok());
  EXPECT_EQ(*billing_->CountOpenHolds(), 3);
  LedgerBatch settle;
  settle.posted = {{"h1", "wallet:1", 500, kT0}};
  settle.voided = {{"h2", "wallet:1", 300, kT0}};
  settle.transfers = {T("t0", "external:funding", "wallet:1", 1000),
                      T("charge:h1", "wallet:1", "earnings:bob", 450, "charge"),
                      T("fee:h1", "wallet:1", "platform:fees", 50, "fee")};
  ASSERT_TRUE(billing_->Apply(settle, kT0 + 5).ok());
  EXPECT_EQ(*billing_->CountOpenHolds(), 1);
  // A hold resolves once: posting or voiding it again fails the batch.
  LedgerBatch twice;
  twice.voided = {{"h1", "wallet:1", 500, kT0}};
  twice.transfers = {T("t9", "external:funding", "wallet:1", 1)};
  EXPECT_FALSE(billing_->Apply(twice, kT0 + 6).ok());
  EXPECT_EQ(billing_->GetTransfer("t9").status().code(), StatusCode::kNotFound);
  // A hold never written open is recorded as it resolves, once.
  LedgerBatch direct;
  direct.posted = {{"h5", "wallet:1", 20, kT0}};
  EXPECT_TRUE(billing_->Apply(direct, kT0 + 6).ok());
  EXPECT_FALSE(billing_->Apply(direct, kT0 + 7).ok());
  // A replay (the journal after a crash) skips what was stored before and
  // stores the rest, moving each amount once.
  LedgerBatch replay = settle;
  replay.replay = true;
  replay.posted.push_back({"h6", "wallet:1", 5, kT0});
  replay.transfers.push_back(T("charge:h6", "wallet:1", "earnings:bob", 5, "charge"));
  auto replayed = billing_->Apply(replay, kT0 + 8);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(*replayed, std::vector<std::string>{"charge:h6"});
  EXPECT_EQ(*billing_->Balance("wallet:1"), 495);
  // At start, what a crash left open is voided.
  auto voided = billing_->VoidOpenHolds(kT0 + 10);
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(*voided, 1);
  EXPECT_EQ(*billing_->CountOpenHolds(), 0);
  EXPECT_EQ(*billing_->Balance("wallet:1"), 495);
  EXPECT_EQ(*billing_->Balance("earnings:bob"), 455);
  EXPECT_EQ(*billing_->Balance("platform:fees"), 50);
  ExpectBalanced();
}

TEST_P(BillingConformanceTest, TransfersOfAnAccountPageNewestFirst) {
  LedgerBatch batch;
  for (int i = 0; i < 7; ++i) batch.transfers.push_back(T("in" + std::to_string(i), "external:funding", "wallet:1", 10 + i));
  batch.transfers.push_back(T("out", "wallet:1", "earnings:bob", 5, "charge"));
  batch.transfers.push_back(T("other", "external:funding", "wallet:2", 1));
  ASSERT_TRUE(billing_->Apply(batch, kT0).ok());
  auto first = billing_->ListTransfers("wallet:1", 0, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].id, "out");
  EXPECT_EQ((*first)[1].id, "in6");
  EXPECT_EQ((*first)[2].id, "in5");
  auto next = billing_->ListTransfers("wallet:1", first->back().seq, 100);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 5u);
  EXPECT_EQ(next->back().id, "in0");
  auto all = billing_->AllTransfers(0, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 9u);
  EXPECT_EQ(all->front().id, "in0");
  EXPECT_LT(all->front().seq, all->back().seq);
}

TEST_P(BillingConformanceTest, SumsBySpaceAndBetweenAccounts) {
  LedgerBatch batch;
  auto t = [](std::string id, std::string debit, std::string credit, int64_t amount, std::string kind, int64_t space) {
    LedgerTransfer x = T(std::move(id), std::move(debit), std::move(credit), amount, std::move(kind));
    x.space_id = space;
    return x;
  };
  batch.transfers = {t("f", "external:funding", "wallet:1", 1000, "topup", 0),
                     t("c1", "wallet:1", "earnings:bob", 90, "charge", 7),
                     t("x1", "wallet:1", "platform:fees", 10, "fee", 7),
                     t("c2", "wallet:1", "earnings:bob", 45, "charge", 8),
                     t("x2", "wallet:1", "platform:fees", 5, "fee", 8),
                     t("c3", "wallet:1", "earnings:eve", 9, "charge", 9),
                     t("p1", "earnings:bob", "external:payouts", 100, "payout", 0)};
  ASSERT_TRUE(billing_->Apply(batch, kT0).ok());
  auto charges = billing_->SumsBySpace("charge", "earnings:bob");
  ASSERT_TRUE(charges.ok());
  EXPECT_EQ(*charges, (std::vector<std::pair<int64_t, int64_t>>{{7, 90}, {8, 45}}));
  auto fees = billing_->SumsBySpace("fee", "");
  ASSERT_TRUE(fees.ok());
  EXPECT_EQ(*fees, (std::vector<std::pair<int64_t, int64_t>>{{7, 10}, {8, 5}}));
  EXPECT_EQ(*billing_->SumBetween("earnings:bob", "external:payouts"), 100);
  EXPECT_EQ(*billing_->SumBetween("earnings:eve", "external:payouts"), 0);
}

TEST_P(BillingConformanceTest, Subscriptions) {
  Subscription s{.user_id = 1, .space_id = 7, .plan = "pro", .period_start = kT0, .period_end = kT0 + 1000,
                 .created_at = kT0};
  ASSERT_TRUE(billing_->PutSubscription(s).ok());
  auto got = billing_->GetSubscription(1, 7);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->plan, "pro");
  EXPECT_EQ(got->state, SubscriptionState::kActive);
  s.cancel_at_period_end = true;
  s.period_end = kT0 + 2000;
  ASSERT_TRUE(billing_->PutSubscription(s).ok());
  EXPECT_TRUE(billing_->GetSubscription(1, 7)->cancel_at_period_end);
  EXPECT_EQ(billing_->GetSubscription(1, 7)->period_end, kT0 + 2000);
  Subscription lapsed = s;
  lapsed.space_id = 8;
  lapsed.state = SubscriptionState::kLapsed;
  ASSERT_TRUE(billing_->PutSubscription(lapsed).ok());
  EXPECT_EQ(billing_->ListSubscriptions(1)->size(), 2u);
  EXPECT_EQ(billing_->ListActiveSubscriptions()->size(), 1u);
  EXPECT_EQ(billing_->GetSubscription(2, 7).status().code(), StatusCode::kNotFound);
  Subscription bad = s;
  bad.plan = "";
  EXPECT_EQ(billing_->PutSubscription(bad).code(), StatusCode::kInvalidArgument);
}

// Usage: the edge's counters added up per hour, the ledger's charges and plan
// payments per bucket, subscribers for as long as their period runs.
TEST_P(BillingConformanceTest, UsageBucketsCountersAndLedger) {
  constexpr int64_t kHour = 3'600'000, kDay = 24 * kHour;
  const int64_t day0 = kT0 / kDay * kDay;
  ASSERT_TRUE(billing_->AddUsage({{7, day0, 10, 4, 1, 2}, {7, day0 + kHour, 5, 0, 0, 0}, {8, day0, 99, 0, 0, 0}}).ok());
  ASSERT_TRUE(billing_->AddUsage({{7, day0, 1, 1, 0, 0}, {7, day0 + kDay, 3, 0, 0, 0}}).ok());
  EXPECT_EQ(billing_->AddUsage({{7, day0, -1, 0, 0, 0}}).code(), StatusCode::kInvalidArgument);
  auto at = [](std::string id, std::string debit, std::string credit, int64_t amount, std::string kind, int64_t when) {
    LedgerTransfer x = T(std::move(id), std::move(debit), std::move(credit), amount, std::move(kind));
    x.space_id = 7;
    x.at = when;
    return x;
  };
  LedgerBatch batch;
  batch.transfers = {T("f", "external:funding", "wallet:1", 100'000),
                     T("g", "external:funding", "wallet:2", 100'000),
                     at("charge:h1", "wallet:1", "earnings:bob", 90, "charge", day0 + 5),
                     at("fee:h1", "wallet:1", "platform:fees", 10, "fee", day0 + 5),
                     at("fee:h2", "wallet:1", "platform:fees", 3, "fee", day0 + kHour),  // all fee
                     at("charge:h3", "wallet:2", "earnings:bob", 50, "charge", day0 + kDay + 1),
                     // A plan bought before the range still counts its subscriber.
                     at("sub:2:7:1", "wallet:2", "earnings:bob", 900, "subscription", day0 - 2 * kDay),
                     at("sub:2:7:1:fee", "wallet:2", "platform:fees", 100, "fee", day0 - 2 * kDay),
                     at("sub:1:7:2", "wallet:1", "earnings:bob", 450, "subscription", day0 + kDay + 7),
                     at("p1", "earnings:bob", "external:payouts", 40, "payout", day0 + 9)};
  ASSERT_TRUE(billing_->Apply(batch, day0).ok());

  auto days = billing_->Usage(7, day0 + 3, day0 + 2 * kDay + 1, kDay, 4 * kDay);
  ASSERT_TRUE(days.ok()) << days.status().ToString();
  ASSERT_EQ(days->size(), 3u);
  const UsagePoint& d0 = (*days)[0];
  EXPECT_EQ(d0.start, day0);
  EXPECT_EQ(d0.requests, 16);
  EXPECT_EQ(d0.free, 5);
  EXPECT_EQ(d0.refused, 1);
  EXPECT_EQ(d0.limited, 2);
  EXPECT_EQ(d0.charged, 2);
  EXPECT_EQ(d0.request_revenue, 103);
  EXPECT_EQ(d0.subscription_revenue, 0);
  EXPECT_EQ(d0.subscribers, 1);  // user 2, from two days before
  const UsagePoint& d1 = (*days)[1];
  EXPECT_EQ(d1.requests, 3);
  EXPECT_EQ(d1.charged, 1);
  EXPECT_EQ(d1.request_revenue, 50);
  EXPECT_EQ(d1.subscription_revenue, 450);
  EXPECT_EQ(d1.subscribers, 2);
  const UsagePoint& d2 = (*days)[2];
  EXPECT_EQ(d2.requests, 0);
  EXPECT_EQ(d2.subscribers, 1);  // user 2's period (4 days) ended

  auto hours = billing_->Usage(7, day0, day0 + 2 * kHour, kHour, 3 * kDay);
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->size(), 2u);
  EXPECT_EQ((*hours)[0].requests, 11);
  EXPECT_EQ((*hours)[1].requests, 5);
  EXPECT_EQ((*hours)[1].charged, 1);
  EXPECT_EQ((*hours)[1].request_revenue, 3);
  EXPECT_EQ(billing_->Usage(7, day0 + kDay, day0, kDay, kDay).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(billing_->Usage(7, 0, 20'000 * kHour, kHour, kDay).status().code(), StatusCode::kInvalidArgument);
}

// A file database keeps the ledger across a reopen (the server's restart).
TEST_P(BillingConformanceTest, PersistsAcrossReopen) {
  if (!backend_->persistent()) GTEST_SKIP() << "in-memory backend: nothing outlives it";
  LedgerBatch batch;
  batch.transfers = {T("t1", "external:funding", "wallet:1", 42)};
  batch.opened = {{"h1", "wallet:1", 40, kT0}};
  ASSERT_TRUE(billing_->Apply(batch, kT0).ok());
  billing_.reset();
  auto reopened = backend_->OpenBilling();
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->Balance("wallet:1"), 42);
  EXPECT_EQ(*(*reopened)->VoidOpenHolds(kT0 + 1), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingConformanceTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
