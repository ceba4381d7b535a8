// Ledger: the wallets, in memory, in front of the durable double-entry
// ledger (store/billing_store.h), so that metering never waits on the
// database to decide, and waits on it only to make a charge durable.
//
// - Hold(user, amount) reserves part of a wallet before a request is
//   forwarded, in memory only (a crash forgets it, which voids it: nothing
//   was charged). It fails when balance minus what is held is short.
// - Post(hold, cost, ...) settles: the cost (at most the hold) moves from
//   the wallet to the owner's earnings, less the platform's fee, which goes
//   to platform:fees; the rest of the hold is released. `done` runs once the
//   charge is on disk (the caller then sends the response head that tells
//   the client it was charged), with the wallet's balance after it.
// - Void(hold) releases it (status >= 500, no answer).
// - Transfer(...) for movements decided elsewhere (top-ups, grants, plans,
//   payouts): idempotent by id, durable before it returns, refused when it
//   would take a wallet below what it has available.
//
// Group commit: one writer thread takes everything queued, writes it (one
// fsync for many requests) and then runs the callbacks. Charges (posted and
// voided holds) go to the journal (billing/journal.h) when the options name
// one: one append and one fdatasync; a folder thread moves the journal into
// the store in large transactions, at low priority, when the writer has
// been idle a moment, when a segment grows large, and when Flush asks (the
// readers of the store call it first). Everything else (top-ups, grants,
// plans, payouts) is written to the store directly. A failed write fails
// every callback of that batch (the caller answers 503 rather than deliver
// an answer it cannot prove was paid) and memory is put back as the disk
// has it, so memory never claims money the ledger does not hold.
//
// At Open, the journal left by the last run is folded into the store (a
// replay: what was folded before is skipped), holds a crash left open in the
// store are voided and balances are loaded. Thread safety: every method may be called from any thread;
// callbacks run on the writer thread and must not block.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "billing/journal.h"
#include "billing/pricing.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "store/billing_store.h"

namespace spaceport::billing {

// Account names (docs/billing.md).
std::string WalletAccount(int64_t user_id);
std::string EarningsAccount(std::string_view owner);  // a user's or an organization's
inline constexpr std::string_view kFeesAccount = "platform:fees";
inline constexpr std::string_view kFundingAccount = "external:funding";
inline constexpr std::string_view kGrantsAccount = "external:grants";
inline constexpr std::string_view kPayoutsAccount = "external:payouts";

struct LedgerOptions {
  int fee_percent = 10;  // of each charge and plan payment, to platform:fees
  // Where charges are journaled first; "": written to the store directly.
  std::string journal_dir;
  // Fold the journal when the ledger is destroyed (false: as after a crash,
  // the next Open replays it; for tests).
  bool fold_at_shutdown = true;
  // Fold when idle or large (false: only when Flush asks; for tests).
  bool fold_in_background = true;
};

struct WalletView {
  Micros balance = 0;
  Micros held = 0;
  Micros available() const { return balance - held; }
};

// What a settled charge did.
struct Charge {
  Micros cost = 0;
  Micros balance = 0;  // the wallet's after it
};

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(store::BillingStore* store, const Clock* clock, LedgerOptions options);
  ~Ledger();  // writes what is queued, then stops the writer
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  WalletView Wallet(int64_t user_id);
  Micros BalanceOf(const std::string& account);

  // A hold id, or nullopt when the wallet's available balance is short.
  // amount 0 holds nothing and always succeeds.
  std::optional<std::string> Hold(int64_t user_id, Micros amount);
  // Charges min(cost, hold) (cost < 0 counts as 0) for a request to a Space
  // of `owner`; `done` as above. An unknown hold fails `done` at once.
  void Post(const std::string& hold_id, Micros cost, const std::string& owner, int64_t space_id,
            std::function<void(Result<Charge>)> done);
  void Void(const std::string& hold_id);
  // Durable, idempotent by t.id: true when it was new. A debit of a wallet
  // beyond what it has available is PaymentRequired.
  Result<bool> Transfer(store::LedgerTransfer t) { return TransferAll({std::move(t)}); }
  // Several transfers as one: all or none are stored (a plan's payment: the
  // owner's share and the fee). Whether they were new is told by the first.
  Result<bool> TransferAll(std::vector<store::LedgerTransfer> transfers);
  // The fee of `amount` under the options (rounded down: the creator keeps
  // the odd micro-unit).
  Micros FeeOf(Micros amount) const { return amount * options_.fee_percent / 100; }
  int fee_percent() const { return options_.fee_percent; }
  // Waits until everything queued before the call is written and in the
  // store (the journal folded), so a read of the store sees it. The error of
  // a fold that failed.
  Status Flush();
  // Reads every balance from the store again, keeping this ledger's own
  // journaled and queued effects on top: after another node charged wallets
  // (it held the runtime; docs/scale-out.md).
  Status ReloadFromStore();

