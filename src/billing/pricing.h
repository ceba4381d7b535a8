// Pricing: what a Space charges for its app's requests, as its card says
// (`spaceport.pricing`, docs/billing.md), and the decision for one request.
//
// Amounts are integer micro-units of the operator's currency (Micros:
// 1,000,000 = one unit); never floating point. The card module parses the
// YAML into a Pricing (card/card_pricing.cc, which names key and line on
// errors); everything here works on the parsed value: which route a request
// matches (first match wins: an optional method, then a path glob where `*`
// stays within a segment and `**` crosses them), what it costs, what to
// hold, and which plan it needs.
// Thread safety: values; pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace spaceport::billing {

using Micros = int64_t;

// The most a price, hold or plan may be: a million units.
inline constexpr Micros kMaxPrice = 1'000'000LL * 1'000'000LL;

// "N/s", "N/min", "N/hour", "N/day" (also "N/sec", "N/second", "N/minute",
// "N/h", "N/d"): at most `count` requests per `period_seconds`.
struct RateLimit {
  int64_t count = 0;
  int64_t period_seconds = 0;
  std::string ToString() const;  // "60/min"
};
std::optional<RateLimit> ParseRateLimit(std::string_view text);

struct PriceRoute {
  std::string match;   // as written: "POST /run/**"
  std::string method;  // upper case; empty: any
  std::string glob;    // starts with '/'
  std::optional<Micros> price;  // unset: the Space's per_request
  std::optional<Micros> max;    // the hold (the most X-Spaceport-Cost may charge); unset: the price
  std::string plan;             // non-empty: only subscribers of this plan
};

struct Plan {
  std::string id;  // [a-z0-9_-], the key under plans:
  std::string title;
  Micros price = 0;  // per period, from the wallet
  std::optional<RateLimit> rate_limit;
  int64_t included_requests = 0;  // per period, not charged
};

inline constexpr int64_t kPlanPeriodSeconds = 30LL * 24 * 3600;

// What one request is: its price (charged when the app answers below 500),
// the hold (reserved before it is forwarded: the most it may cost) and the
// plan it needs (empty: none).
struct Decision {
  Micros price = 0;
  Micros hold = 0;
  std::string plan;
  int route = -1;  // index into Pricing::routes; -1: the defaults
};

struct Pricing {
  Micros per_request = 0;
  int64_t free_requests = 0;  // per visitor per day
  std::optional<RateLimit> rate_limit;  // per visitor without a plan
  std::vector<PriceRoute> routes;
  std::vector<Plan> plans;

  // Anything to meter: a price, a free quota, a rate limit, a plan route.
  bool metered() const;
  const Plan* FindPlan(std::string_view id) const;
  Decision Decide(std::string_view method, std::string_view path) const;
  // GET /api/spaces/{id}/pricing: the effective pricing (defaults filled in).
  nlohmann::json ToJson(std::string_view currency) const;
};

// `*` matches within one path segment, `**` across segments (and nothing);
// everything else literally. The query string is not part of `path`.
bool GlobMatch(std::string_view glob, std::string_view path);

// "1.5" (units) <- 1500000 (micros), without floating point: "0.002", "5".
std::string FormatMicros(Micros amount);
// The reverse, for amounts people type: "5", "12.50", "0.000001" -> micros;
// nullopt for anything else (signs, exponents, more than six decimals,
// more than kMaxPrice).
std::optional<Micros> ParseUnits(std::string_view text);

}  // namespace spaceport::billing
