// Meter: what the edge decides for one request to a priced app (docs/
// billing.md), in memory: the free requests left today, the rate limit, the
// plan a route needs, and the hold on the caller's wallet. Settling (post or
// void) goes through the Ticket the edge keeps with the request.
//
// Counters: free requests per (Space, visitor, UTC day); rate limits as
// GCRA per (Space, visitor), N requests per period with a burst of N. They
// live in memory only, so a restart forgets the last moments (the docs say
// so); money never does (the ledger). Old entries are swept as new ones
// arrive, so memory stays bounded by the visitors of the last day.
//
// Thread safety: every method may be called from any thread (a mutex held
// for map updates only; the ledger has its own).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "billing/ledger.h"
#include "billing/pricing.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "store/billing_store.h"

namespace spaceport::billing {

struct Visitor {
  int64_t user_id = 0;  // 0: anonymous (counted by ip)
  std::string ip;
  std::string Key() const { return user_id != 0 ? "u" + std::to_string(user_id) : "a" + ip; }
};

// Subscriptions as the edge sees them: the plan a user holds on a Space now
// (plan "" for none) and since when its period runs.
struct HeldPlan {
  std::string plan;
  int64_t period_start = 0;
};
class PlanLookup {
 public:
  virtual ~PlanLookup() = default;
  virtual HeldPlan PlanOf(int64_t user_id, int64_t space_key, int64_t now_ms) const = 0;
};

// The hold of one admitted request, to settle once the app answers. A ticket
// that goes unsettled (no answer, the client left) voids its hold.
class Ticket {
 public:
  Ticket(Ledger* ledger, std::string hold_id, Micros price, Micros hold, std::string owner, int64_t space_key)
      : ledger_(ledger), hold_id_(std::move(hold_id)), price_(price), hold_(hold), owner_(std::move(owner)),
        space_key_(space_key) {}
  ~Ticket();
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;
  Micros price() const { return price_; }
  Micros hold() const { return hold_; }
  // The cost: the app's X-Spaceport-Cost when it is a non-negative integer
  // (capped at the hold), else the route's price.
  Micros CostFor(std::optional<std::string_view> reported) const;
  void Post(Micros cost, std::function<void(Result<Charge>)> done);
  void Void();

 private:
  Ledger* ledger_;
  std::string hold_id_;
  Micros price_, hold_;
  std::string owner_;
  int64_t space_key_;
  bool settled_ = false;
};

struct Admission {
  enum Verdict {
    kFree,         // no charge (free route, free request, included in the plan, owner)
    kCharge,       // `ticket` holds the price
    kSignIn,       // anonymous and past the free requests: 402
    kNoCredits,    // the wallet cannot cover the hold: 402
    kNeedsPlan,    // the route is for subscribers of `decision.plan`: 402
    kRateLimited,  // 429
  } verdict = kFree;
  Decision decision;
  std::string plan = "free";  // the caller's plan on the Space ("owner" for owners and members)
  std::unique_ptr<Ticket> ticket;
  Micros balance = 0;  // available, for a 402
  // Rate limit: the policy that applied, what is left, seconds until it is
  // whole again, and for a 429 how long to wait.
  std::optional<RateLimit> limit;
  int64_t remaining = 0;
  int64_t reset_seconds = 0;
  int64_t retry_after_seconds = 0;
};

class Meter {
 public:
  Meter(Ledger* ledger, const Clock* clock, const PlanLookup* plans) : ledger_(ledger), clock_(clock), plans_(plans) {}

  // `exempt`: the owner or a member of the owning organization (never
  // charged or limited). `owner` names the earnings account.
  Admission Admit(const Pricing& pricing, int64_t space_key, const std::string& owner, const Visitor& visitor,
                  bool exempt, std::string_view method, std::string_view path);

  // The requests counted per (Space, UTC hour) since the last call, for the
  // store (store::BillingStore::AddUsage); the counters start again at zero.
  // What a crash loses is the counts since the last take (docs/billing.md).
  std::vector<store::UsageCount> TakeUsage();
  // Takes the counters and adds them to the store; on failure they are kept
  // for the next flush. Flushes run one at a time (a reader that flushes
  // first sees every request counted before it).
  Status FlushUsage(store::BillingStore& store);

 private:
  struct Day {
    int64_t day = 0;
    int64_t used = 0;
  };
  // GCRA: the theoretical arrival time of the next request (unix millis).
  struct Cell {
    int64_t tat = 0;
    int64_t period_ms = 0;
  };
  Admission Evaluate(const Pricing& pricing, int64_t space_key, const std::string& owner, const Visitor& visitor,
                     bool exempt, std::string_view method, std::string_view path);
  void Count(int64_t space_key, Admission::Verdict verdict);
  bool TakeFree(const std::string& key, int64_t limit, int64_t now_ms) SP_REQUIRES(mu_);
  bool TakeRate(const std::string& key, const RateLimit& limit, int64_t now_ms, Admission& out) SP_REQUIRES(mu_);
  void SweepLocked(int64_t now_ms) SP_REQUIRES(mu_);

  Ledger* const ledger_;
  const Clock* const clock_;
  const PlanLookup* const plans_;
  Mutex mu_;
  std::unordered_map<std::string, Day> free_ SP_GUARDED_BY(mu_);
  std::unordered_map<std::string, Day> included_ SP_GUARDED_BY(mu_);
  std::unordered_map<std::string, Cell> rates_ SP_GUARDED_BY(mu_);
  int64_t next_sweep_ms_ SP_GUARDED_BY(mu_) = 0;
  Mutex flush_mu_;  // held across the store write; never on the edge's path
  Mutex usage_mu_;
  std::map<std::pair<int64_t, int64_t>, store::UsageCount> usage_ SP_GUARDED_BY(usage_mu_);
};

}  // namespace spaceport::billing