 private:
  struct Pending {
    store::LedgerBatch batch;
    std::function<void(Status)> done;  // may be empty
    bool charge = false;  // a posted or voided hold: journaled when there is a journal
  };
  struct OpenHold {
    std::string account;
    Micros amount = 0;
    int64_t at = 0;
  };

  Ledger(store::BillingStore* store, const Clock* clock, LedgerOptions options)
      : store_(store), clock_(clock), options_(options) {}
  // Post's work under mu_; false when the hold is not open.
  bool PostLocked(const std::string& hold_id, Micros cost, const std::string& owner, int64_t space_id,
                  std::function<void(Result<Charge>)>& done) SP_REQUIRES(mu_);
  // Journals charges; on success their effects count as unfolded, on
  // failure they leave memory. The append's status. Under commit_mu_.
  Status JournalCharges(const std::vector<Pending*>& charges);
  void Enqueue(Pending p);
  void WriterLoop();
  // Writes `work` (charges to the journal, the rest to the store); the
  // outcome of each, and the transfer ids that were new.
  void WriteBatches(std::deque<Pending>& work, std::vector<Status>& outcome, std::set<std::string>& fresh);
  void FolderLoop();
  // Folds every sealed segment (after sealing the current one) into the store.
  Status FoldAll();
  // Asks the folder for a pass over everything journaled so far and waits
  // for it: its outcome.
  Status FoldAndWait();
  // The balance changes of charges' transfers (to undo a failed journal write).
  static void AddEffects(const store::LedgerBatch& b, int sign, std::unordered_map<std::string, Micros>& into);
  // Memory from `stored` (the store's balances, read without the lock) plus
  // what is queued and not yet written.
  void ReloadLocked(std::vector<std::pair<std::string, Micros>> stored) SP_REQUIRES(mu_);

  store::BillingStore* const store_;
  const Clock* const clock_;
  const LedgerOptions options_;
  const std::string hold_prefix_ = RandomPrefix();
  static std::string RandomPrefix();

  Mutex mu_;  // the in-memory state; never held across I/O
  std::unordered_map<std::string, Micros> balances_ SP_GUARDED_BY(mu_);
  std::unordered_map<std::string, Micros> held_ SP_GUARDED_BY(mu_);
  std::unordered_map<std::string, OpenHold> holds_ SP_GUARDED_BY(mu_);
  uint64_t next_hold_ SP_GUARDED_BY(mu_) = 0;

  Mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_ SP_GUARDED_BY(queue_mu_);
  uint64_t enqueued_ SP_GUARDED_BY(queue_mu_) = 0;
  uint64_t written_ SP_GUARDED_BY(queue_mu_) = 0;
  bool stopping_ SP_GUARDED_BY(queue_mu_) = false;
  int64_t last_append_ms_ SP_GUARDED_BY(queue_mu_) = 0;  // steady clock: when the journal last grew
  std::thread writer_;

  // The journal and its folder (null without a journal).
  std::unique_ptr<Journal> journal_;
  // Effects of charges on the journal and not yet in the store, by account:
  // what a reload from the store adds back.
  std::unordered_map<std::string, Micros> unfolded_ SP_GUARDED_BY(mu_);
  // Held while charges are journaled and counted as unfolded, and by a
  // reload (which must see each charge in exactly one place).
  Mutex commit_mu_;
  Mutex fold_mu_;  // held across a fold's store write
  Mutex folder_mu_;
  std::condition_variable folder_cv_;
  uint64_t fold_requests_ SP_GUARDED_BY(folder_mu_) = 0;
  uint64_t folds_done_ SP_GUARDED_BY(folder_mu_) = 0;
  Status last_fold_ SP_GUARDED_BY(folder_mu_);
  bool folder_stopping_ SP_GUARDED_BY(folder_mu_) = false;
  std::thread folder_;
};

}  // namespace spaceport::billing
