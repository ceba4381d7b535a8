// BillingStore: the durable side of the ledger (billing/ledger.h) and of
// subscriptions: a double-entry ledger of immutable transfers between named
// accounts, the two-phase holds that precede charges, and the plans visitors
// subscribed to.
//
// Accounts are strings (docs/billing.md): "wallet:<user id>", "earnings:
// <owner>", "platform:fees", "external:funding", "external:grants",
// "external:payouts". An account's balance is the sum of what was credited
// to it minus what was debited from it, so the balances of all accounts sum
// to zero; a cached balance per account is kept in the same transaction and
// SumsFromTransfers recomputes them for audits. A wallet never goes below
// zero: a batch that would make one negative fails whole (the in-memory
// ledger checks first; this is the last line).
//
// Apply writes a batch (holds opened, holds resolved, transfers) as one
// transaction that is on disk (fsync) before it returns: the ledger's group
// commit. Transfers are idempotent by id: an id already stored is skipped
// and reported as not new. A hold resolves once: resolving a hold that
// was resolved before fails the batch (Internal: the caller's bookkeeping
// is wrong).
//
// Thread safety: every method may be called from any thread. Failure:
// InvalidArgument for malformed input, FailedPrecondition for a batch that
// would overdraw a wallet, Unavailable/Internal for the database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace spaceport::store {

struct LedgerTransfer {
  std::string id;  // unique: the idempotency key ("charge:<hold>", "stripe:evt_...")
  std::string debit;
  std::string credit;
  int64_t amount = 0;  // micro-units, > 0
  std::string kind;    // topup, grant, charge, fee, subscription, payout, refund, adjustment
  int64_t space_id = 0;  // the Space it was for; 0: none
  std::string ref;       // free text: a request, an external reference
  int64_t at = 0;        // unix millis
  int64_t seq = 0;       // order of storing, filled by the store
};

struct LedgerHold {
  std::string id;
  std::string account;
  int64_t amount = 0;
  int64_t at = 0;
};

// Holds are written open when reserved (`opened`) or only when they
// resolve (`posted`, `voided`: an open row is closed, a hold never written
// is recorded closed). Either way a hold resolves once.
struct LedgerBatch {
  std::vector<LedgerHold> opened;
  std::vector<LedgerHold> posted;  // their charges are in `transfers`
  std::vector<LedgerHold> voided;
  std::vector<LedgerTransfer> transfers;
  // Replaying the ledger's journal (billing/journal.h): part of it may be
  // stored already (a crash between storing and removing the journal), so a
  // hold resolved before is skipped instead of failing the batch.
  bool replay = false;
  bool empty() const { return opened.empty() && posted.empty() && voided.empty() && transfers.empty(); }
};

// Requests the edge counted for a Space in one UTC hour (`hour`: its start,
// unix millis): all metered requests, those let through free (free
// requests, plans' included ones, free routes, owners), those refused for
// money (402) and those rate limited (429). AddUsage adds to what is stored.
struct UsageCount {
  int64_t space_id = 0;
  int64_t hour = 0;
  int64_t requests = 0;
  int64_t free = 0;
  int64_t refused = 0;
  int64_t limited = 0;
};

// One bucket of a Space's usage (BillingStore::Usage): the counts above
// summed over the bucket, and from the ledger the requests charged (holds
// posted with a cost), what visitors paid for requests and for plans, and
// the subscribers: users with a paid plan period that overlaps the bucket.
struct UsagePoint {
  int64_t start = 0;  // unix millis
  int64_t requests = 0;
  int64_t free = 0;
  int64_t refused = 0;
  int64_t limited = 0;
  int64_t charged = 0;
  int64_t request_revenue = 0;       // micro-units, gross (fee included)
  int64_t subscription_revenue = 0;  // micro-units, gross
  int64_t subscribers = 0;
};

enum class SubscriptionState { kActive, kLapsed, kCancelled };

struct Subscription {
  int64_t user_id = 0;
  int64_t space_id = 0;
  std::string plan;
  int64_t period_start = 0;  // unix millis
  int64_t period_end = 0;
  bool cancel_at_period_end = false;
  SubscriptionState state = SubscriptionState::kActive;
  int64_t created_at = 0;
};

class BillingStore {
 public:
  virtual ~BillingStore() = default;

  // One durable transaction; the ids of the transfers that were new.
  virtual Result<std::vector<std::string>> Apply(const LedgerBatch& batch, int64_t now) = 0;
  // Voids every hold still open (a server that crashed left them): how many.
  virtual Result<int64_t> VoidOpenHolds(int64_t now) = 0;
  // Every account that has a balance row, with its balance, by account.
  virtual Result<std::vector<std::pair<std::string, int64_t>>> Balances() = 0;
  virtual Result<int64_t> Balance(std::string_view account) = 0;  // 0 for an unknown account
  // The same, recomputed from the transfers (audits and tests).
  virtual Result<std::vector<std::pair<std::string, int64_t>>> SumsFromTransfers() = 0;
  // Transfers debiting or crediting `account`, newest first, with seq below
  // `before_seq` (0: from the newest), at most `limit`.
  virtual Result<std::vector<LedgerTransfer>> ListTransfers(std::string_view account, int64_t before_seq,
                                                            int64_t limit) = 0;
  // Every transfer in storing order, with seq above `after_seq` (audits).
  virtual Result<std::vector<LedgerTransfer>> AllTransfers(int64_t after_seq, int64_t limit) = 0;
  virtual Result<LedgerTransfer> GetTransfer(std::string_view id) = 0;  // NotFound
  virtual Result<int64_t> CountOpenHolds() = 0;
  // Per Space (space_id; 0 for none), the sums of the transfers of `kind`
  // that credit `credit` (any account when empty), by Space id.
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> SumsBySpace(std::string_view kind,
                                                                       std::string_view credit) = 0;
  // The sum of the transfers from `debit` to `credit`.
  virtual Result<int64_t> SumBetween(std::string_view debit, std::string_view credit) = 0;

  // Usage counters, added to the stored ones (one transaction).
  virtual Status AddUsage(const std::vector<UsageCount>& counts) = 0;
  // Every bucket of `bucket_ms` (an hour or a day; buckets start at
  // multiples of it since the epoch, UTC) from the one holding `from` to
  // the one before `to`, empty ones included, oldest first. A plan payment
  // counts its subscriber for `period_ms` from when it was made.
  virtual Result<std::vector<UsagePoint>> Usage(int64_t space_id, int64_t from, int64_t to, int64_t bucket_ms,
                                                int64_t period_ms) = 0;

  // Subscriptions: one row per (user, Space), replaced by Put.
  virtual Status PutSubscription(const Subscription& subscription) = 0;
  virtual Result<Subscription> GetSubscription(int64_t user_id, int64_t space_id) = 0;  // NotFound
  virtual Result<std::vector<Subscription>> ListSubscriptions(int64_t user_id) = 0;     // by Space
  virtual Result<std::vector<Subscription>> ListActiveSubscriptions() = 0;
};

struct StoreOptions;

// The billing area of the store at options.url (as Store::Open; for
// "sqlite::memory:" a database of its own). store.cc.
Result<std::unique_ptr<BillingStore>> OpenBillingStore(const StoreOptions& options);

// The SQLite backend on the store's database file (a connection of its own
// with synchronous=FULL, so Apply's commit is on disk when it returns);
// ":memory:" for tests. store/sqlite/sqlite_billing.cc.
Result<std::unique_ptr<BillingStore>> OpenSqliteBillingStore(const std::string& path);

}  // namespace spaceport::store
