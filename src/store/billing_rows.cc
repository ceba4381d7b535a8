#include "store/billing_rows.h"

#include <algorithm>

namespace spaceport::store {
namespace {

constexpr size_t kMaxIdBytes = 200;
constexpr size_t kMaxAccountBytes = 120;
constexpr size_t kMaxRefBytes = 500;
constexpr int64_t kMaxBuckets = 10'000;

}  // namespace

Status CheckTransfer(const LedgerTransfer& t) {
  if (t.id.empty() || t.id.size() > kMaxIdBytes) return Status::InvalidArgument("a transfer needs an id of 1-200 bytes");
  if (t.debit.empty() || t.credit.empty() || t.debit.size() > kMaxAccountBytes || t.credit.size() > kMaxAccountBytes) {
    return Status::InvalidArgument("transfer " + t.id + ": bad account names");
  }
  if (t.debit == t.credit) return Status::InvalidArgument("transfer " + t.id + " moves money from an account to itself");
  if (t.amount <= 0) return Status::InvalidArgument("transfer " + t.id + ": the amount must be positive");
  if (t.ref.size() > kMaxRefBytes || t.kind.empty() || t.kind.size() > 32) {
    return Status::InvalidArgument("transfer " + t.id + ": bad kind or reference");
  }
  return Status::Ok();
}

const char* SubscriptionStateName(SubscriptionState s) {
  switch (s) {
    case SubscriptionState::kActive: return "active";
    case SubscriptionState::kLapsed: return "lapsed";
    case SubscriptionState::kCancelled: return "cancelled";
  }
  return "active";
}

SubscriptionState ParseSubscriptionState(const std::string& s) {
  if (s == "lapsed") return SubscriptionState::kLapsed;
  if (s == "cancelled") return SubscriptionState::kCancelled;
  return SubscriptionState::kActive;
}

Result<UsageBuckets> UsageBuckets::Make(int64_t from, int64_t to, int64_t bucket_ms, int64_t period_ms) {
  if (bucket_ms <= 0 || period_ms <= 0 || from < 0 || to < from) {
    return Status::InvalidArgument("a usage range needs 0 <= from <= to and a positive bucket");
  }
  UsageBuckets b;
  b.first_ = from / bucket_ms * bucket_ms;
  const int64_t count = (to - b.first_ + bucket_ms - 1) / bucket_ms;
  if (count > kMaxBuckets) return Status::InvalidArgument("a usage range has at most 10000 buckets");
  b.bucket_ms_ = bucket_ms;
  b.period_ms_ = period_ms;
  b.end_ = b.first_ + count * bucket_ms;
  b.points_.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) b.points_[i].start = b.first_ + i * bucket_ms;
  b.holds_.resize(b.points_.size());
  b.subscribers_.resize(b.points_.size());
  return b;
}

UsagePoint* UsageBuckets::Slot(int64_t at) {
  if (at < first_ || at >= end_) return nullptr;
  return &points_[static_cast<size_t>((at - first_) / bucket_ms_)];
}

void UsageBuckets::AddCounts(int64_t hour, int64_t requests, int64_t free, int64_t refused, int64_t limited) {
  if (UsagePoint* p = Slot(hour)) {
    p->requests += requests;
    p->free += free;
    p->refused += refused;
    p->limited += limited;
  }
}

// A request's charge and fee share its hold's id after the first ':'; a
// plan's payment and fee start "sub:". Plan payments from a period before
// the range still count their subscribers.
void UsageBuckets::AddPaid(const std::string& id, const std::string& debit, int64_t amount, const std::string& kind,
                           int64_t at) {
  if (id.starts_with("sub:")) {
    // Subscribed from `at` for a period: every bucket it overlaps.
    for (int64_t b = std::max(first_, at / bucket_ms_ * bucket_ms_); b < std::min(end_, at + period_ms_);
         b += bucket_ms_) {
      subscribers_[(b - first_) / bucket_ms_].insert(debit);
    }
    if (UsagePoint* p = Slot(at)) p->subscription_revenue += amount;
  } else if (kind == "charge" || kind == "fee") {
    if (UsagePoint* p = Slot(at)) {
      p->request_revenue += amount;
      holds_[(at - first_) / bucket_ms_].insert(id.substr(id.find(':') + 1));
    }
  }
}

std::vector<UsagePoint> UsageBuckets::Finish() {
  for (size_t i = 0; i < points_.size(); ++i) {
    points_[i].charged = static_cast<int64_t>(holds_[i].size());
    points_[i].subscribers = static_cast<int64_t>(subscribers_[i].size());
  }
  return std::move(points_);
}

}  // namespace spaceport::store
