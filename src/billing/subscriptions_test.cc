#include "billing/subscriptions.h"

#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"

namespace spaceport::billing {
namespace {

constexpr int64_t kDay = 86'400'000;

class SubscriptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteBillingStore(dir_.path() + "/spaceport.db");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto ledger = Ledger::Open(store_.get(), &clock_, {.fee_percent = 10});
    ASSERT_TRUE(ledger.ok());
    ledger_ = std::move(*ledger);
    auto pricing = std::make_shared<Pricing>();
    pricing->plans.push_back({"pro", "Pro", 5'000'000, std::nullopt, 0});
    pricing_ = pricing;
    Reopen();
  }
  void Reopen() {
    subs_.reset();
    auto subs = Subscriptions::Open(store_.get(), ledger_.get(), &clock_, [this](int64_t space) -> Result<SpacePlans> {
      if (space != 7) return Status::NotFound("no Space");
      return SpacePlans{"maker", pricing_};
    });
    ASSERT_TRUE(subs.ok());
    subs_ = std::move(*subs);
  }
  void Fund(Micros amount) {
    ASSERT_TRUE(ledger_->Transfer({"fund" + std::to_string(++funds_), std::string(kFundingAccount), WalletAccount(1),
                                   amount, "topup"})
                    .ok());
  }

  FakeClock clock_;
  spaceport::testing::TempDir dir_;
  std::unique_ptr<store::BillingStore> store_;
  std::unique_ptr<Ledger> ledger_;
  std::shared_ptr<const Pricing> pricing_;
  std::unique_ptr<Subscriptions> subs_;
  int funds_ = 0;
};

TEST_F(SubscriptionsTest, SubscribePaysThePlanAndUnlocksIt) {
  EXPECT_EQ(subs_->Subscribe(1, 7, "pro").status().code(), StatusCode::kPaymentRequired);
  EXPECT_EQ(subs_->PlanOf(1, 7, clock_.UnixMillis()).plan, "");
  Fund(12'000'000);
  EXPECT_EQ(subs_->Subscribe(1, 7, "gold").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(subs_->Subscribe(1, 8, "pro").status().code(), StatusCode::kNotFound);
  auto s = subs_->Subscribe(1, 7, "pro");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->period_end - s->period_start, 30 * kDay);
  EXPECT_EQ(subs_->PlanOf(1, 7, clock_.UnixMillis()).plan, "pro");
  EXPECT_EQ(subs_->Subscribe(1, 7, "pro").status().code(), StatusCode::kAlreadyExists);  // not paid twice
  EXPECT_EQ(ledger_->Wallet(1).balance, 7'000'000);
  EXPECT_EQ(ledger_->BalanceOf("earnings:maker"), 4'500'000);
  EXPECT_EQ(ledger_->BalanceOf("platform:fees"), 500'000);
  // A restart finds it again.
  Reopen();
  EXPECT_EQ(subs_->PlanOf(1, 7, clock_.UnixMillis()).plan, "pro");
}

TEST_F(SubscriptionsTest, RenewsFromTheWalletThenLapsesWhenItCannot) {
  Fund(11'000'000);
  ASSERT_TRUE(subs_->Subscribe(1, 7, "pro").ok());
  clock_.Advance(Millis(29 * kDay));
  EXPECT_EQ(subs_->Renew(), 0);  // not due yet
  clock_.Advance(Millis(1 * kDay));
  EXPECT_EQ(subs_->Renew(), 1);
  EXPECT_EQ(ledger_->Wallet(1).balance, 1'000'000);
  EXPECT_EQ(subs_->PlanOf(1, 7, clock_.UnixMillis()).plan, "pro");
  EXPECT_EQ(subs_->Renew(), 0);  // once per period
  clock_.Advance(Millis(30 * kDay));
  EXPECT_EQ(subs_->Renew(), 0);  // 1 unit left: it lapses, nothing goes negative
  EXPECT_EQ(ledger_->Wallet(1).balance, 1'000'000);
  EXPECT_EQ(subs_->PlanOf(1, 7, clock_.UnixMillis()).plan, "");
  EXPECT_EQ(subs_->Get(1, 7)->state, store::SubscriptionState::kLapsed);
}

TEST_F(SubscriptionsTest, CancelEndsAtThePeriodsEnd) {
  Fund(20'000'000);
  ASSERT_TRUE(subs_->Subscribe(1, 7, "pro").ok());
  EXPECT_EQ(subs_->Cancel(2, 7).status().code(), StatusCode::kNotFound);
  auto c = subs_->Cancel(1, 7);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->cancel_at_period_end);
  EXPECT_EQ(subs_->PlanOf(1, 7, clock_.UnixMillis()).plan, "pro");  // until the period ends
  clock_.Advance(Millis(30 * kDay));
  EXPECT_EQ(subs_->Renew(), 0);
  EXPECT_EQ(ledger_->Wallet(1).balance, 15'000'000);  // not charged again
  EXPECT_EQ(subs_->Get(1, 7)->state, store::SubscriptionState::kCancelled);
  // Subscribing again later is a new period, paid again.
  ASSERT_TRUE(subs_->Subscribe(1, 7, "pro").ok());
  EXPECT_EQ(ledger_->Wallet(1).balance, 10'000'000);
  EXPECT_EQ(subs_->OfUser(1).size(), 1u);
}

// After a long outage the next period starts now: periods that passed
// unserved are not billed.
TEST_F(SubscriptionsTest, AnOutageIsNotBackBilled) {
  Fund(20'000'000);
  ASSERT_TRUE(subs_->Subscribe(1, 7, "pro").ok());
  clock_.Advance(Millis(100 * kDay));
  EXPECT_EQ(subs_->Renew(), 1);
  EXPECT_EQ(ledger_->Wallet(1).balance, 10'000'000);  // two periods paid, not four
  auto s = subs_->Get(1, 7);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->period_start, clock_.UnixMillis());
  EXPECT_EQ(subs_->Renew(), 0);
}

}  // namespace
}  // namespace spaceport::billing
