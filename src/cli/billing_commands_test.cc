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

}  // namespace
}  // namespace spaceport::cli
