#include "billing/meter.h"

#include <algorithm>
#include <charconv>

namespace spaceport::billing {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kSweepEveryMs = 60'000;

}  // namespace

Ticket::~Ticket() { Void(); }

Micros Ticket::CostFor(std::optional<std::string_view> reported) const {
  if (!reported) return price_;
  std::string_view v = *reported;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  int64_t cost = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), cost);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || cost < 0) return price_;
  return std::min(cost, hold_);
}

void Ticket::Post(Micros cost, std::function<void(Result<Charge>)> done) {
  if (settled_) {
    done(Status::FailedPrecondition("the request was settled before"));
    return;
  }
  settled_ = true;
  ledger_->Post(hold_id_, cost, owner_, space_key_, std::move(done));
}

void Ticket::Void() {
  if (settled_) return;
  settled_ = true;
  ledger_->Void(hold_id_);
}

Admission Meter::Admit(const Pricing& pricing, int64_t space_key, const std::string& owner, const Visitor& visitor,
                       bool exempt, std::string_view method, std::string_view path) {
  Admission out = Evaluate(pricing, space_key, owner, visitor, exempt, method, path);
  Count(space_key, out.verdict);
  return out;
}

void Meter::Count(int64_t space_key, Admission::Verdict verdict) {
  constexpr int64_t kHourMs = 3'600'000;
  const int64_t hour = clock_->UnixMillis() / kHourMs * kHourMs;
  MutexLock lock(usage_mu_);
  store::UsageCount& c = usage_[{space_key, hour}];
  c.space_id = space_key;
  c.hour = hour;
  ++c.requests;
  switch (verdict) {
    case Admission::kFree: ++c.free; break;
    case Admission::kCharge: break;
    case Admission::kRateLimited: ++c.limited; break;
    case Admission::kSignIn:
    case Admission::kNoCredits:
    case Admission::kNeedsPlan: ++c.refused; break;
  }
}

std::vector<store::UsageCount> Meter::TakeUsage() {
  std::map<std::pair<int64_t, int64_t>, store::UsageCount> taken;
  {
    MutexLock lock(usage_mu_);
    taken.swap(usage_);
  }
  std::vector<store::UsageCount> out;
  out.reserve(taken.size());
  for (auto& [key, count] : taken) out.push_back(count);
  return out;
}

Status Meter::FlushUsage(store::BillingStore& store) {
  MutexLock flush(flush_mu_);
  std::vector<store::UsageCount> taken = TakeUsage();
  Status s = store.AddUsage(taken);
  if (!s.ok()) {
    MutexLock lock(usage_mu_);
    for (const store::UsageCount& c : taken) {
      store::UsageCount& back = usage_[{c.space_id, c.hour}];
      back.space_id = c.space_id;
      back.hour = c.hour;
      back.requests += c.requests;
      back.free += c.free;
      back.refused += c.refused;
      back.limited += c.limited;
    }
  }
  return s;
}

Admission Meter::Evaluate(const Pricing& pricing, int64_t space_key, const std::string& owner, const Visitor& visitor,
                          bool exempt, std::string_view method, std::string_view path) {
  Admission out;
  out.decision = pricing.Decide(method, path);
  if (exempt) {
    out.plan = "owner";
    return out;
  }
  const int64_t now = clock_->UnixMillis();
  HeldPlan held;
  if (visitor.user_id != 0 && plans_ != nullptr && !pricing.plans.empty()) {
    held = plans_->PlanOf(visitor.user_id, space_key, now);
  }
  const Plan* plan = held.plan.empty() ? nullptr : pricing.FindPlan(held.plan);
  if (plan != nullptr) out.plan = plan->id;
  if (!out.decision.plan.empty() && (plan == nullptr || plan->id != out.decision.plan)) {
    out.verdict = Admission::kNeedsPlan;
    return out;
  }
  const std::string who = std::to_string(space_key) + "|" + visitor.Key();
  MutexLock lock(mu_);
  SweepLocked(now);
  const std::optional<RateLimit>& limit = plan != nullptr ? plan->rate_limit : pricing.rate_limit;
  if (limit && !TakeRate(who, *limit, now, out)) {
    out.verdict = Admission::kRateLimited;
    return out;
  }
  if (out.decision.price <= 0 && out.decision.hold <= 0) return out;  // a free route
  if (plan != nullptr && plan->included_requests > 0) {
    Day& d = included_[who];
    if (d.day != held.period_start) d = Day{held.period_start, 0};
    if (d.used < plan->included_requests) {
      ++d.used;
      return out;
    }
  }
  if (pricing.free_requests > 0 && TakeFree(who, pricing.free_requests, now)) return out;
  if (visitor.user_id == 0) {
    out.verdict = Admission::kSignIn;
    return out;
  }
  // The ledger's lock nests inside ours (never the other way round).
  std::optional<std::string> hold = ledger_->Hold(visitor.user_id, out.decision.hold);
  if (!hold) {
    out.verdict = Admission::kNoCredits;
    out.balance = ledger_->Wallet(visitor.user_id).available();
    return out;
  }
  out.verdict = Admission::kCharge;
  out.ticket = std::make_unique<Ticket>(ledger_, *hold, out.decision.price, out.decision.hold, owner, space_key);
  return out;
}

bool Meter::TakeFree(const std::string& key, int64_t limit, int64_t now_ms) {
  Day& d = free_[key];
  const int64_t today = now_ms / kDayMs;
  if (d.day != today) d = Day{today, 0};
  if (d.used >= limit) return false;
  ++d.used;
  return true;
}

// GCRA with a burst of the whole limit: `count` requests per period, and
// one more each period/count after.
bool Meter::TakeRate(const std::string& key, const RateLimit& limit, int64_t now_ms, Admission& out) {
  const int64_t period = limit.period_seconds * 1000;
  const int64_t step = std::max<int64_t>(1, period / limit.count);
  const int64_t tolerance = period - step;
  Cell& c = rates_[key];
  c.period_ms = period;
  const int64_t tat = std::max(c.tat, now_ms);
  out.limit = limit;
  if (tat - now_ms > tolerance) {
    out.remaining = 0;
    out.retry_after_seconds = std::max<int64_t>(1, (tat - now_ms - tolerance + 999) / 1000);
    out.reset_seconds = (tat - now_ms + 999) / 1000;
    return false;
  }
  c.tat = tat + step;
  out.remaining = std::max<int64_t>(0, (tolerance - (c.tat - now_ms)) / step + 1);
  out.reset_seconds = (c.tat - now_ms + 999) / 1000;
  return true;
}

void Meter::SweepLocked(int64_t now_ms) {
  if (now_ms < next_sweep_ms_) return;
  next_sweep_ms_ = now_ms + kSweepEveryMs;
  const int64_t today = now_ms / kDayMs;
  std::erase_if(free_, [&](const auto& e) { return e.second.day != today; });
  std::erase_if(rates_, [&](const auto& e) { return e.second.tat <= now_ms; });
  std::erase_if(included_, [&](const auto& e) { return e.second.day < now_ms - kPlanPeriodSeconds * 1000; });
}

}  // namespace spaceport::billing
