// The billing API: pricing from the card, the wallet, transactions, grants,
// and the two webhook schemes (idempotent; bad signatures, stale
// timestamps and malformed bodies change nothing).
#include <gtest/gtest.h>

#include "billing/webhooks.h"
#include "hub/hub.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

class BillingApiTest : public HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    RemakeHub([](HubOptions& o) {
      o.billing.stripe_webhook_secret = "whsec_stripe_test";
      o.billing.webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    });
  }
  Reply Stripe(const std::string& body, int64_t t = 0, const std::string& secret = "whsec_stripe_test") {
    http::Headers h;
    h.Add("Stripe-Signature",
          billing::StripeSignatureHeader(body, secret, t == 0 ? clock_.UnixMillis() / 1000 : t));
    return Do("POST", "/api/billing/webhooks/stripe", "", body, h);
  }
  Reply Standard(const std::string& id, const std::string& body, int64_t t = 0) {
    int64_t ts = t == 0 ? clock_.UnixMillis() / 1000 : t;
    http::Headers h;
    h.Add("webhook-id", id);
    h.Add("webhook-timestamp", std::to_string(ts));
    h.Add("webhook-signature", billing::StandardSignature(id, ts, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    return Do("POST", "/api/billing/webhooks/standard", "", body, h);
  }
  std::string Paid(const std::string& event_id, int64_t cents, const std::string& user) {
    return json{{"id", event_id},
                {"type", "checkout.session.completed"},
                {"data", {{"object", {{"id", "cs_" + event_id}, {"payment_status", "paid"},
                                      {"client_reference_id", user}, {"amount_total", cents}}}}}}
        .dump();
  }
  int64_t Balance(const std::string& token) { return Do("GET", "/api/billing/wallet", token).json()["balance"]; }
};

TEST_F(BillingApiTest, PricingComesFromTheCard) {
  ASSERT_EQ(Create("paid", alice_write_).status, 200);
  store::Space s = store_->GetSpace("alice", "paid").value();
  s.card_json = R"({"sdk":"gradio","spaceport":{"pricing":{"per_request":2000,"free_requests":10,)"
                R"("routes":[{"match":"POST /run/**","price":10000,"max":50000}],"plans":{"pro":{"price":5000000}}}}})";
  ASSERT_TRUE(store_->UpdateSpace(s).ok());
  Reply r = Do("GET", "/api/spaces/alice/paid/pricing");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["currency"], "usd");
  EXPECT_EQ(r.json()["perRequest"], 2000);
  EXPECT_EQ(r.json()["freeRequests"], 10);
  EXPECT_EQ(r.json()["routes"][0]["max"], 50000);
  EXPECT_EQ(r.json()["plans"][0]["id"], "pro");
  EXPECT_TRUE(r.json()["metered"]);
  ASSERT_EQ(Create("free", alice_write_).status, 200);
  Reply free = Do("GET", "/api/spaces/alice/free/pricing");
  ASSERT_EQ(free.status, 200);
  EXPECT_FALSE(free.json()["metered"]);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/nope/pricing").status, 404);
}

TEST_F(BillingApiTest, StripeTopUpIsIdempotentAndVerified) {
  EXPECT_EQ(Do("GET", "/api/billing/wallet").status, 401);
  EXPECT_EQ(Balance(bob_write_), 0);
  std::string body = Paid("evt_1", 500, std::to_string(bob_.id));
  Reply r = Stripe(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["applied"]);
  EXPECT_EQ(Balance(bob_write_), 5'000'000);
  // A replay of the same event (a provider's retry) changes nothing.
  Reply again = Stripe(body);
  ASSERT_EQ(again.status, 200);
  EXPECT_FALSE(again.json()["applied"]);
  EXPECT_EQ(Balance(bob_write_), 5'000'000);
  // Bad signature, stale timestamp, malformed body, unknown user: 400, nothing moves.
  EXPECT_EQ(Stripe(Paid("evt_2", 500, "bob"), 0, "whsec_wrong").status, 400);
  EXPECT_EQ(Stripe(Paid("evt_3", 500, "bob"), clock_.UnixMillis() / 1000 - 301).status, 400);
  EXPECT_EQ(Stripe("{not json").status, 400);
  EXPECT_EQ(Stripe(R"({"id":"evt_4","type":"checkout.session.completed","data":{"object":{"payment_status":"paid","client_reference_id":"bob","amount_total":"500"}}})").status, 400);
  EXPECT_EQ(Stripe(Paid("evt_5", 500, "nobody")).status, 400);
  EXPECT_EQ(Do("POST", "/api/billing/webhooks/stripe", "", body).status, 400);  // no signature at all
  EXPECT_EQ(Balance(bob_write_), 5'000'000);
  // By name works too; a refund takes back what was refunded.
  ASSERT_EQ(Stripe(Paid("evt_6", 100, "bob")).status, 200);
  EXPECT_EQ(Balance(bob_write_), 6'000'000);
  std::string refund = json{{"id", "evt_7"}, {"type", "charge.refunded"},
                            {"data", {{"object", {{"id", "ch_1"}, {"amount_refunded", 100},
                                                  {"metadata", {{"spaceport_user", "bob"}}}}}}}}
                           .dump();
  ASSERT_EQ(Stripe(refund).status, 200);
  EXPECT_EQ(Balance(bob_write_), 5'000'000);
  // Unrelated events are acknowledged.
  Reply other = Stripe(R"({"id":"evt_8","type":"customer.created","data":{"object":{}}})");
  EXPECT_EQ(other.status, 200);
  EXPECT_FALSE(other.json()["applied"]);
  // The transactions, newest first, paged with Link.
  Reply page = Do("GET", "/api/billing/transactions?limit=2", bob_write_);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json().size(), 2u);
  EXPECT_EQ(page.json()[0]["id"], "stripe:evt_7");
  EXPECT_EQ(page.json()[0]["amount"], -1'000'000);
  EXPECT_EQ(page.json()[1]["amount"], 1'000'000);
  std::string link(page.headers.Get("Link").value_or(""));
  ASSERT_NE(link.find("rel=\"next\""), std::string::npos);
  std::string next = link.substr(link.find("/api/"), link.find('>') - link.find("/api/"));
  Reply rest = Do("GET", next, bob_write_);
  ASSERT_EQ(rest.status, 200) << next;
  ASSERT_EQ(rest.json().size(), 1u);
  EXPECT_EQ(rest.json()[0]["id"], "stripe:evt_1");
  EXPECT_FALSE(rest.headers.Has("Link"));
  EXPECT_EQ(Do("GET", "/api/billing/transactions", alice_write_).json().size(), 0u);  // only your own
}

TEST_F(BillingApiTest, StandardWebhookCreditsOnce) {
  std::string body = R"({"type":"wallet.credit","data":{"user":"bob","amount":2500000}})";
  Reply r = Standard("msg_1", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Balance(bob_write_), 2'500'000);
  EXPECT_FALSE(Standard("msg_1", body).json()["applied"]);
  EXPECT_EQ(Standard("msg_2", body, clock_.UnixMillis() / 1000 - 400).status, 400);
  EXPECT_EQ(Standard("msg_3", R"({"type":"wallet.credit","data":{"user":"bob","amount":-5}})").status, 400);
  http::Headers forged;
  forged.Add("webhook-id", "msg_4");
  forged.Add("webhook-timestamp", std::to_string(clock_.UnixMillis() / 1000));
  forged.Add("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(Do("POST", "/api/billing/webhooks/standard", "", body, forged).status, 400);
  EXPECT_EQ(Balance(bob_write_), 2'500'000);
}

TEST_F(BillingApiTest, GrantsAreForAdmins) {
  EXPECT_EQ(Do("POST", "/api/billing/grants", alice_write_, R"({"user":"bob","amount":5})").status, 403);
  store::User root = store_->CreateUser("root", true, clock_.UnixMillis()).value();
  std::string token = NewToken(root, store::TokenScope::kWrite);
  Reply r = Do("POST", "/api/billing/grants", token, R"({"user":"bob","amount":700000,"id":"welcome-bob"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["applied"]);
  EXPECT_FALSE(Do("POST", "/api/billing/grants", token, R"({"user":"bob","amount":700000,"id":"welcome-bob"})")
                   .json()["applied"]);
  EXPECT_EQ(Balance(bob_write_), 700'000);
  EXPECT_EQ(Do("POST", "/api/billing/grants", token, R"({"user":"bob","amount":0})").status, 400);
  EXPECT_EQ(Do("POST", "/api/billing/grants", token, R"({"user":"ghost","amount":5})").status, 404);
  // The audit is for administrators; it finds the ledger whole.
  EXPECT_EQ(Do("GET", "/api/billing/audit", alice_write_).status, 403);
  Reply audit = Do("GET", "/api/billing/audit", token);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.json()["sum"], 0);
  EXPECT_EQ(audit.json()["balancesMatchTransfers"], true);
  EXPECT_EQ(audit.json()["byKind"]["grant"]["count"], 1);
  EXPECT_EQ(audit.json()["byKind"]["grant"]["amount"], 700000);
  // Every account still sums to zero.
  ASSERT_TRUE(ledger_->Flush().ok());
  int64_t total = 0;
  auto balances = billing_->Balances();
  ASSERT_TRUE(balances.ok());
  for (const auto& [account, balance] : *balances) total += balance;
  EXPECT_EQ(total, 0);
}

TEST_F(BillingApiTest, PlansAreBoughtRenewedAndCancelled) {
  ASSERT_EQ(Create("plans", alice_write_).status, 200);
  store::Space sp = store_->GetSpace("alice", "plans").value();
  sp.card_json = R"({"spaceport":{"pricing":{"plans":{"pro":{"title":"Pro","price":5000000}}}}})";
  ASSERT_TRUE(store_->UpdateSpace(sp).ok());
  const std::string url = "/api/spaces/alice/plans/subscription";
  EXPECT_EQ(Do("POST", url, "", R"({"plan":"pro"})").status, 401);
  Reply broke = Do("POST", url, bob_write_, R"({"plan":"pro"})");
  EXPECT_EQ(broke.status, 402) << broke.body;
  ASSERT_EQ(Standard("msg_fund", R"({"type":"wallet.credit","data":{"user":"bob","amount":12000000}})").status, 200);
  EXPECT_EQ(Do("POST", url, bob_write_, R"({"plan":"gold"})").status, 400);
  EXPECT_EQ(Do("POST", url, alice_write_, R"({"plan":"pro"})").status, 400);  // the owner needs none
  Reply bought = Do("POST", url, bob_write_, R"({"plan":"pro"})");
  ASSERT_EQ(bought.status, 200) << bought.body;
  EXPECT_EQ(bought.json()["state"], "active");
  EXPECT_EQ(Balance(bob_write_), 7'000'000);
  EXPECT_EQ(Do("POST", url, bob_write_, R"({"plan":"pro"})").status, 409);  // paid once
  EXPECT_EQ(Do("GET", url, bob_write_).json()["plan"], "pro");
  // The period ends: renewed from the wallet.
  clock_.Advance(Millis(30LL * 86'400'000));
  EXPECT_EQ(subscriptions_->Renew(), 1);
  EXPECT_EQ(Balance(bob_write_), 2'000'000);
  // Cancelled: it runs to the period's end, then stops without a charge.
  Reply cancelled = Do("DELETE", url, bob_write_);
  ASSERT_EQ(cancelled.status, 200);
  EXPECT_TRUE(cancelled.json()["cancelAtPeriodEnd"]);
  clock_.Advance(Millis(30LL * 86'400'000));
  EXPECT_EQ(subscriptions_->Renew(), 0);
  EXPECT_EQ(Balance(bob_write_), 2'000'000);
  // Alice earned both periods, less the platform's 10%.
  Reply earnings = Do("GET", "/api/billing/earnings", alice_write_);
  ASSERT_EQ(earnings.status, 200) << earnings.body;
  EXPECT_EQ(earnings.json()["total"]["gross"], 10'000'000);
  EXPECT_EQ(earnings.json()["total"]["fee"], 1'000'000);
  EXPECT_EQ(earnings.json()["total"]["net"], 9'000'000);
  EXPECT_EQ(earnings.json()["total"]["paidOut"], 0);
  EXPECT_EQ(earnings.json()["spaces"][0]["id"], "alice/plans");
  EXPECT_EQ(Do("GET", "/api/billing/earnings?owner=alice", bob_write_).status, 403);
  Reply mine = Do("GET", "/api/billing/subscriptions", bob_write_);
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(mine.json().size(), 1u);
  EXPECT_EQ(mine.json()[0]["space"], "alice/plans");
  EXPECT_EQ(mine.json()[0]["state"], "cancelled");
}

}  // namespace
}  // namespace spaceport::hub::testing
