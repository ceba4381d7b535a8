// `spaceport.pricing` (docs/billing.md): prices, free requests, rate limits,
// priced routes and subscription plans, checked key by key with the README
// line of a bad value, into Card::pricing (billing/pricing.h). Unknown keys
// are refused: a typo in a price must not make a paid route free.
#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "card/card_keys.h"
#include "card/yaml_json.h"
#include "core/strings.h"

namespace spaceport::card::internal {
namespace {

constexpr size_t kMaxRoutes = 100;
constexpr size_t kMaxPlans = 20;
constexpr size_t kMaxMatchBytes = 512;
constexpr int64_t kMaxFreeRequests = 1'000'000'000;
constexpr std::array<std::string_view, 7> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

std::optional<YAML::Node> Entry(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) return std::nullopt;
  return v;
}

Status OnlyKeys(const YAML::Node& map, const std::string& where, std::initializer_list<std::string_view> keys) {
  for (const auto& kv : map) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
      std::string list;
      for (std::string_view k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
      return Status::InvalidArgument(AtLine(kv.first) + where + ": unknown key '" + name + "' (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<int64_t> ReadAmount(const YAML::Node& v, const std::string& key, int64_t lo, int64_t hi, const char* what) {
  nlohmann::json j = v.IsScalar() ? ResolveScalar(v) : nlohmann::json();
  if (!j.is_number_integer() || j.get<int64_t>() < lo || j.get<int64_t>() > hi) return Fail(v, key, what);
  return j.get<int64_t>();
}

Result<billing::Micros> ReadPrice(const YAML::Node& v, const std::string& key) {
  return ReadAmount(v, key, 0, billing::kMaxPrice, "an amount in micro-units (an integer from 0; 1000000 = 1 unit)");
}

Result<billing::RateLimit> ReadRateLimit(const YAML::Node& v, const std::string& key) {
  std::optional<billing::RateLimit> r = v.IsScalar() ? billing::ParseRateLimit(v.Scalar()) : std::nullopt;
  if (!r) return Fail(v, key, "a rate like 60/min (N/s, N/min, N/hour or N/day)");
  return *r;
}

Result<billing::PriceRoute> ReadRoute(const YAML::Node& v, const std::string& key) {
  if (!v.IsMap()) return Fail(v, key, "a mapping with match and price, max or plan");
  RETURN_IF_ERROR(OnlyKeys(v, key, {"match", "price", "max", "plan"}));
  billing::PriceRoute r;
  std::optional<YAML::Node> match = Entry(v, "match");
  if (!match) return Fail(v, key + ".match", "a request pattern like \"POST /run/**\"");
  if (!match->IsScalar() || match->Scalar().size() > kMaxMatchBytes) {
    return Fail(*match, key + ".match", "a request pattern like \"POST /run/**\"");
  }
  r.match = match->Scalar();
  std::string_view text = Trim(r.match);
  if (size_t space = text.find(' '); space != std::string_view::npos) {
    r.method = std::string(text.substr(0, space));
    for (char& c : r.method) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    text = Trim(text.substr(space + 1));
    if (std::find(kMethods.begin(), kMethods.end(), r.method) == kMethods.end()) {
      return Fail(*match, key + ".match", "an HTTP method (GET, POST, ...) then a path");
    }
  }
  r.glob = std::string(text);
  if (r.glob.empty() || r.glob.front() != '/' || r.glob.find_first_of(" \t\r\n?#") != std::string::npos) {
    return Fail(*match, key + ".match", "a path glob starting with / (* within a segment, ** across)");
  }
  if (std::optional<YAML::Node> price = Entry(v, "price")) {
    ASSIGN_OR_RETURN(r.price, ReadPrice(*price, key + ".price"));
  }
  if (std::optional<YAML::Node> max = Entry(v, "max")) {
    ASSIGN_OR_RETURN(r.max, ReadPrice(*max, key + ".max"));
    if (r.price && *r.max < *r.price) return Fail(*max, key + ".max", "at least the route's price");
  }
  if (std::optional<YAML::Node> plan = Entry(v, "plan")) {
    if (!plan->IsScalar()) return Fail(*plan, key + ".plan", "the name of a plan under pricing.plans");
    r.plan = plan->Scalar();
  }
  return r;
}

bool IsPlanId(const std::string& id) {
  return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

Result<billing::Plan> ReadPlan(const YAML::Node& name, const YAML::Node& v, const std::string& key) {
  billing::Plan p;
  p.id = name.IsScalar() ? name.Scalar() : "";
  if (!IsPlanId(p.id)) return Fail(name, key, "plan names of a-z, 0-9, - and _ (at most 32)");
  const std::string at = key + "." + p.id;
  if (!v.IsMap()) return Fail(v, at, "a mapping with title, price, rate_limit and included_requests");
  RETURN_IF_ERROR(OnlyKeys(v, at, {"title", "price", "rate_limit", "included_requests"}));
  if (std::optional<YAML::Node> title = Entry(v, "title")) {
    if (!title->IsScalar() || title->Scalar().size() > 100 ||
        title->Scalar().find_first_of("\r\n") != std::string::npos) {
      return Fail(*title, at + ".title", "one line of at most 100 bytes");
    }
    p.title = title->Scalar();
  }
  std::optional<YAML::Node> price = Entry(v, "price");
  if (!price) return Fail(v, at + ".price", "the plan's price per 30 days in micro-units");
  ASSIGN_OR_RETURN(p.price, ReadAmount(*price, at + ".price", 1, billing::kMaxPrice,
                                       "the plan's price per 30 days in micro-units (an integer from 1)"));
  if (std::optional<YAML::Node> rate = Entry(v, "rate_limit")) {
    ASSIGN_OR_RETURN(p.rate_limit, ReadRateLimit(*rate, at + ".rate_limit"));
  }
  if (std::optional<YAML::Node> included = Entry(v, "included_requests")) {
    ASSIGN_OR_RETURN(p.included_requests, ReadAmount(*included, at + ".included_requests", 0, kMaxFreeRequests,
                                                     "a number of requests (an integer from 0)"));
  }
  return p;
}

}  // namespace

Status ReadSpaceportPricing(const YAML::Node& spaceport, Card& card) {
  const YAML::Node v = spaceport["pricing"];
  if (!v || v.IsNull()) return Status::Ok();
  const std::string key = "spaceport.pricing";
  if (!v.IsMap()) return Fail(v, key, "a mapping of prices (docs/billing.md)");
  RETURN_IF_ERROR(OnlyKeys(v, key, {"per_request", "free_requests", "rate_limit", "routes", "plans"}));
  billing::Pricing p;
  if (std::optional<YAML::Node> n = Entry(v, "per_request")) {
    ASSIGN_OR_RETURN(p.per_request, ReadPrice(*n, key + ".per_request"));
  }
  if (std::optional<YAML::Node> n = Entry(v, "free_requests")) {
    ASSIGN_OR_RETURN(p.free_requests, ReadAmount(*n, key + ".free_requests", 0, kMaxFreeRequests,
                                                 "a number of requests per visitor per day (an integer from 0)"));
  }
  if (std::optional<YAML::Node> n = Entry(v, "rate_limit")) {
    ASSIGN_OR_RETURN(p.rate_limit, ReadRateLimit(*n, key + ".rate_limit"));
  }
  if (std::optional<YAML::Node> plans = Entry(v, "plans")) {
    if (!plans->IsMap()) return Fail(*plans, key + ".plans", "a mapping of plan names to plans");
    if (plans->size() > kMaxPlans) return Fail(*plans, key + ".plans", "at most 20 plans");
    for (const auto& kv : *plans) {
      ASSIGN_OR_RETURN(billing::Plan plan, ReadPlan(kv.first, kv.second, key + ".plans"));
      p.plans.push_back(std::move(plan));
    }
  }
  if (std::optional<YAML::Node> routes = Entry(v, "routes")) {
    if (!routes->IsSequence()) return Fail(*routes, key + ".routes", "a list of {match, price, max, plan}");
    if (routes->size() > kMaxRoutes) return Fail(*routes, key + ".routes", "at most 100 routes");
    for (size_t i = 0; i < routes->size(); ++i) {
      const YAML::Node item = (*routes)[i];
      const std::string at = key + ".routes[" + std::to_string(i) + "]";
      ASSIGN_OR_RETURN(billing::PriceRoute r, ReadRoute(item, at));
      if (!r.plan.empty() && p.FindPlan(r.plan) == nullptr) {
        return Fail(item["plan"], at + ".plan", "the name of a plan under pricing.plans");
      }
      p.routes.push_back(std::move(r));
    }
  }
  card.pricing = std::move(p);
  return Status::Ok();
}

}  // namespace spaceport::card::internal
