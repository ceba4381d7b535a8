// The PostgreSQL backend of store::BillingStore. Apply is one SERIALIZABLE
// transaction (retried on conflicts: two nodes charging the same wallet at
// once), durable when COMMIT returns as long as the server keeps its
// default synchronous_commit = on. Balances change once per account per
// batch; the wallet CHECK constraint is the last line against overdrafts.
#include <map>
#include <string>
#include <vector>

#include "store/billing_rows.h"
#include "store/billing_store.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"

namespace spaceport::store::postgres {
namespace {

// Fewer than the main store: the ledger's writer is one group commit thread.
constexpr int kPoolSize = 4;

constexpr char kTransferColumns[] = "id, debit, credit, amount, kind, space_id, ref, at, seq";

LedgerTransfer TransferRow(const PgResult& r, int row) {
  return LedgerTransfer{r.Text(row, 0), r.Text(row, 1), r.Text(row, 2), r.Int(row, 3), r.Text(row, 4),
                        r.Int(row, 5),  r.Text(row, 6), r.Int(row, 7),  r.Int(row, 8)};
}

std::vector<LedgerTransfer> TransferRows(const PgResult& r) {
  std::vector<LedgerTransfer> out;
  for (int row = 0; row < r.rows(); ++row) out.push_back(TransferRow(r, row));
  return out;
}

class PgBillingStore : public BillingStore {
 public:
  explicit PgBillingStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  Result<std::vector<std::string>> Apply(const LedgerBatch& batch, int64_t now) override {
    for (const LedgerTransfer& t : batch.transfers) RETURN_IF_ERROR(CheckTransfer(t));
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<std::vector<std::string>> {
      for (const LedgerHold& h : batch.opened) {
        RETURN_IF_ERROR(conn.Exec("INSERT INTO ledger_holds (id, account, amount, state, created_at)"
                                  " VALUES ($1, $2, $3, 'open', $4)",
                                  PgParams().Add(h.id).Add(h.account).Add(h.amount).Add(h.at))
                            .status());
      }
      for (int pass = 0; pass < 2; ++pass) {
        for (const LedgerHold& h : pass == 0 ? batch.posted : batch.voided) {
          ASSIGN_OR_RETURN(PgResult r, conn.Exec("INSERT INTO ledger_holds (id, account, amount, state, created_at,"
                                                 " resolved_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO"
                                                 " UPDATE SET state = excluded.state, resolved_at = excluded.resolved_at"
                                                 " WHERE ledger_holds.state = 'open'",
                                                 PgParams()
                                                     .Add(h.id)
                                                     .Add(h.account)
                                                     .Add(h.amount)
                                                     .Add(pass == 0 ? "posted" : "voided")
                                                     .Add(h.at)
                                                     .Add(now)));
          if (r.affected() != 1 && !batch.replay) {
            return Status::Internal("hold " + h.id + " was resolved before: it resolves once");
          }
        }
      }
      std::vector<std::string> fresh;
      std::map<std::string, std::pair<int64_t, std::string>> deltas;  // account -> (delta, a transfer)
      for (const LedgerTransfer& t : batch.transfers) {
        ASSIGN_OR_RETURN(PgResult r, conn.Exec("INSERT INTO ledger_transfers (id, debit, credit, amount, kind,"
                                               " space_id, ref, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                                               " ON CONFLICT (id) DO NOTHING",
                                               PgParams()
                                                   .Add(t.id)
                                                   .Add(t.debit)
                                                   .Add(t.credit)
                                                   .Add(t.amount)
                                                   .Add(t.kind)
                                                   .Add(t.space_id)
                                                   .Add(t.ref)
                                                   .Add(t.at == 0 ? now : t.at)));
        if (r.affected() == 0) continue;  // stored before: idempotent
        auto& debit = deltas[t.debit];
        debit.first -= t.amount;
        debit.second = t.id;
        deltas[t.credit].first += t.amount;
        fresh.push_back(t.id);
      }
      for (const auto& [account, delta] : deltas) {
        if (delta.first != 0) RETURN_IF_ERROR(AddToBalance(conn, account, delta.first, delta.second));
      }
      return fresh;
    });
  }

