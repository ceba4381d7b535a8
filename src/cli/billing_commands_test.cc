// Tests of wallet and earnings against FakeHub: the requests sent and the
// output for people and --json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/fake_hub.h"
#include "cli/test_support.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;
using testing::RunCli;

class BillingCommandsTest : public testing::FakeHubTest {};

TEST_F(BillingCommandsTest, WalletShowsTheBalanceInUnits) {
  hub_.Route("GET", "/api/billing/wallet", 200, R"({"balance":12500001,"held":50000,"available":12450001,"currency":"usd"})");
  auto r = RunCli({"wallet"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "balance 12.500001 usd (0.05 usd held by requests in flight)\n");
  EXPECT_EQ(hub_.RequestsTo("GET", "/api/billing/wallet").back().Header("Authorization"), "Bearer sp_test");
  auto j = RunCli({"wallet", "--json"}, Env());
  ASSERT_EQ(j.code, 0);
  EXPECT_EQ(json::parse(j.out)["balance"], 12500001);
}

TEST_F(BillingCommandsTest, EarningsPerSpaceAndForAnOrganization) {
  hub_.Route("GET", "/api/billing/earnings", 200,
             R"({"owner":"alice","currency":"usd","total":{"gross":10000000,"fee":1000000,"net":9000000,"paidOut":0},)"
             R"("spaces":[{"id":"alice/plans","gross":10000000,"fee":1000000,"net":9000000}]})");
  auto r = RunCli({"earnings"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "earned 9 usd (visitors paid 10 usd, platform fee 1 usd), paid out 0 usd\n  alice/plans  9 usd\n");
  hub_.Route("GET", "/api/billing/earnings?owner=lab", 403, R"({"error":"only the admins of 'lab' see its earnings"})");
  auto denied = RunCli({"earnings", "lab"}, Env());
  EXPECT_NE(denied.code, 0);
  EXPECT_NE(denied.err.find("only the admins"), std::string::npos) << denied.err;
}

TEST_F(BillingCommandsTest, UsagePerDay) {
  hub_.Route("GET", "/api/spaces/alice/plans/usage?from=2026-12-01&bucket=day", 200,
             R"({"space":"alice/plans","bucket":"day","currency":"usd","points":[)"
             R"({"start":"2026-12-01T00:00:00.000Z","requests":12,"charged":3,"free":9,"refused":0,"rateLimited":0,)"
             R"("subscribers":1,"revenue":2500000}],"total":{"requests":12,"charged":3,"revenue":2500000}})");
  auto r = RunCli({"usage", "alice/plans", "--from", "2026-12-01", "--bucket", "day"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2026-12-01        12        3        9        0        0            1  2.5 usd\n"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total: 12 requests, 3 charged, 2.5 usd paid by visitors"), std::string::npos) << r.out;
}

TEST_F(BillingCommandsTest, PayoutsRecordSendsTheReferenceAndRefusesWithoutOne) {
  hub_.Route("POST", "/api/billing/payouts", 200,
             R"({"applied":true,"payout":{"id":"payout:p1","owner":"alice","amount":9000000,"reference":"SEPA 42"}})");
  auto r = RunCli({"payouts", "record", "alice", "9000000", "--reference", "SEPA 42", "--id", "p1"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Paid out 9 to alice (payout:p1, SEPA 42)\n");
  json sent = json::parse(hub_.RequestsTo("POST", "/api/billing/payouts").back().body);
  EXPECT_EQ(sent, json::parse(R"({"owner":"alice","amount":9000000,"reference":"SEPA 42","id":"p1"})"));
  auto bare = RunCli({"payouts", "record", "alice", "9000000"}, Env());
  EXPECT_NE(bare.code, 0);
  EXPECT_EQ(hub_.RequestsTo("POST", "/api/billing/payouts").size(), 1u);
  auto bad = RunCli({"payouts", "record", "alice", "9.5", "--reference", "x"}, Env());
  EXPECT_NE(bad.code, 0);
}

}  // namespace
}  // namespace spaceport::cli
