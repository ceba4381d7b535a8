#include "billing/ledger.h"

#include <algorithm>
#include <future>
#include <set>

#include "core/log.h"
#include "core/strings.h"

namespace spaceport::billing {

std::string WalletAccount(int64_t user_id) { return "wallet:" + std::to_string(user_id); }

std::string EarningsAccount(std::string_view owner) { return "earnings:" + ToLower(owner); }

std::string Ledger::RandomPrefix() { return "h" + RandomHex(6) + "-"; }

Result<std::unique_ptr<Ledger>> Ledger::Open(store::BillingStore* store, const Clock* clock, LedgerOptions options) {
  if (options.fee_percent < 0 || options.fee_percent > 100) {
    return Status::InvalidArgument("the platform fee is a percentage from 0 to 100");
  }
  ASSIGN_OR_RETURN(int64_t voided, store->VoidOpenHolds(clock->UnixMillis()));
  if (voided > 0) {
    SP_LOG(kInfo) << "ledger: voided " << voided << " holds left open by the last run";
  }
  std::unique_ptr<Ledger> ledger(new Ledger(store, clock, options));
  ASSIGN_OR_RETURN(auto stored, store->Balances());
  {
    MutexLock lock(ledger->mu_);
    ledger->ReloadLocked(std::move(stored));
  }
  ledger->writer_ = std::thread([l = ledger.get()] { l->WriterLoop(); });
  return ledger;
}

Ledger::~Ledger() {
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

WalletView Ledger::Wallet(int64_t user_id) {
  std::string account = WalletAccount(user_id);
  MutexLock lock(mu_);
  auto b = balances_.find(account);
  auto h = held_.find(account);
  return WalletView{b == balances_.end() ? 0 : b->second, h == held_.end() ? 0 : h->second};
}

Micros Ledger::BalanceOf(const std::string& account) {
  MutexLock lock(mu_);
  auto b = balances_.find(account);
  return b == balances_.end() ? 0 : b->second;
}

std::optional<std::string> Ledger::Hold(int64_t user_id, Micros amount) {
  amount = std::max<Micros>(0, amount);
  std::string account = WalletAccount(user_id);
  MutexLock lock(mu_);
  Micros available = balances_[account] - held_[account];
  if (amount > available) return std::nullopt;
  std::string id = hold_prefix_ + std::to_string(++next_hold_);
  holds_.emplace(id, OpenHold{account, amount, clock_->UnixMillis()});
  held_[account] += amount;
  return id;
}

void Ledger::Post(const std::string& hold_id, Micros cost, const std::string& owner, int64_t space_id,
                  std::function<void(Result<Charge>)> done) {
  {
    MutexLock lock(mu_);
    if (PostLocked(hold_id, cost, owner, space_id, done)) return;
  }
  done(Status::FailedPrecondition("hold " + hold_id + " is not open"));
}

bool Ledger::PostLocked(const std::string& hold_id, Micros cost, const std::string& owner, int64_t space_id,
                        std::function<void(Result<Charge>)>& done) {
  auto it = holds_.find(hold_id);
  if (it == holds_.end()) return false;
  OpenHold h = std::move(it->second);
  holds_.erase(it);
  held_[h.account] -= h.amount;
  cost = std::clamp<Micros>(cost, 0, h.amount);
  const Micros fee = FeeOf(cost), net = cost - fee;
  const int64_t now = clock_->UnixMillis();
  Pending p;
  p.batch.posted.push_back({hold_id, h.account, h.amount, h.at});
  const std::string earnings = EarningsAccount(owner);
  if (net > 0) p.batch.transfers.push_back({"charge:" + hold_id, h.account, earnings, net, "charge", space_id, "", now});
  if (fee > 0) {
    p.batch.transfers.push_back({"fee:" + hold_id, h.account, std::string(kFeesAccount), fee, "fee", space_id, "", now});
  }
  // In memory now, so the next request sees the lower balance; on disk
  // before `done` says so.
  balances_[h.account] -= cost;
  balances_[earnings] += net;
  balances_[std::string(kFeesAccount)] += fee;
  Charge charge{cost, balances_[h.account]};
  p.done = [done = std::move(done), charge](Status s) {
    if (s.ok()) {
      done(charge);
    } else {
      done(s);
    }
  };
  Enqueue(std::move(p));  // under mu_: a reload sees every charge either in the store or in the queue
  return true;
}

void Ledger::Void(const std::string& hold_id) {
  MutexLock lock(mu_);
  auto it = holds_.find(hold_id);
  if (it == holds_.end()) return;
  held_[it->second.account] -= it->second.amount;
  Pending p;
  p.batch.voided.push_back({hold_id, it->second.account, it->second.amount, it->second.at});
  holds_.erase(it);
  Enqueue(std::move(p));  // a record for audits; nobody waits for it
}

Result<bool> Ledger::TransferAll(std::vector<store::LedgerTransfer> transfers) {
  if (transfers.empty()) return Status::InvalidArgument("nothing to transfer");
  std::unordered_map<std::string, Micros> wallet_debits;
  for (store::LedgerTransfer& t : transfers) {
    if (t.amount <= 0) return Status::InvalidArgument("a transfer moves a positive amount");
    if (t.debit == t.credit) return Status::InvalidArgument("a transfer moves money between two accounts");
    if (t.at == 0) t.at = clock_->UnixMillis();
    if (StartsWith(t.debit, "wallet:")) wallet_debits[t.debit] += t.amount;
  }
  auto result = std::make_shared<std::promise<Result<bool>>>();
  std::future<Result<bool>> future = result->get_future();
  std::optional<Status> short_of;
  {
    MutexLock lock(mu_);
    for (const auto& [wallet, amount] : wallet_debits) {
      Micros available = balances_[wallet] - held_[wallet];
      if (amount > available) {
        short_of = Status::PaymentRequired("the wallet has " + FormatMicros(available) + " available, " +
                                           FormatMicros(amount) + " is needed");
        break;
      }
    }
    if (!short_of) {
      for (const auto& [wallet, amount] : wallet_debits) held_[wallet] += amount;  // reserved until written
      Pending p;
      p.batch.transfers = std::move(transfers);
      p.done = [result](Status s) {
        if (s.code() == StatusCode::kAlreadyExists) {
          result->set_value(false);  // stored before: idempotent
        } else if (s.ok()) {
          result->set_value(true);
        } else {
          result->set_value(s);
        }
      };
      Enqueue(std::move(p));
    }
  }
  if (short_of) {
    // A retry of a movement stored before is not refused for what it spent then.
    if (store_->GetTransfer(transfers[0].id).ok()) return false;
    return *short_of;
  }
  return future.get();
}

Status Ledger::Flush() {
  MutexLock lock(queue_mu_);
  const uint64_t target = enqueued_;
  lock.Wait(queue_cv_, [&]() SP_REQUIRES(queue_mu_) { return written_ >= target; });
  return Status::Ok();
}

void Ledger::Enqueue(Pending p) {
  {
    MutexLock lock(queue_mu_);
    queue_.push_back(std::move(p));
    ++enqueued_;
  }
  queue_cv_.notify_all();
}

// Balances from the store, plus what is queued and not yet written (charges
// already taken in memory); held: the open holds plus the wallet debits of
// queued transfers.
void Ledger::ReloadLocked(std::vector<std::pair<std::string, Micros>> stored) {
  balances_.clear();
  held_.clear();
  for (auto& [account, balance] : stored) balances_[account] = balance;
  for (const auto& [id, h] : holds_) held_[h.account] += h.amount;
  MutexLock queue_lock(queue_mu_);
  for (const Pending& p : queue_) {
    if (p.batch.posted.empty()) {
      for (const auto& t : p.batch.transfers) {
        if (StartsWith(t.debit, "wallet:")) held_[t.debit] += t.amount;
      }
      continue;
    }
    for (const auto& t : p.batch.transfers) {
      balances_[t.debit] -= t.amount;
      balances_[t.credit] += t.amount;
    }
  }
}

void Ledger::WriterLoop() {
  while (true) {
    std::deque<Pending> work;
    {
      MutexLock lock(queue_mu_);
      lock.Wait(queue_cv_, [&]() SP_REQUIRES(queue_mu_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and all written
      work.swap(queue_);
    }
    const int64_t now = clock_->UnixMillis();
    // One transaction for all; should it fail, each on its own, so one bad
    // entry does not fail the others.
    std::vector<std::pair<size_t, Result<std::vector<std::string>>>> results;
    store::LedgerBatch merged;
    for (const Pending& p : work) {
      const auto& b = p.batch;
      merged.opened.insert(merged.opened.end(), b.opened.begin(), b.opened.end());
      merged.posted.insert(merged.posted.end(), b.posted.begin(), b.posted.end());
      merged.voided.insert(merged.voided.end(), b.voided.begin(), b.voided.end());
      merged.transfers.insert(merged.transfers.end(), b.transfers.begin(), b.transfers.end());
    }
    std::vector<Status> outcome(work.size(), Status::Ok());
    std::set<std::string> fresh;
    Result<std::vector<std::string>> all = store_->Apply(merged, now);
    if (all.ok()) {
      fresh.insert(all->begin(), all->end());
    } else if (work.size() == 1) {
      outcome[0] = all.status();
    } else {
      for (size_t i = 0; i < work.size(); ++i) {
        Result<std::vector<std::string>> one = store_->Apply(work[i].batch, now);
        if (one.ok()) {
          fresh.insert(one->begin(), one->end());
        } else {
          outcome[i] = one.status();
        }
      }
    }
    bool failed = std::any_of(outcome.begin(), outcome.end(), [](const Status& s) { return !s.ok(); });
    // After a failure memory follows the store: read it before taking the
    // lock the edge's holds take too.
    Result<std::vector<std::pair<std::string, Micros>>> stored =
        failed ? store_->Balances() : Result<std::vector<std::pair<std::string, Micros>>>(
                                          std::vector<std::pair<std::string, Micros>>{});
    // Whether each TransferAll() was new. An id counts for one caller only:
    // the same event delivered twice in one batch is stored once, and so
    // reaches memory once.
    std::vector<bool> is_new(work.size(), false);
    {
      MutexLock lock(mu_);
      // Transfers (not charges) reach memory once written, if they were new.
      for (size_t i = 0; i < work.size(); ++i) {
        const Pending& p = work[i];
        if (!p.batch.posted.empty()) continue;
        for (size_t k = 0; k < p.batch.transfers.size(); ++k) {
          const auto& t = p.batch.transfers[k];
          if (StartsWith(t.debit, "wallet:")) held_[t.debit] -= t.amount;
          if (!outcome[i].ok() || fresh.erase(t.id) == 0) continue;
          if (k == 0) is_new[i] = true;
          balances_[t.debit] -= t.amount;
          balances_[t.credit] += t.amount;
        }
      }
      if (failed) {
        if (stored.ok()) {
          SP_LOG(kError) << "ledger: a write failed; balances reloaded from the store";
          ReloadLocked(std::move(stored).value());
        } else {
          SP_LOG(kError) << "ledger: a write failed and reloading failed: " << stored.status().message();
        }
      }
    }
    for (size_t i = 0; i < work.size(); ++i) {
      Pending& p = work[i];
      if (!p.done) continue;
      if (!outcome[i].ok()) {
        p.done(outcome[i]);
        continue;
      }
      // TransferAll(): whether its first transfer was new.
      if (p.batch.posted.empty() && !p.batch.transfers.empty() && !is_new[i]) {
        p.done(Status::AlreadyExists("stored before"));
        continue;
      }
      p.done(Status::Ok());
    }
    {
      MutexLock lock(queue_mu_);
      written_ += work.size();
    }
    queue_cv_.notify_all();
  }
}

}  // namespace spaceport::billing
