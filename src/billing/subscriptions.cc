#include "billing/subscriptions.h"

#include "core/log.h"

namespace spaceport::billing {
namespace {

constexpr int64_t kPeriodMs = kPlanPeriodSeconds * 1000;

bool Live(const store::Subscription& s, int64_t now) {
  return s.state == store::SubscriptionState::kActive && s.period_end > now;
}

}  // namespace

Result<std::unique_ptr<Subscriptions>> Subscriptions::Open(store::BillingStore* store, Ledger* ledger,
                                                           const Clock* clock, SpacePlansLookup spaces) {
  std::unique_ptr<Subscriptions> subs(new Subscriptions(store, ledger, clock, std::move(spaces)));
  ASSIGN_OR_RETURN(std::vector<store::Subscription> active, store->ListActiveSubscriptions());
  MutexLock lock(subs->mu_);
  for (store::Subscription& s : active) subs->subs_[{s.user_id, s.space_id}] = std::move(s);
  return subs;
}

HeldPlan Subscriptions::PlanOf(int64_t user_id, int64_t space_key, int64_t now_ms) const {
  MutexLock lock(mu_);
  auto it = subs_.find({user_id, space_key});
  if (it == subs_.end() || !Live(it->second, now_ms)) return HeldPlan{};
  return HeldPlan{it->second.plan, it->second.period_start};
}

Result<bool> Subscriptions::Pay(const store::Subscription& s, const SpacePlans& space, const Plan& plan) {
  const std::string id = "sub:" + std::to_string(s.user_id) + ":" + std::to_string(s.space_id) + ":" +
                         std::to_string(s.period_start);
  const Micros fee = ledger_->FeeOf(plan.price), net = plan.price - fee;
  const std::string ref = "plan " + plan.id + " until " + FormatIsoTime(s.period_end);
  std::vector<store::LedgerTransfer> moves;
  if (net > 0) {
    moves.push_back({id, WalletAccount(s.user_id), EarningsAccount(space.owner), net, "subscription", s.space_id, ref, 0});
  }
  if (fee > 0) {
    moves.push_back({id + ":fee", WalletAccount(s.user_id), std::string(kFeesAccount), fee, "fee", s.space_id, ref, 0});
  }
  return ledger_->TransferAll(std::move(moves));
}

Result<store::Subscription> Subscriptions::Subscribe(int64_t user_id, int64_t space_key, const std::string& plan_id) {
  ASSIGN_OR_RETURN(SpacePlans space, spaces_(space_key));
  const Plan* plan = space.pricing ? space.pricing->FindPlan(plan_id) : nullptr;
  if (plan == nullptr) return Status::InvalidArgument("this Space offers no plan '" + plan_id + "'");
  const int64_t now = clock_->UnixMillis();
  store::Subscription s;
  s.user_id = user_id;
  s.space_id = space_key;
  s.plan = plan->id;
  s.period_start = now;
  s.period_end = now + kPeriodMs;
  s.created_at = now;
  const std::pair<int64_t, int64_t> key{user_id, space_key};
  {
    MutexLock lock(mu_);
    auto it = subs_.find(key);
    if (it != subs_.end() && Live(it->second, now)) {
      return Status::AlreadyExists("you already subscribe to the plan '" + it->second.plan + "' of this Space");
    }
    // So that a second click cannot pay twice while the first is paid.
    if (!paying_.insert(key).second) return Status::AlreadyExists("a subscription to this Space is being paid");
  }
  Result<bool> paid = Pay(s, space, *plan);
  Status stored = paid.ok() ? store_->PutSubscription(s) : paid.status();
  MutexLock lock(mu_);
  paying_.erase(key);
  if (!stored.ok()) return stored;
  subs_[key] = s;
  return s;
}

Result<store::Subscription> Subscriptions::Cancel(int64_t user_id, int64_t space_key) {
  store::Subscription s;
  {
    MutexLock lock(mu_);
    auto it = subs_.find({user_id, space_key});
    if (it == subs_.end() || !Live(it->second, clock_->UnixMillis())) return Status::NotFound("no subscription to cancel");
    it->second.cancel_at_period_end = true;
    s = it->second;
  }
  RETURN_IF_ERROR(store_->PutSubscription(s));
  return s;
}

Result<store::Subscription> Subscriptions::Get(int64_t user_id, int64_t space_key) const {
  {
    MutexLock lock(mu_);
    auto it = subs_.find({user_id, space_key});
    if (it != subs_.end()) return it->second;
  }
  return store_->GetSubscription(user_id, space_key);  // lapsed or cancelled ones
}

std::vector<store::Subscription> Subscriptions::OfUser(int64_t user_id) const {
  Result<std::vector<store::Subscription>> stored = store_->ListSubscriptions(user_id);
  std::vector<store::Subscription> out = stored.ok() ? *stored : std::vector<store::Subscription>{};
  MutexLock lock(mu_);
  for (store::Subscription& s : out) {
    auto it = subs_.find({s.user_id, s.space_id});
    if (it != subs_.end()) s = it->second;  // memory is ahead of the store
  }
  return out;
}

int Subscriptions::Renew() {
  const int64_t now = clock_->UnixMillis();
  std::vector<store::Subscription> due;
  {
    MutexLock lock(mu_);
    for (const auto& [key, s] : subs_) {
      if (s.state == store::SubscriptionState::kActive && s.period_end <= now) due.push_back(s);
    }
  }
  int renewed = 0;
  for (store::Subscription s : due) {
    store::Subscription next = s;
    if (s.cancel_at_period_end) {
      next.state = store::SubscriptionState::kCancelled;
    } else {
      Result<SpacePlans> space = spaces_(s.space_id);
      if (!space.ok() && space.status().code() != StatusCode::kNotFound) {
        SP_LOG(kWarn) << "renewing a subscription: " << space.status().message();  // tried again next time
        continue;
      }
      const Plan* plan = space.ok() && space->pricing ? space->pricing->FindPlan(s.plan) : nullptr;
      // The next period follows the last one; after a long outage it starts
      // now (periods that passed unserved are not billed).
      next.period_start = s.period_end + kPeriodMs <= now ? now : s.period_end;
      next.period_end = next.period_start + kPeriodMs;
      Result<bool> paid = plan != nullptr ? Pay(next, *space, *plan) : Result<bool>(Status::NotFound("the plan is gone"));
      if (paid.ok()) {
        ++renewed;
      } else if (paid.status().code() == StatusCode::kPaymentRequired ||
                 paid.status().code() == StatusCode::kNotFound) {
        SP_LOG(kInfo) << "subscription of user " << s.user_id << " to Space " << s.space_id
                      << " lapses: " << paid.status().message();
        next = s;
        next.state = store::SubscriptionState::kLapsed;
      } else {
        SP_LOG(kWarn) << "renewing a subscription: " << paid.status().message();  // tried again next time
        continue;
      }
    }
    {
      // A cancel that came in meanwhile still holds (for the period just paid).
      MutexLock lock(mu_);
      auto it = subs_.find({s.user_id, s.space_id});
      if (it != subs_.end() && it->second.cancel_at_period_end && next.state == store::SubscriptionState::kActive) {
        next.cancel_at_period_end = true;
      }
    }
    if (Status st = store_->PutSubscription(next); !st.ok()) {
      SP_LOG(kWarn) << "storing a renewed subscription: " << st.message();  // renewal is idempotent: retried next time
      continue;
    }
    MutexLock lock(mu_);
    if (next.state == store::SubscriptionState::kActive) {
      subs_[{next.user_id, next.space_id}] = next;
    } else {
      subs_.erase({next.user_id, next.space_id});
    }
  }
  return renewed;
}

}  // namespace spaceport::billing
