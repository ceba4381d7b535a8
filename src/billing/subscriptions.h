// Subscriptions: a visitor's plan on a Space (docs/billing.md), paid from
// the wallet for 30-day periods, in memory for the edge (PlanLookup) and in
// the store for restarts.
//
// Subscribe pays the plan's price now (the owner's share and the platform's
// fee, as one ledger movement) and starts a period; Cancel stops renewal at
// the period's end; Renew (run by a timer, and by tests with a moved clock)
// pays the next period of every subscription that ended, or lets it lapse
// when the wallet cannot pay (nothing goes negative) or when it was
// cancelled. Payments are idempotent by (user, Space, period start), so a
// renewal repeated after a crash pays once.
//
// Thread safety: every method may be called from any thread; a mutex guards
// the map (never held across the ledger's write or the store).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "billing/ledger.h"
#include "billing/meter.h"
#include "billing/pricing.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "store/billing_store.h"

namespace spaceport::billing {

// The Space a subscription is for, as renewals need it: its owner (whose
// earnings the plan pays) and its current pricing (null when it has none).
struct SpacePlans {
  std::string owner;
  std::shared_ptr<const Pricing> pricing;
};
using SpacePlansLookup = std::function<Result<SpacePlans>(int64_t space_key)>;

class Subscriptions : public PlanLookup {
 public:
  static Result<std::unique_ptr<Subscriptions>> Open(store::BillingStore* store, Ledger* ledger, const Clock* clock,
                                                     SpacePlansLookup spaces);

  HeldPlan PlanOf(int64_t user_id, int64_t space_key, int64_t now_ms) const override;

  // PaymentRequired when the wallet is short; InvalidArgument for a plan the
  // Space does not offer; AlreadyExists when the user holds a plan there.
  Result<store::Subscription> Subscribe(int64_t user_id, int64_t space_key, const std::string& plan);
  Result<store::Subscription> Cancel(int64_t user_id, int64_t space_key);  // NotFound
  Result<store::Subscription> Get(int64_t user_id, int64_t space_key) const;  // NotFound
  std::vector<store::Subscription> OfUser(int64_t user_id) const;
  // Renews or ends what is due; how many were renewed.
  int Renew();

 private:
  Subscriptions(store::BillingStore* store, Ledger* ledger, const Clock* clock, SpacePlansLookup spaces)
      : store_(store), ledger_(ledger), clock_(clock), spaces_(std::move(spaces)) {}
  // The plan's price for one period, as one ledger movement.
  Result<bool> Pay(const store::Subscription& s, const SpacePlans& space, const Plan& plan);

  store::BillingStore* const store_;
  Ledger* const ledger_;
  const Clock* const clock_;
  const SpacePlansLookup spaces_;
  mutable Mutex mu_;
  std::map<std::pair<int64_t, int64_t>, store::Subscription> subs_ SP_GUARDED_BY(mu_);  // (user, Space)
  std::set<std::pair<int64_t, int64_t>> paying_ SP_GUARDED_BY(mu_);  // Subscribe in progress
};

}  // namespace spaceport::billing
