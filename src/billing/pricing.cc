#include "billing/pricing.h"

#include <algorithm>
#include <charconv>

namespace spaceport::billing {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Glob against path, both from their starts. Iterative with backtracking to
// the last star, so hostile globs cannot make it exponential: each star
// remembers one resume point, a `**` one of its own.
bool Match(std::string_view g, std::string_view p) {
  size_t gi = 0, pi = 0;
  size_t star_g = std::string_view::npos, star_p = 0;  // the last '*' (within a segment)
  size_t dstar_g = std::string_view::npos, dstar_p = 0;  // the last '**' (across segments)
  while (pi < p.size()) {
    if (gi + 1 < g.size() && g[gi] == '*' && g[gi + 1] == '*') {
      gi += 2;
      dstar_g = gi;
      dstar_p = pi;
      star_g = std::string_view::npos;
      continue;
    }
    if (gi < g.size() && g[gi] == '*') {
      ++gi;
      star_g = gi;
      star_p = pi;
      continue;
    }
    if (gi < g.size() && g[gi] == p[pi]) {
      ++gi;
      ++pi;
      continue;
    }
    if (star_g != std::string_view::npos && p[star_p] != '/') {
      gi = star_g;
      pi = ++star_p;
      continue;
    }
    if (dstar_g != std::string_view::npos) {
      gi = dstar_g;
      pi = ++dstar_p;
      star_g = std::string_view::npos;
      continue;
    }
    return false;
  }
  while (gi < g.size() && g[gi] == '*') ++gi;
  return gi == g.size();
}

nlohmann::json RateLimitJson(const std::optional<RateLimit>& r) {
  if (!r) return nullptr;
  return {{"limit", r->count}, {"periodSeconds", r->period_seconds}, {"text", r->ToString()}};
}

}  // namespace

std::string RateLimit::ToString() const {
  const char* unit = period_seconds == 1 ? "s" : period_seconds == 60 ? "min" : period_seconds == 3600 ? "hour" : "day";
  return std::to_string(count) + "/" + unit;
}

std::optional<RateLimit> ParseRateLimit(std::string_view text) {
  text = TrimSpaces(text);
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view number = TrimSpaces(text.substr(0, slash));
  std::string_view unit = TrimSpaces(text.substr(slash + 1));
  int64_t count = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || count < 1 ||
      count > 1'000'000'000) {
    return std::nullopt;
  }
  int64_t period = 0;
  if (unit == "s" || unit == "sec" || unit == "second") period = 1;
  if (unit == "min" || unit == "minute") period = 60;
  if (unit == "h" || unit == "hour") period = 3600;
  if (unit == "d" || unit == "day") period = 86400;
  if (period == 0) return std::nullopt;
  return RateLimit{count, period};
}

bool GlobMatch(std::string_view glob, std::string_view path) { return Match(glob, path); }

bool Pricing::metered() const {
  if (per_request > 0 || free_requests > 0 || rate_limit) return true;
  return std::any_of(routes.begin(), routes.end(),
                     [](const PriceRoute& r) { return r.price.value_or(0) > 0 || !r.plan.empty(); });
}

const Plan* Pricing::FindPlan(std::string_view id) const {
  for (const Plan& p : plans) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

Decision Pricing::Decide(std::string_view method, std::string_view path) const {
  for (size_t i = 0; i < routes.size(); ++i) {
    const PriceRoute& r = routes[i];
    if (!r.method.empty() && r.method != method) continue;
    if (!GlobMatch(r.glob, path)) continue;
    Decision d;
    d.route = static_cast<int>(i);
    d.price = r.price.value_or(per_request);
    d.hold = std::max(d.price, r.max.value_or(d.price));
    d.plan = r.plan;
    return d;
  }
  return Decision{per_request, per_request, "", -1};
}

nlohmann::json Pricing::ToJson(std::string_view currency) const {
  nlohmann::json routes_json = nlohmann::json::array();
  for (const PriceRoute& r : routes) {
    nlohmann::json j = {{"match", r.match}, {"price", r.price.value_or(per_request)}};
    j["max"] = std::max(r.price.value_or(per_request), r.max.value_or(r.price.value_or(per_request)));
    j["method"] = r.method.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.method);
    j["path"] = r.glob;
    j["plan"] = r.plan.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.plan);
    routes_json.push_back(std::move(j));
  }
  nlohmann::json plans_json = nlohmann::json::array();
  for (const Plan& p : plans) {
    plans_json.push_back({{"id", p.id},
                          {"title", p.title.empty() ? p.id : p.title},
                          {"price", p.price},
                          {"periodDays", kPlanPeriodSeconds / 86400},
                          {"rateLimit", RateLimitJson(p.rate_limit)},
                          {"includedRequests", p.included_requests}});
  }
  return {{"currency", std::string(currency)},
          {"unit", 1000000},
          {"metered", metered()},
          {"perRequest", per_request},
          {"freeRequests", free_requests},
          {"rateLimit", RateLimitJson(rate_limit)},
          {"routes", std::move(routes_json)},
          {"plans", std::move(plans_json)}};
}

std::string FormatMicros(Micros amount) {
  bool negative = amount < 0;
  uint64_t v = negative ? 0 - static_cast<uint64_t>(amount) : static_cast<uint64_t>(amount);
  std::string out = std::to_string(v / 1'000'000);
  uint64_t frac = v % 1'000'000;
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 6 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return negative ? "-" + out : out;
}

std::optional<Micros> ParseUnits(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 7 || frac.size() > 6 || (dot != std::string_view::npos && frac.empty())) {
    return std::nullopt;
  }
  Micros units = 0, micros = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    units = units * 10 + (c - '0');
  }
  for (size_t i = 0; i < 6; ++i) {
    char c = i < frac.size() ? frac[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    micros = micros * 10 + (c - '0');
  }
  Micros total = units * 1'000'000 + micros;
  if (total > kMaxPrice) return std::nullopt;
  return total;
}

}  // namespace spaceport::billing
