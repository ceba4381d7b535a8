#include "billing/webhooks.h"

#include <gtest/gtest.h>

namespace spaceport::billing {
namespace {

// The Standard Webhooks specification's own example.
TEST(StandardWebhooksTest, SpecVector) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string body = R"({"test": 2432232314})";
  EXPECT_EQ(StandardSignature("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, secret),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_TRUE(VerifyStandardSignature("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                      "v1,bm9ub3RoaXM= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, secret,
                                      1614265330 + 10)
                  .ok());
  // A changed body, another id, a stale or future timestamp, a bad secret: refused.
  EXPECT_FALSE(VerifyStandardSignature("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                       "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body + " ", secret, 1614265330)
                   .ok());
  EXPECT_FALSE(VerifyStandardSignature("msg_other", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                                       body, secret, 1614265330)
                   .ok());
  Status stale = VerifyStandardSignature("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                         "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, secret,
                                         1614265330 + 301);
  EXPECT_EQ(stale.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(stale.message().find("300 s"), std::string::npos);
  EXPECT_FALSE(VerifyStandardSignature("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                       "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, secret, 1614265330 - 301)
                   .ok());
  EXPECT_FALSE(VerifyStandardSignature("msg_p5jXN8AQM9LWM0D4loKWxJek", "x", "v1,abc", body, secret, 1).ok());
  EXPECT_FALSE(VerifyStandardSignature("", "1614265330", "v1,abc", body, secret, 1614265330).ok());
  EXPECT_EQ(VerifyStandardSignature("a", "1", "v1,abc", body, "MfKQ9r8G", 1).code(), StatusCode::kFailedPrecondition);
}

TEST(StripeWebhooksTest, SignatureSchemeAndTolerance) {
  const std::string secret = "whsec_test";
  const std::string body = R"({"id": "evt_1"})";
  EXPECT_EQ(StripeSignatureHeader(body, secret, 1492774577),
            "t=1492774577,v1=952cd89626c79cd65f12880afd38333422a10b88ff71136627ceb92ccdb0132c");
  EXPECT_TRUE(VerifyStripeSignature(StripeSignatureHeader(body, secret, 1492774577), body, secret, 1492774600).ok());
  // Several v1 (a secret being rotated) and a v0 are fine; one must match.
  EXPECT_TRUE(VerifyStripeSignature("t=1492774577,v0=aa,v1=00ff,v1=952cd89626c79cd65f12880afd38333422a10b88ff71136627ceb92ccdb0132c",
                                    body, secret, 1492774577)
                  .ok());
  EXPECT_FALSE(VerifyStripeSignature(StripeSignatureHeader(body, secret, 1492774577), body + "x", secret, 1492774577).ok());
  EXPECT_FALSE(VerifyStripeSignature(StripeSignatureHeader(body, "other", 1492774577), body, secret, 1492774577).ok());
  EXPECT_FALSE(VerifyStripeSignature(StripeSignatureHeader(body, secret, 1492774577), body, secret, 1492774577 + 301).ok());
  for (const char* bad : {"", "t=1", "v1=abc", "t=x,v1=abc", "garbage", "t=1,t=2,v1=ab"}) {
    EXPECT_EQ(VerifyStripeSignature(bad, body, secret, 1).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(VerifyStripeSignature("t=1,v1=ab", body, "", 1).code(), StatusCode::kFailedPrecondition);
}

TEST(StripeWebhooksTest, EventsCreditAndDebitWallets) {
  auto paid = nlohmann::json::parse(R"({"id":"evt_1","type":"checkout.session.completed","data":{"object":
    {"id":"cs_1","payment_status":"paid","client_reference_id":"42","amount_total":500,"currency":"usd"}}})");
  auto e = ParseStripeEvent(paid, 10'000);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->kind, WalletEvent::kCredit);
  EXPECT_EQ(e->id, "evt_1");
  EXPECT_EQ(e->user, "42");
  EXPECT_EQ(e->amount, 5'000'000);  // $5.00
  paid["data"]["object"]["payment_status"] = "unpaid";
  EXPECT_EQ(ParseStripeEvent(paid, 10'000)->kind, WalletEvent::kNone);
  auto refund = nlohmann::json::parse(R"({"id":"evt_2","type":"charge.refunded","data":{"object":
    {"id":"ch_1","amount_refunded":300,"metadata":{"spaceport_user":"42"}},"previous_attributes":{"amount_refunded":100}}})");
  auto r = ParseStripeEvent(refund, 10'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, WalletEvent::kDebit);
  EXPECT_EQ(r->amount, 2'000'000);  // only what this refund added
  EXPECT_EQ(ParseStripeEvent(nlohmann::json::parse(R"({"id":"evt_3","type":"customer.created","data":{"object":{}}})"),
                             10'000)->kind,
            WalletEvent::kNone);
  for (const char* bad : {R"([])", R"({"type":"x"})", R"({"id":"e","type":"checkout.session.completed"})",
                          R"({"id":"e","type":"checkout.session.completed","data":{"object":{"payment_status":"paid","amount_total":5}}})",
                          R"({"id":"e","type":"checkout.session.completed","data":{"object":{"payment_status":"paid","client_reference_id":"1","amount_total":-5}}})",
                          R"({"id":"e","type":"checkout.session.completed","data":{"object":{"payment_status":"paid","client_reference_id":"1","amount_total":"5"}}})",
                          R"({"id":"e","type":"checkout.session.completed","data":{"object":{"payment_status":"paid","client_reference_id":"1","amount_total":99999999999999999}}})",
                          R"({"id":"e","type":"charge.refunded","data":{"object":{"amount_refunded":5}}})"}) {
    EXPECT_EQ(ParseStripeEvent(nlohmann::json::parse(bad), 10'000).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(StandardWebhooksTest, WalletCreditEvents) {
  auto e = ParseStandardEvent("msg_1", nlohmann::json::parse(R"({"type":"wallet.credit","data":{"user":"alice","amount":2500000}})"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, WalletEvent::kCredit);
  EXPECT_EQ(e->id, "msg_1");
  EXPECT_EQ(e->user, "alice");
  EXPECT_EQ(e->amount, 2'500'000);
  for (const char* bad : {R"({"type":"wallet.debit","data":{"user":"a","amount":1}})", R"({"type":"wallet.credit"})",
                          R"({"type":"wallet.credit","data":{"amount":1}})", R"({"type":"wallet.credit","data":{"user":"a","amount":0}})",
                          R"({"type":"wallet.credit","data":{"user":"a","amount":1.5}})", R"("x")"}) {
    EXPECT_EQ(ParseStandardEvent("m", nlohmann::json::parse(bad)).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace spaceport::billing
