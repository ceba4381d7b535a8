#include "billing/meter.h"

#include <gtest/gtest.h>

#include <future>
#include <map>

#include "core/testing/temp_dir.h"

namespace spaceport::billing {
namespace {

class FixedPlans : public PlanLookup {
 public:
  HeldPlan PlanOf(int64_t user_id, int64_t space_key, int64_t) const override {
    auto it = plans.find({user_id, space_key});
    return it == plans.end() ? HeldPlan{} : it->second;
  }
  std::map<std::pair<int64_t, int64_t>, HeldPlan> plans;
};

class MeterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteBillingStore(":memory:");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto ledger = Ledger::Open(store_.get(), &clock_, {.fee_percent = 10});
    ASSERT_TRUE(ledger.ok());
    ledger_ = std::move(*ledger);
    meter_ = std::make_unique<Meter>(ledger_.get(), &clock_, &plans_);
    pricing_.per_request = 2000;
    pricing_.free_requests = 2;
    pricing_.routes.push_back({"POST /run/**", "POST", "/run/**", 10000, 50000, ""});
    pricing_.routes.push_back({"GET /assets/**", "GET", "/assets/**", 0, std::nullopt, ""});
    pricing_.routes.push_back({"/premium/**", "", "/premium/**", std::nullopt, std::nullopt, "pro"});
    pricing_.plans.push_back({"pro", "Pro", 5000000, RateLimit{600, 60}, 1});
  }
  Admission Admit(const Visitor& v, std::string_view method = "GET", std::string_view path = "/",
                  bool exempt = false) {
    return meter_->Admit(pricing_, 7, "bob", v, exempt, method, path);
  }
  void Fund(int64_t user, Micros amount) {
    store::LedgerTransfer t{"fund" + std::to_string(user) + std::to_string(amount), std::string(kFundingAccount),
                            WalletAccount(user), amount, "topup"};
    ASSERT_TRUE(ledger_->Transfer(t).ok());
  }
  Result<Charge> Settle(Admission& a, std::optional<std::string_view> reported) {
    if (a.ticket == nullptr) return Status::FailedPrecondition("no ticket: the request was not charged");
    std::promise<Result<Charge>> p;
    a.ticket->Post(a.ticket->CostFor(reported), [&p](Result<Charge> c) { p.set_value(std::move(c)); });
    return p.get_future().get();
  }

  FakeClock clock_;
  std::unique_ptr<store::BillingStore> store_;
  std::unique_ptr<Ledger> ledger_;
  FixedPlans plans_;
  std::unique_ptr<Meter> meter_;
  Pricing pricing_;
};

TEST_F(MeterTest, FreeRequestsThenSignInThenCredits) {
  Visitor anon{0, "10.0.0.1"};
  EXPECT_EQ(Admit(anon).verdict, Admission::kFree);
  EXPECT_EQ(Admit(anon).verdict, Admission::kFree);
  EXPECT_EQ(Admit(anon).verdict, Admission::kSignIn);
  EXPECT_EQ(Admit(Visitor{0, "10.0.0.2"}).verdict, Admission::kFree);  // per address
  EXPECT_EQ(Admit(anon, "GET", "/assets/app.js").verdict, Admission::kFree);  // a free route
  clock_.Advance(Millis(86'400'000));
  EXPECT_EQ(Admit(anon).verdict, Admission::kFree);  // a new day
  Visitor user{5, "10.0.0.1"};
  Admit(user);
  Admit(user);
  Admission broke = Admit(user);
  EXPECT_EQ(broke.verdict, Admission::kNoCredits);
  EXPECT_EQ(broke.balance, 0);
  Fund(5, 1'000'000);
  Admission paid = Admit(user, "POST", "/run/predict");
  ASSERT_EQ(paid.verdict, Admission::kCharge);
  EXPECT_EQ(ledger_->Wallet(5).held, 50000);
  auto charge = Settle(paid, "12345");
  ASSERT_TRUE(charge.ok());
  EXPECT_EQ(charge->cost, 12345);
  EXPECT_EQ(ledger_->Wallet(5).held, 0);
  EXPECT_EQ(ledger_->Wallet(5).balance, 1'000'000 - 12345);
  // The app's report is capped by the hold; nonsense means the price.
  Admission over = Admit(user, "POST", "/run/x");
  EXPECT_EQ(Settle(over, "999999")->cost, 50000);
  Admission junk = Admit(user, "POST", "/run/x");
  EXPECT_EQ(Settle(junk, "-5")->cost, 10000);
  Admission none = Admit(user, "POST", "/run/x");
  EXPECT_EQ(Settle(none, std::nullopt)->cost, 10000);
  // An unsettled ticket releases its hold.
  {
    Admission dropped = Admit(user);
    ASSERT_EQ(dropped.verdict, Admission::kCharge);
    EXPECT_EQ(ledger_->Wallet(5).held, 2000);
  }
  EXPECT_EQ(ledger_->Wallet(5).held, 0);
}