  Result<int64_t> VoidOpenHolds(int64_t now) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE ledger_holds SET state = 'voided', resolved_at = $1"
                                             " WHERE state = 'open'",
                                             PgParams().Add(now)));
      return r.affected();
    });
  }

  Result<std::vector<std::pair<std::string, int64_t>>> Balances() override {
    return Pairs("SELECT account, balance FROM ledger_balances ORDER BY account COLLATE \"C\"");
  }

  Result<int64_t> Balance(std::string_view account) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r,
                       conn.Exec("SELECT balance FROM ledger_balances WHERE account = $1", PgParams().Add(account)));
      return r.rows() > 0 ? r.Int(0, 0) : 0;
    });
  }

  Result<std::vector<std::pair<std::string, int64_t>>> SumsFromTransfers() override {
    return Pairs(
        "SELECT account, SUM(delta)::BIGINT FROM ("
        " SELECT credit AS account, amount AS delta FROM ledger_transfers"
        " UNION ALL SELECT debit, -amount FROM ledger_transfers) sums GROUP BY account ORDER BY account COLLATE \"C\"");
  }

  Result<std::vector<LedgerTransfer>> ListTransfers(std::string_view account, int64_t before_seq,
                                                    int64_t limit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<LedgerTransfer>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kTransferColumns + " FROM ("
                                                 "SELECT * FROM ledger_transfers WHERE debit = $1 AND seq < $2 "
                                                 "UNION SELECT * FROM ledger_transfers WHERE credit = $1 AND seq < $2)"
                                                 " t ORDER BY seq DESC LIMIT $3",
                                             PgParams().Add(account).Add(before_seq <= 0 ? INT64_MAX : before_seq).Add(limit)));
      return TransferRows(r);
    });
  }

  Result<std::vector<LedgerTransfer>> AllTransfers(int64_t after_seq, int64_t limit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<LedgerTransfer>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kTransferColumns +
                                                 " FROM ledger_transfers WHERE seq > $1 ORDER BY seq LIMIT $2",
                                             PgParams().Add(after_seq).Add(limit)));
      return TransferRows(r);
    });
  }

  Result<LedgerTransfer> GetTransfer(std::string_view id) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<LedgerTransfer> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kTransferColumns +
                                                 " FROM ledger_transfers WHERE id = $1",
                                             PgParams().Add(id)));
      if (r.rows() == 0) return Status::NotFound("no transfer " + std::string(id));
      return TransferRow(r, 0);
    });
  }

  Result<int64_t> CountOpenHolds() override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT COUNT(*) FROM ledger_holds WHERE state = 'open'"));
      return r.Int(0, 0);
    });
  }

  Result<std::vector<std::pair<int64_t, int64_t>>> SumsBySpace(std::string_view kind, std::string_view credit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<std::pair<int64_t, int64_t>>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT space_id, SUM(amount)::BIGINT FROM ledger_transfers"
                                             " WHERE kind = $1 AND ($2 = '' OR credit = $2) GROUP BY space_id"
                                             " ORDER BY space_id",
                                             PgParams().Add(kind).Add(credit)));
      std::vector<std::pair<int64_t, int64_t>> out;
      for (int row = 0; row < r.rows(); ++row) out.emplace_back(r.Int(row, 0), r.Int(row, 1));
      return out;
    });
  }

  Result<int64_t> SumBetween(std::string_view debit, std::string_view credit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT COALESCE(SUM(amount), 0)::BIGINT FROM ledger_transfers"
                                             " WHERE debit = $1 AND credit = $2",
                                             PgParams().Add(debit).Add(credit)));
      return r.Int(0, 0);
    });
  }

  Status AddUsage(const std::vector<UsageCount>& counts) override {
    if (counts.empty()) return Status::Ok();
    for (const UsageCount& c : counts) {
      if (c.requests < 0 || c.free < 0 || c.refused < 0 || c.limited < 0) {
        return Status::InvalidArgument("usage counts are never negative");
      }
    }
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Status {
      for (const UsageCount& c : counts) {
        RETURN_IF_ERROR(conn.Exec("INSERT INTO space_usage (space_id, hour, requests, free, refused, limited)"
                                  " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (space_id, hour) DO UPDATE SET"
                                  " requests = space_usage.requests + excluded.requests,"
                                  " free = space_usage.free + excluded.free,"
                                  " refused = space_usage.refused + excluded.refused,"
                                  " limited = space_usage.limited + excluded.limited",
                                  PgParams().Add(c.space_id).Add(c.hour).Add(c.requests).Add(c.free).Add(c.refused).Add(
                                      c.limited))
                            .status());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<UsagePoint>> Usage(int64_t space_id, int64_t from, int64_t to, int64_t bucket_ms,
                                        int64_t period_ms) override {
    ASSIGN_OR_RETURN(UsageBuckets buckets, UsageBuckets::Make(from, to, bucket_ms, period_ms));
    RETURN_IF_ERROR(InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Status {
      ASSIGN_OR_RETURN(PgResult counts, conn.Exec("SELECT hour, requests, free, refused, limited FROM space_usage"
                                                  " WHERE space_id = $1 AND hour >= $2 AND hour < $3",
                                                  PgParams().Add(space_id).Add(buckets.first()).Add(buckets.end())));
      for (int row = 0; row < counts.rows(); ++row) {
        buckets.AddCounts(counts.Int(row, 0), counts.Int(row, 1), counts.Int(row, 2), counts.Int(row, 3),
                          counts.Int(row, 4));
      }
      // What visitors paid: the debits of wallets.
      ASSIGN_OR_RETURN(PgResult paid, conn.Exec("SELECT id, debit, amount, kind, at FROM ledger_transfers"
                                                " WHERE space_id = $1 AND at >= $2 AND at < $3"
                                                " AND debit LIKE 'wallet:%' ORDER BY at",
                                                PgParams().Add(space_id).Add(buckets.paid_since()).Add(buckets.end())));
      for (int row = 0; row < paid.rows(); ++row) {
        buckets.AddPaid(paid.Text(row, 0), paid.Text(row, 1), paid.Int(row, 2), paid.Text(row, 3), paid.Int(row, 4));
      }
      return Status::Ok();
    }));
    return buckets.Finish();
  }

  Status PutSubscription(const Subscription& s) override {
    if (s.plan.empty() || s.plan.size() > 32 || s.period_end < s.period_start) {
      return Status::InvalidArgument("a subscription needs a plan and a period");
    }
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Status {
      return conn
          .Exec("INSERT INTO subscriptions (user_id, space_id, plan, period_start, period_end, cancel_at_period_end,"
                " state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (user_id, space_id) DO UPDATE SET plan = excluded.plan,"
                " period_start = excluded.period_start, period_end = excluded.period_end,"
                " cancel_at_period_end = excluded.cancel_at_period_end, state = excluded.state",
                PgParams()
                    .Add(s.user_id)
                    .Add(s.space_id)
                    .Add(s.plan)
                    .Add(s.period_start)
                    .Add(s.period_end)
                    .Add(s.cancel_at_period_end)
                    .Add(SubscriptionStateName(s.state))
                    .Add(s.created_at))
          .status();
    });
  }

  Result<Subscription> GetSubscription(int64_t user_id, int64_t space_id) override {
    ASSIGN_OR_RETURN(std::vector<Subscription> rows, Subscriptions("WHERE user_id = $1 AND space_id = $2",
                                                                   PgParams().Add(user_id).Add(space_id)));
    if (rows.empty()) return Status::NotFound("no subscription");
    return rows.front();
  }

  Result<std::vector<Subscription>> ListSubscriptions(int64_t user_id) override {
    return Subscriptions("WHERE user_id = $1 ORDER BY space_id", PgParams().Add(user_id));
  }

  Result<std::vector<Subscription>> ListActiveSubscriptions() override {
    return Subscriptions("WHERE state = 'active' ORDER BY period_end", PgParams());
  }

 private:
  static Status AddToBalance(PgConn& conn, const std::string& account, int64_t delta, const std::string& transfer) {
    Result<PgResult> r = conn.Exec("UPDATE ledger_balances SET balance = balance + $1 WHERE account = $2",
                                   PgParams().Add(delta).Add(account));
    Status s = r.status();
    if (s.ok() && r->affected() == 0) {
      s = conn.Exec("INSERT INTO ledger_balances (account, balance) VALUES ($1, $2)", PgParams().Add(account).Add(delta))
              .status();
    }
    if (s.code() == StatusCode::kInvalidArgument) {
      return Status::FailedPrecondition("transfer " + transfer + " would overdraw " + account);
    }
    return s;
  }

  Result<std::vector<std::pair<std::string, int64_t>>> Pairs(const std::string& sql) {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<std::pair<std::string, int64_t>>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql));
      std::vector<std::pair<std::string, int64_t>> out;
      for (int row = 0; row < r.rows(); ++row) out.emplace_back(r.Text(row, 0), r.Int(row, 1));
      return out;
    });
  }

  Result<std::vector<Subscription>> Subscriptions(const std::string& where, const PgParams& params) {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<Subscription>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT user_id, space_id, plan, period_start, period_end,"
                                             " cancel_at_period_end, state, created_at FROM subscriptions " + where,
                                             params));
      std::vector<Subscription> out;
      for (int row = 0; row < r.rows(); ++row) {
        out.push_back(Subscription{r.Int(row, 0), r.Int(row, 1), r.Text(row, 2), r.Int(row, 3), r.Int(row, 4),
                                   r.Bool(row, 5), ParseSubscriptionState(r.Text(row, 6)), r.Int(row, 7)});
      }
      return out;
    });
  }

  std::unique_ptr<PgPool> pool_;
};

}  // namespace

Result<std::unique_ptr<BillingStore>> OpenPostgresBillingStore(const std::string& url, const WriteFence* fence) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, OpenMigratedPool(url, kPoolSize, "the ledger", fence));
  return std::unique_ptr<BillingStore>(new PgBillingStore(std::move(pool)));
}

}  // namespace spaceport::store::postgres
