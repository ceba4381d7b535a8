#include "billing/pricing.h"

#include <gtest/gtest.h>

namespace spaceport::billing {
namespace {

TEST(GlobTest, StarStaysInASegmentDoubleStarCrosses) {
  EXPECT_TRUE(GlobMatch("/run/*", "/run/a"));
  EXPECT_FALSE(GlobMatch("/run/*", "/run/a/b"));
  EXPECT_TRUE(GlobMatch("/run/**", "/run/a/b"));
  EXPECT_TRUE(GlobMatch("/run/**", "/run/"));
  EXPECT_FALSE(GlobMatch("/run/**", "/run"));
  EXPECT_FALSE(GlobMatch("/run/**", "/running"));
  EXPECT_TRUE(GlobMatch("/**/x.png", "/a/b/x.png"));
  EXPECT_FALSE(GlobMatch("/**/x.png", "/x.png"));  // "/**/" needs two slashes
  EXPECT_TRUE(GlobMatch("/assets/*.js", "/assets/app.js"));
  EXPECT_FALSE(GlobMatch("/assets/*.js", "/assets/lib/app.js"));
  EXPECT_TRUE(GlobMatch("/a*b*c", "/aXbYc"));
  EXPECT_FALSE(GlobMatch("/a*b*c", "/aXbY/c"));
  EXPECT_TRUE(GlobMatch("/", "/"));
  EXPECT_FALSE(GlobMatch("/", "/x"));
  EXPECT_TRUE(GlobMatch("/**", "/anything/at/all"));
  // A hostile glob stays fast (polynomial, not exponential).
  std::string glob = "/";
  for (int i = 0; i < 30; ++i) glob += "*a";
  EXPECT_FALSE(GlobMatch(glob, "/" + std::string(200, 'a') + "b"));
  EXPECT_FALSE(GlobMatch("/**a**a**a**a**a**a**a**b", "/" + std::string(300, 'a')));
}

TEST(RateLimitTest, Parses) {
  auto r = ParseRateLimit("60/min");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->count, 60);
  EXPECT_EQ(r->period_seconds, 60);
  EXPECT_EQ(r->ToString(), "60/min");
  EXPECT_EQ(ParseRateLimit(" 5 / s ")->period_seconds, 1);
  EXPECT_EQ(ParseRateLimit("100/hour")->period_seconds, 3600);
  EXPECT_EQ(ParseRateLimit("1000/day")->period_seconds, 86400);
  EXPECT_FALSE(ParseRateLimit("0/min"));
  EXPECT_FALSE(ParseRateLimit("-1/min"));
  EXPECT_FALSE(ParseRateLimit("60/week"));
  EXPECT_FALSE(ParseRateLimit("60"));
  EXPECT_FALSE(ParseRateLimit("1.5/s"));
  EXPECT_FALSE(ParseRateLimit("99999999999999999999/s"));
}

TEST(PricingTest, FirstMatchingRouteDecides) {
  Pricing p;
  p.per_request = 2000;
  p.routes.push_back({"POST /run/**", "POST", "/run/**", 10000, 50000, ""});
  p.routes.push_back({"GET /assets/**", "GET", "/assets/**", 0, std::nullopt, ""});
  p.routes.push_back({"/premium/**", "", "/premium/**", std::nullopt, std::nullopt, "pro"});
  p.plans.push_back({"pro", "Pro", 5000000, RateLimit{600, 60}, 10000});
  Decision run = p.Decide("POST", "/run/predict");
  EXPECT_EQ(run.price, 10000);
  EXPECT_EQ(run.hold, 50000);
  EXPECT_EQ(run.route, 0);
  Decision get_run = p.Decide("GET", "/run/predict");  // the method is part of the match
  EXPECT_EQ(get_run.price, 2000);
  EXPECT_EQ(get_run.route, -1);
  EXPECT_EQ(p.Decide("GET", "/assets/app.js").price, 0);
  Decision premium = p.Decide("DELETE", "/premium/x");
  EXPECT_EQ(premium.plan, "pro");
  EXPECT_EQ(premium.price, 2000);  // the default price still applies
  EXPECT_TRUE(p.metered());
  EXPECT_FALSE(Pricing{}.metered());
  nlohmann::json j = p.ToJson("usd");
  EXPECT_EQ(j["currency"], "usd");
  EXPECT_EQ(j["perRequest"], 2000);
  EXPECT_EQ(j["routes"][0]["max"], 50000);
  EXPECT_EQ(j["routes"][1]["max"], 0);
  EXPECT_EQ(j["routes"][2]["plan"], "pro");
  EXPECT_EQ(j["plans"][0]["rateLimit"]["text"], "600/min");
  EXPECT_EQ(j["plans"][0]["periodDays"], 30);
}

TEST(PricingTest, FormatsMicrosWithoutFloatingPoint) {
  EXPECT_EQ(FormatMicros(0), "0");
  EXPECT_EQ(FormatMicros(2000), "0.002");
  EXPECT_EQ(FormatMicros(5000000), "5");
  EXPECT_EQ(FormatMicros(1500000), "1.5");
  EXPECT_EQ(FormatMicros(-1), "-0.000001");
  EXPECT_EQ(FormatMicros(kMaxPrice), "1000000");
}

TEST(PricingTest, ParseUnitsIsExact) {
  EXPECT_EQ(ParseUnits("5"), 5'000'000);
  EXPECT_EQ(ParseUnits("12.50"), 12'500'000);
  EXPECT_EQ(ParseUnits("0.000001"), 1);
  EXPECT_EQ(ParseUnits("0.1"), 100'000);
  for (const char* bad : {"", ".5", "5.", "-1", "+1", "1e3", "1.0000001", "12345678", "1,5", " 1", "0x10"}) {
    EXPECT_EQ(ParseUnits(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatMicros(*ParseUnits("1234.5")), "1234.5");
}

}  // namespace
}  // namespace spaceport::billing