TEST_F(MeterTest, OwnersArePassedPlansUnlockRoutes) {
  Visitor owner{1, "10.0.0.9"};
  Admission a = Admit(owner, "GET", "/premium/x", /*exempt=*/true);
  EXPECT_EQ(a.verdict, Admission::kFree);
  EXPECT_EQ(a.plan, "owner");
  Visitor user{5, "10.0.0.1"};
  EXPECT_EQ(Admit(user, "GET", "/premium/x").verdict, Admission::kNeedsPlan);
  EXPECT_EQ(Admit(Visitor{0, "1.2.3.4"}, "GET", "/premium/x").verdict, Admission::kNeedsPlan);
  plans_.plans[{5, 7}] = HeldPlan{"pro", clock_.UnixMillis()};
  Admission pro = Admit(user, "GET", "/premium/x");
  EXPECT_EQ(pro.verdict, Admission::kFree);  // the plan's one included request
  EXPECT_EQ(pro.plan, "pro");
  Fund(5, 10000);
  EXPECT_EQ(Admit(user, "GET", "/premium/x").verdict, Admission::kFree);   // then the free requests
  EXPECT_EQ(Admit(user, "GET", "/premium/x").verdict, Admission::kFree);
  EXPECT_EQ(Admit(user, "GET", "/premium/x").verdict, Admission::kCharge);  // then it is charged
}

TEST_F(MeterTest, RateLimitsWithRetryAfter) {
  pricing_.rate_limit = RateLimit{3, 60};
  pricing_.per_request = 0;
  pricing_.routes.clear();
  Visitor v{0, "10.0.0.1"};
  for (int i = 0; i < 3; ++i) {
    Admission a = Admit(v);
    ASSERT_EQ(a.verdict, Admission::kFree) << i;
    EXPECT_EQ(a.remaining, 2 - i);
  }
  Admission limited = Admit(v);
  EXPECT_EQ(limited.verdict, Admission::kRateLimited);
  EXPECT_EQ(limited.retry_after_seconds, 20);  // one request per 20 s comes back
  EXPECT_EQ(limited.limit->count, 3);
  EXPECT_EQ(Admit(Visitor{0, "10.0.0.2"}).verdict, Admission::kFree);  // per visitor
  clock_.Advance(Millis(20'000));
  EXPECT_EQ(Admit(v).verdict, Admission::kFree);
  EXPECT_EQ(Admit(v).verdict, Admission::kRateLimited);
  // Subscribers get their plan's limit.
  plans_.plans[{5, 7}] = HeldPlan{"pro", clock_.UnixMillis()};
  Visitor pro{5, "10.0.0.1"};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Admit(pro).verdict, Admission::kFree) << i;
}

// Every admission is counted for its Space and hour; a take empties them.
TEST_F(MeterTest, CountsRequestsPerSpaceAndHour) {
  constexpr int64_t kHour = 3'600'000;
  Fund(5, 1'000'000);
  Visitor anon{0, "10.0.0.1"};
  Admit(anon);
  Admit(anon);
  Admit(anon);  // past the free requests: refused
  Visitor user{5, "10.0.0.5"};
  Admit(user);
  Admit(user);  // the free requests are per visitor
  {
    Admission paid = Admit(user, "POST", "/run/x");  // charged (voided here)
    ASSERT_EQ(paid.verdict, Admission::kCharge);
  }
  const int64_t first_hour = clock_.UnixMillis() / kHour * kHour;
  clock_.Advance(Millis(kHour));
  meter_->Admit(pricing_, 8, "eve", anon, false, "GET", "/");
  std::vector<store::UsageCount> taken = meter_->TakeUsage();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].space_id, 7);
  EXPECT_EQ(taken[0].hour, first_hour);
  EXPECT_EQ(taken[0].requests, 6);
  EXPECT_EQ(taken[0].free, 4);
  EXPECT_EQ(taken[0].refused, 1);
  EXPECT_EQ(taken[0].limited, 0);
  EXPECT_EQ(taken[1].space_id, 8);
  EXPECT_EQ(taken[1].hour, first_hour + kHour);
  EXPECT_EQ(taken[1].requests, 1);
  EXPECT_TRUE(meter_->TakeUsage().empty());
}

}  // namespace
}  // namespace spaceport::billing
