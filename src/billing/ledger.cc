#include "billing/ledger.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <set>

#include "core/log.h"
#include "core/strings.h"

namespace spaceport::billing {

namespace {

constexpr int64_t kMaxUnfoldedBytes = 1LL << 30;        // the writer waits for the folder past this
constexpr int64_t kFoldSegmentBytes = 64LL << 20;       // a segment this big is folded without waiting
constexpr auto kIdleBeforeFold = std::chrono::milliseconds(200);
constexpr size_t kBatchesPerFold = 4000;                // per store transaction

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

store::LedgerBatch Merge(const std::vector<const store::LedgerBatch*>& batches) {
  store::LedgerBatch merged;
  for (const store::LedgerBatch* b : batches) {
    merged.opened.insert(merged.opened.end(), b->opened.begin(), b->opened.end());
    merged.posted.insert(merged.posted.end(), b->posted.begin(), b->posted.end());
    merged.voided.insert(merged.voided.end(), b->voided.begin(), b->voided.end());
    merged.transfers.insert(merged.transfers.end(), b->transfers.begin(), b->transfers.end());
  }
  return merged;
}

}  // namespace

std::string WalletAccount(int64_t user_id) { return "wallet:" + std::to_string(user_id); }

std::string EarningsAccount(std::string_view owner) { return "earnings:" + ToLower(owner); }

std::string Ledger::RandomPrefix() { return "h" + RandomHex(6) + "-"; }

Result<std::unique_ptr<Ledger>> Ledger::Open(store::BillingStore* store, const Clock* clock, LedgerOptions options) {
  if (options.fee_percent < 0 || options.fee_percent > 100) {
    return Status::InvalidArgument("the platform fee is a percentage from 0 to 100");
  }
  std::unique_ptr<Ledger> ledger(new Ledger(store, clock, options));
  if (!options.journal_dir.empty()) {
    ASSIGN_OR_RETURN(ledger->journal_, Journal::Open(options.journal_dir));
    // The last run's charges first: they resolve holds it wrote.
    const int64_t before = ledger->journal_->unfolded_bytes();
    if (Status s = ledger->FoldAll(); !s.ok()) return s.WithContext("folding the ledger's journal");
    if (before > 0) {
      SP_LOG(kInfo) << "ledger: folded " << before << " bytes of journal left by the last run";
    }
    MutexLock lock(ledger->mu_);
    ledger->unfolded_.clear();  // those were never counted as unfolded
  }
  ASSIGN_OR_RETURN(int64_t voided, store->VoidOpenHolds(clock->UnixMillis()));
  if (voided > 0) {
    SP_LOG(kInfo) << "ledger: voided " << voided << " holds left open by the last run";
  }
  ASSIGN_OR_RETURN(auto stored, store->Balances());
  {
    MutexLock lock(ledger->mu_);
    ledger->ReloadLocked(std::move(stored));
  }
  ledger->writer_ = std::thread([l = ledger.get()] { l->WriterLoop(); });
  if (ledger->journal_) ledger->folder_ = std::thread([l = ledger.get()] { l->FolderLoop(); });
  return ledger;
}

Ledger::~Ledger() {
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (folder_.joinable()) {
    {
      MutexLock lock(folder_mu_);
      folder_stopping_ = true;
    }
    folder_cv_.notify_all();
    folder_.join();
  }
  // What is journaled goes into the store now (else at the next Open).
  if (journal_ && options_.fold_at_shutdown) {
    if (Status s = FoldAll(); !s.ok()) {
      SP_LOG(kWarn) << "ledger: folding the journal at shutdown: " << s.message();
    }
  }
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

Status Ledger::JournalCharges(const std::vector<Pending*>& charges) {
  if (journal_->unfolded_bytes() > kMaxUnfoldedBytes) {
    SP_LOG(kWarn) << "ledger: the journal is " << (journal_->unfolded_bytes() >> 20)
                  << " MB ahead of the store; waiting for the fold";
    (void)FoldAndWait();  // a failed fold: appended anyway, the cap is not a correctness limit
  }
  std::vector<const store::LedgerBatch*> batches;
  for (const Pending* p : charges) batches.push_back(&p->batch);
  Status s = journal_->Append(batches);
  {
    MutexLock lock(mu_);
    for (const store::LedgerBatch* b : batches) {
      // In the journal: unfolded until the store has it. Not there: the
      // charge never happened, its effects leave memory (its hold was
      // released when posted).
      AddEffects(*b, s.ok() ? +1 : -1, s.ok() ? unfolded_ : balances_);
    }
  }
  if (!s.ok()) {
    SP_LOG(kError) << "ledger: a journal write failed; those charges were not made: " << s.message();
  }
  {
    MutexLock lock(queue_mu_);
    last_append_ms_ = SteadyMillis();
  }
  if (s.ok() && journal_->appended_bytes_in_current() >= kFoldSegmentBytes) folder_cv_.notify_all();
  return s;
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
  p.charge = true;
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
  p.charge = true;
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
  {
    MutexLock lock(queue_mu_);
    const uint64_t target = enqueued_;
    lock.Wait(queue_cv_, [&]() SP_REQUIRES(queue_mu_) { return written_ >= target; });
  }
  return journal_ ? FoldAndWait() : Status::Ok();
}

Status Ledger::FoldAndWait() {
  MutexLock lock(folder_mu_);
  const uint64_t want = ++fold_requests_;
  folder_cv_.notify_all();
  lock.Wait(folder_cv_, [&]() SP_REQUIRES(folder_mu_) { return folds_done_ >= want || folder_stopping_; });
  return folds_done_ >= want ? last_fold_ : Status::Unavailable("the ledger is stopping");
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
Status Ledger::ReloadFromStore() {
  ASSIGN_OR_RETURN(auto stored, store_->Balances());
  MutexLock lock(mu_);
  ReloadLocked(std::move(stored));
  return Status::Ok();
}

void Ledger::ReloadLocked(std::vector<std::pair<std::string, Micros>> stored) {
  balances_.clear();
  held_.clear();
  for (auto& [account, balance] : stored) balances_[account] = balance;
  for (const auto& [account, delta] : unfolded_) balances_[account] += delta;  // journaled, not yet stored
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
    std::vector<Status> outcome(work.size(), Status::Ok());
    std::set<std::string> fresh;
    WriteBatches(work, outcome, fresh);
    // (A failed journal append already took its charges out of memory.)
    bool store_failed = false;
    for (size_t i = 0; i < work.size(); ++i) {
      if (!outcome[i].ok() && !(journal_ && work[i].charge)) store_failed = true;
    }
    // After a failed store write memory follows the store (and what the
    // journal holds): read it before taking the lock the edge's holds take
    // too, and with no fold in between.
    std::optional<MutexLock> no_commit, no_fold;
    if (store_failed) {
      no_commit.emplace(commit_mu_);
      no_fold.emplace(fold_mu_);
    }
    Result<std::vector<std::pair<std::string, Micros>>> stored =
        store_failed ? store_->Balances() : Result<std::vector<std::pair<std::string, Micros>>>(
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
      if (store_failed) {
        if (stored.ok()) {
          SP_LOG(kError) << "ledger: a write failed; balances reloaded from the store";
          ReloadLocked(std::move(stored).value());
        } else {
          SP_LOG(kError) << "ledger: a write failed and reloading failed: " << stored.status().message();
        }
      }
    }
    no_fold.reset();
    no_commit.reset();
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

void Ledger::AddEffects(const store::LedgerBatch& b, int sign, std::unordered_map<std::string, Micros>& into) {
  for (const store::LedgerTransfer& t : b.transfers) {
    into[t.debit] -= sign * t.amount;
    into[t.credit] += sign * t.amount;
  }
}


void Ledger::WriteBatches(std::deque<Pending>& work, std::vector<Status>& outcome, std::set<std::string>& fresh) {
  const int64_t now = clock_->UnixMillis();
  std::vector<size_t> to_store, to_journal;
  for (size_t i = 0; i < work.size(); ++i) (journal_ && work[i].charge ? to_journal : to_store).push_back(i);
  if (!to_journal.empty()) {
    std::vector<Pending*> charges;
    for (size_t i : to_journal) charges.push_back(&work[i]);
    MutexLock commit(commit_mu_);
    Status s = JournalCharges(charges);
    for (size_t i : to_journal) outcome[i] = s;
  }
  if (to_store.empty()) return;
  // One transaction for all; should it fail, each on its own, so one bad
  // entry does not fail the others.
  std::vector<const store::LedgerBatch*> batches;
  for (size_t i : to_store) batches.push_back(&work[i].batch);
  Result<std::vector<std::string>> all = store_->Apply(Merge(batches), now);
  if (all.ok()) {
    fresh.insert(all->begin(), all->end());
    return;
  }
  if (to_store.size() == 1) {
    outcome[to_store[0]] = all.status();
    return;
  }
  for (size_t i : to_store) {
    Result<std::vector<std::string>> one = store_->Apply(work[i].batch, now);
    if (one.ok()) {
      fresh.insert(one->begin(), one->end());
    } else {
      outcome[i] = one.status();
    }
  }
}

Status Ledger::FoldAll() {
  ASSIGN_OR_RETURN(std::vector<std::string> segments, journal_->Seal());
  for (const std::string& path : segments) {
    std::vector<store::LedgerBatch> chunk;
    auto fold = [&]() -> Status {
      if (chunk.empty()) return Status::Ok();
      std::vector<const store::LedgerBatch*> ptrs;
      for (const store::LedgerBatch& b : chunk) ptrs.push_back(&b);
      store::LedgerBatch merged = Merge(ptrs);
      merged.replay = true;  // part of it may be stored (a fold cut short)
      MutexLock fold_lock(fold_mu_);
      auto settled = [&](const store::LedgerBatch& b, const std::set<std::string>& fresh) {
        MutexLock lock(mu_);
        for (const store::LedgerTransfer& t : b.transfers) {
          if (fresh.count(t.id) == 0) continue;  // stored before: subtracted then
          unfolded_[t.debit] += t.amount;
          unfolded_[t.credit] -= t.amount;
        }
        std::erase_if(unfolded_, [](const auto& e) { return e.second == 0; });
      };
      Result<std::vector<std::string>> all = store_->Apply(merged, clock_->UnixMillis());
      if (all.ok()) {
        settled(merged, std::set<std::string>(all->begin(), all->end()));
        chunk.clear();
        return Status::Ok();
      }
      const StatusCode code = all.status().code();
      if (code != StatusCode::kInvalidArgument && code != StatusCode::kFailedPrecondition &&
          code != StatusCode::kInternal) {
        return all.status();  // the database is unwell: tried again later
      }
      // Refused for what is in it: batch by batch, and what the store
      // refuses for good is set aside rather than block every later charge.
      for (store::LedgerBatch& b : chunk) {
        b.replay = true;
        Result<std::vector<std::string>> one = store_->Apply(b, clock_->UnixMillis());
        if (one.ok()) {
          settled(b, std::set<std::string>(one->begin(), one->end()));
          continue;
        }
        const StatusCode c = one.status().code();
        if (c != StatusCode::kInvalidArgument && c != StatusCode::kFailedPrecondition && c != StatusCode::kInternal) {
          return one.status();
        }
        RETURN_IF_ERROR(journal_->Quarantine(b, one.status().message()));
        std::set<std::string> all_ids;
        for (const store::LedgerTransfer& t : b.transfers) all_ids.insert(t.id);
        settled(b, all_ids);  // no longer waiting to be folded
      }
      chunk.clear();
      return Status::Ok();
    };
    RETURN_IF_ERROR(Journal::ReadSegment(path, [&](store::LedgerBatch b) -> Status {
      chunk.push_back(std::move(b));
      return chunk.size() >= kBatchesPerFold ? fold() : Status::Ok();
    }));
    RETURN_IF_ERROR(fold());
    RETURN_IF_ERROR(journal_->Remove(path));
  }
  return Status::Ok();
}

// Folds at low priority (the edge's threads come first), when asked (Flush),
// after the writer has been idle a moment, or when a segment is large.
void Ledger::FolderLoop() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  while (true) {
    uint64_t target = 0;
    bool asked = false;
    {
      MutexLock lock(folder_mu_);
      lock.WaitFor(folder_cv_, kIdleBeforeFold,
                   [&]() SP_REQUIRES(folder_mu_) { return folder_stopping_ || fold_requests_ > folds_done_; });
      if (folder_stopping_) return;
      target = fold_requests_;
      asked = fold_requests_ > folds_done_;
    }
    if (!asked) {
      if (!options_.fold_in_background) continue;
      int64_t last = 0;
      {
        MutexLock lock(queue_mu_);
        last = last_append_ms_;
      }
      const bool idle = SteadyMillis() - last >= kIdleBeforeFold.count();
      const bool big = journal_->appended_bytes_in_current() >= kFoldSegmentBytes;
      if (journal_->unfolded_bytes() == 0 || !(idle || big)) continue;
    }
    Status s = FoldAll();
    if (!s.ok()) {
      SP_LOG(kError) << "ledger: folding the journal into the store: " << s.message();
    }
    {
      MutexLock lock(folder_mu_);
      folds_done_ = std::max(folds_done_, target);
      last_fold_ = s;
    }
    folder_cv_.notify_all();
    if (!s.ok()) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace spaceport::billing
