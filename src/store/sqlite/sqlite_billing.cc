// The SQLite backend of store::BillingStore: a connection of its own on the
// store's file, with synchronous=FULL so a committed ledger batch is on disk
// (the main store's connection keeps NORMAL). One mutex serializes it.
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "store/billing_rows.h"
#include "store/billing_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"

namespace spaceport::store::sqlite {
namespace {

LedgerTransfer TransferRow(const Stmt& st) {
  return LedgerTransfer{st.Text(0), st.Text(1), st.Text(2), st.Int(3), st.Text(4),
                        st.Int(5),  st.Text(6), st.Int(7),  st.Int(8)};
}

constexpr char kTransferColumns[] = "id, debit, credit, amount, kind, space_id, ref, at, seq";

class SqliteBillingStore : public BillingStore {
 public:
  explicit SqliteBillingStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<std::vector<std::string>> Apply(const LedgerBatch& batch, int64_t now) override {
    for (const LedgerTransfer& t : batch.transfers) RETURN_IF_ERROR(CheckTransfer(t));
    return InTxn(true, [&]() -> Result<std::vector<std::string>> {
      for (const LedgerHold& h : batch.opened) {
        ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO ledger_holds (id, account, amount, state, created_at) "
                                               "VALUES (?, ?, ?, 'open', ?)"));
        RETURN_IF_ERROR(st->Bind(1, h.id).Bind(2, h.account).Bind(3, h.amount).Bind(4, h.at).Run());
      }
      for (int pass = 0; pass < 2; ++pass) {
        for (const LedgerHold& h : pass == 0 ? batch.posted : batch.voided) {
          ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                        "INSERT INTO ledger_holds (id, account, amount, state, created_at, resolved_at) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
                                        "state = excluded.state, resolved_at = excluded.resolved_at "
                                        "WHERE ledger_holds.state = 'open'"));
          RETURN_IF_ERROR(st->Bind(1, h.id).Bind(2, h.account).Bind(3, h.amount)
                              .Bind(4, pass == 0 ? "posted" : "voided").Bind(5, h.at).Bind(6, now).Run());
          if (st->Changes() != 1 && !batch.replay) {
            return Status::Internal("hold " + h.id + " was resolved before: it resolves once");
          }
        }
      }
      std::vector<std::string> fresh;
      // Balances change once per account per batch (a group commit holds
      // many charges of few accounts); a wallet must end it at zero or more.
      std::map<std::string, std::pair<int64_t, std::string>> deltas;  // account -> (delta, a transfer)
      for (const LedgerTransfer& t : batch.transfers) {
        ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO ledger_transfers (id, debit, credit, amount, kind, "
                                               "space_id, ref, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                               "ON CONFLICT (id) DO NOTHING"));
        RETURN_IF_ERROR(st->Bind(1, t.id).Bind(2, t.debit).Bind(3, t.credit).Bind(4, t.amount).Bind(5, t.kind)
                            .Bind(6, t.space_id).Bind(7, t.ref).Bind(8, t.at == 0 ? now : t.at).Run());
        if (st->Changes() == 0) continue;  // stored before: idempotent
        auto& debit = deltas[t.debit];
        debit.first -= t.amount;
        debit.second = t.id;
        deltas[t.credit].first += t.amount;
        fresh.push_back(t.id);
      }
      for (const auto& [account, delta] : deltas) {
        if (delta.first != 0) RETURN_IF_ERROR(AddToBalance(account, delta.first, delta.second));
      }
      return fresh;
    });
  }

  Result<int64_t> VoidOpenHolds(int64_t now) override {
    return InTxn(true, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE ledger_holds SET state = 'voided', resolved_at = ? "
                                             "WHERE state = 'open'"));
      RETURN_IF_ERROR(st->Bind(1, now).Run());
      return st->Changes();
    });
  }

  Result<std::vector<std::pair<std::string, int64_t>>> Balances() override {
    return Pairs("SELECT account, balance FROM ledger_balances ORDER BY account");
  }

  Result<int64_t> Balance(std::string_view account) override {
    return InTxn(false, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT balance FROM ledger_balances WHERE account = ?"));
      st->Bind(1, account);
      ASSIGN_OR_RETURN(bool row, st->Step());
      return row ? st->Int(0) : 0;
    });
  }

  Result<std::vector<std::pair<std::string, int64_t>>> SumsFromTransfers() override {
    return Pairs(
        "SELECT account, SUM(delta) FROM ("
        " SELECT credit AS account, amount AS delta FROM ledger_transfers"
        " UNION ALL SELECT debit, -amount FROM ledger_transfers) GROUP BY account ORDER BY account");
  }

  Result<std::vector<LedgerTransfer>> ListTransfers(std::string_view account, int64_t before_seq,
                                                    int64_t limit) override {
    return InTxn(false, [&]() -> Result<std::vector<LedgerTransfer>> {
      // Two index range scans, merged newest first.
      ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kTransferColumns + " FROM ("
                                             "SELECT * FROM ledger_transfers WHERE debit = ?1 AND seq < ?2 "
                                             "UNION SELECT * FROM ledger_transfers WHERE credit = ?1 AND seq < ?2) "
                                             "ORDER BY seq DESC LIMIT ?3"));
      st->Bind(1, account).Bind(2, before_seq <= 0 ? INT64_MAX : before_seq).Bind(3, limit);
      std::vector<LedgerTransfer> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) return out;
        out.push_back(TransferRow(*st));
      }
    });
  }

  Result<std::vector<LedgerTransfer>> AllTransfers(int64_t after_seq, int64_t limit) override {
    return InTxn(false, [&]() -> Result<std::vector<LedgerTransfer>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kTransferColumns +
                                             " FROM ledger_transfers WHERE seq > ? ORDER BY seq LIMIT ?"));
      st->Bind(1, after_seq).Bind(2, limit);
      std::vector<LedgerTransfer> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) return out;
        out.push_back(TransferRow(*st));
      }
    });
  }

  Result<LedgerTransfer> GetTransfer(std::string_view id) override {
    return InTxn(false, [&]() -> Result<LedgerTransfer> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kTransferColumns +
                                             " FROM ledger_transfers WHERE id = ?"));
      st->Bind(1, id);
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) return Status::NotFound("no transfer " + std::string(id));
      return TransferRow(*st);
    });
  }

  Result<int64_t> CountOpenHolds() override {
    return InTxn(false, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT COUNT(*) FROM ledger_holds WHERE state = 'open'"));
      ASSIGN_OR_RETURN(bool row, st->Step());
      return row ? st->Int(0) : 0;
    });
  }

  Result<std::vector<std::pair<int64_t, int64_t>>> SumsBySpace(std::string_view kind, std::string_view credit) override {
    return InTxn(false, [&]() -> Result<std::vector<std::pair<int64_t, int64_t>>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT space_id, SUM(amount) FROM ledger_transfers "
                                             "WHERE kind = ?1 AND (?2 = '' OR credit = ?2) GROUP BY space_id "
                                             "ORDER BY space_id"));
      st->Bind(1, kind).Bind(2, credit);
      std::vector<std::pair<int64_t, int64_t>> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) return out;
        out.emplace_back(st->Int(0), st->Int(1));
      }
    });
  }

  Result<int64_t> SumBetween(std::string_view debit, std::string_view credit) override {
    return InTxn(false, [&]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers "
                                             "WHERE debit = ? AND credit = ?"));
      st->Bind(1, debit).Bind(2, credit);
      ASSIGN_OR_RETURN(bool row, st->Step());
      return row ? st->Int(0) : 0;
    });
  }

  Status AddUsage(const std::vector<UsageCount>& counts) override {
    if (counts.empty()) return Status::Ok();
    return InTxn(true, [&]() -> Status {
      for (const UsageCount& c : counts) {
        if (c.requests < 0 || c.free < 0 || c.refused < 0 || c.limited < 0) {
          return Status::InvalidArgument("usage counts are never negative");
        }
        ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                      "INSERT INTO space_usage (space_id, hour, requests, free, refused, limited) "
                                      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (space_id, hour) DO UPDATE SET "
                                      "requests = requests + excluded.requests, free = free + excluded.free, "
                                      "refused = refused + excluded.refused, limited = limited + excluded.limited"));
        RETURN_IF_ERROR(st->Bind(1, c.space_id).Bind(2, c.hour).Bind(3, c.requests).Bind(4, c.free)
                            .Bind(5, c.refused).Bind(6, c.limited).Run());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<UsagePoint>> Usage(int64_t space_id, int64_t from, int64_t to, int64_t bucket_ms,
                                        int64_t period_ms) override {
    ASSIGN_OR_RETURN(UsageBuckets buckets, UsageBuckets::Make(from, to, bucket_ms, period_ms));
    RETURN_IF_ERROR(InTxn(false, [&]() -> Status {
      ASSIGN_OR_RETURN(auto counts, db_->Prepare("SELECT hour, requests, free, refused, limited FROM space_usage "
                                                 "WHERE space_id = ? AND hour >= ? AND hour < ?"));
      counts->Bind(1, space_id).Bind(2, buckets.first()).Bind(3, buckets.end());
      while (true) {
        ASSIGN_OR_RETURN(bool row, counts->Step());
        if (!row) break;
        buckets.AddCounts(counts->Int(0), counts->Int(1), counts->Int(2), counts->Int(3), counts->Int(4));
      }
      // What visitors paid: the debits of wallets.
      ASSIGN_OR_RETURN(auto paid, db_->Prepare("SELECT id, debit, amount, kind, at FROM ledger_transfers "
                                               "WHERE space_id = ? AND at >= ? AND at < ? AND debit LIKE 'wallet:%' "
                                               "ORDER BY at"));
      paid->Bind(1, space_id).Bind(2, buckets.paid_since()).Bind(3, buckets.end());
      while (true) {
        ASSIGN_OR_RETURN(bool row, paid->Step());
        if (!row) break;
        buckets.AddPaid(paid->Text(0), paid->Text(1), paid->Int(2), paid->Text(3), paid->Int(4));
      }
      return Status::Ok();
    }));
    return buckets.Finish();
  }

  Status PutSubscription(const Subscription& s) override {
    if (s.plan.empty() || s.plan.size() > 32 || s.period_end < s.period_start) {
      return Status::InvalidArgument("a subscription needs a plan and a period");
    }
    return InTxn(true, [&]() -> Status {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                    "INSERT INTO subscriptions (user_id, space_id, plan, period_start, period_end, "
                                    "cancel_at_period_end, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                    "ON CONFLICT (user_id, space_id) DO UPDATE SET plan = excluded.plan, "
                                    "period_start = excluded.period_start, period_end = excluded.period_end, "
                                    "cancel_at_period_end = excluded.cancel_at_period_end, state = excluded.state"));
      return st->Bind(1, s.user_id).Bind(2, s.space_id).Bind(3, s.plan).Bind(4, s.period_start)
          .Bind(5, s.period_end).Bind(6, int64_t{s.cancel_at_period_end ? 1 : 0}).Bind(7, SubscriptionStateName(s.state))
          .Bind(8, s.created_at).Run();
    });
  }

  Result<Subscription> GetSubscription(int64_t user_id, int64_t space_id) override {
    ASSIGN_OR_RETURN(std::vector<Subscription> rows, Subscriptions("WHERE user_id = ? AND space_id = ?", {user_id, space_id}));
    if (rows.empty()) return Status::NotFound("no subscription");
    return rows.front();
  }

  Result<std::vector<Subscription>> ListSubscriptions(int64_t user_id) override {
    return Subscriptions("WHERE user_id = ? ORDER BY space_id", {user_id});
  }

  Result<std::vector<Subscription>> ListActiveSubscriptions() override {
    return Subscriptions("WHERE state = 'active' ORDER BY period_end", {});
  }

 private:
  template <typename Fn>
  auto InTxn(bool write, Fn&& fn) -> decltype(fn()) {
    return InTransaction(*db_, mu_, write, std::forward<Fn>(fn));
  }

  // UPDATE first: SQLite checks an INSERT's CHECK constraints before an
  // upsert's conflict, so a debit could not go through the upsert.
  Status AddToBalance(const std::string& account, int64_t delta, const std::string& transfer) {
    ASSIGN_OR_RETURN(auto update, db_->Prepare("UPDATE ledger_balances SET balance = balance + ? WHERE account = ?"));
    Status s = update->Bind(1, delta).Bind(2, account).Run();
    if (s.ok() && update->Changes() == 0) {
      ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT INTO ledger_balances (account, balance) VALUES (?, ?)"));
      s = insert->Bind(1, account).Bind(2, delta).Run();
    }
    if (s.code() == StatusCode::kInvalidArgument) {
      return Status::FailedPrecondition("transfer " + transfer + " would overdraw " + account);
    }
    return s;
  }

  Result<std::vector<std::pair<std::string, int64_t>>> Pairs(const std::string& sql) {
    return InTxn(false, [&]() -> Result<std::vector<std::pair<std::string, int64_t>>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
      std::vector<std::pair<std::string, int64_t>> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) return out;
        out.emplace_back(st->Text(0), st->Int(1));
      }
    });
  }

  Result<std::vector<Subscription>> Subscriptions(const std::string& where, std::vector<int64_t> args) {
    return InTxn(false, [&]() -> Result<std::vector<Subscription>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT user_id, space_id, plan, period_start, period_end, "
                                             "cancel_at_period_end, state, created_at FROM subscriptions " +
                                             where));
      for (size_t i = 0; i < args.size(); ++i) st->Bind(static_cast<int>(i + 1), args[i]);
      std::vector<Subscription> out;
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) return out;
        out.push_back(Subscription{st->Int(0), st->Int(1), st->Text(2), st->Int(3), st->Int(4), st->Int(5) != 0,
                                   ParseSubscriptionState(st->Text(6)), st->Int(7)});
      }
    });
  }

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace
}  // namespace spaceport::store::sqlite

namespace spaceport::store {

Result<std::unique_ptr<BillingStore>> OpenSqliteBillingStore(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDb> db, sqlite::SqliteDb::Open(path));
  // Money is durable at commit, not at the next checkpoint.
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL;"));
  Result<int> applied = sqlite::ApplyMigrations(*db, sqlite::SchemaMigrations());
  if (!applied.ok()) return applied.status().WithContext("opening the ledger in " + path);
  return std::unique_ptr<BillingStore>(new sqlite::SqliteBillingStore(std::move(db)));
}

}  // namespace spaceport::store
