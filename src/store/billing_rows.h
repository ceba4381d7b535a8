// What the billing area's backends share (store/sqlite/sqlite_billing.cc,
// store/postgres/pg_billing.cc): the checks a transfer passes before any
// backend stores it, subscription states by name, and the bucketing of a
// Space's usage from the rows either backend reads.
// Pure functions and a plain accumulator; thread compatible.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/billing_store.h"

namespace spaceport::store {

// InvalidArgument naming the transfer when its fields are out of bounds.
Status CheckTransfer(const LedgerTransfer& t);

const char* SubscriptionStateName(SubscriptionState s);  // "active" | "lapsed" | "cancelled"
SubscriptionState ParseSubscriptionState(const std::string& s);  // unknown: active

// BillingStore::Usage's buckets: made for a range, then fed the stored
// counters and the wallet debits of the Space (ledger transfers) in any
// order, then read.
class UsageBuckets {
 public:
  // InvalidArgument for a bad range (as BillingStore::Usage documents).
  static Result<UsageBuckets> Make(int64_t from, int64_t to, int64_t bucket_ms, int64_t period_ms);

  int64_t first() const { return first_; }  // the first bucket's start
  int64_t end() const { return end_; }      // the end of the last bucket
  // The earliest payment that may still count a subscriber in the range.
  int64_t paid_since() const { return first_ - period_ms_; }

  void AddCounts(int64_t hour, int64_t requests, int64_t free, int64_t refused, int64_t limited);
  // A transfer debiting a wallet for this Space.
  void AddPaid(const std::string& id, const std::string& debit, int64_t amount, const std::string& kind, int64_t at);
  std::vector<UsagePoint> Finish();

 private:
  UsagePoint* Slot(int64_t at);

  int64_t first_ = 0, end_ = 0, bucket_ms_ = 0, period_ms_ = 0;
  std::vector<UsagePoint> points_;
  std::vector<std::set<std::string>> holds_, subscribers_;
};

}  // namespace spaceport::store
