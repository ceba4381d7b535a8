// Copying a whole installation's store from SQLite to PostgreSQL
// (`spaceport store migrate --from sqlite:PATH --to postgres://...`).
//
// Every table is copied with its ids (users, Spaces, ledger sequence
// numbers...), in one PostgreSQL transaction, into a database that holds no
// users, Spaces or transfers yet (FailedPrecondition otherwise): a failed
// copy leaves the target as it was. Directory documents are indexed again
// from their stored words. Before committing, every table's row count is
// compared between the two, and the ledger's balances and its sums per
// account recomputed from the transfers must agree on both sides and sum
// to zero; any difference aborts the copy (Internal).
// The source must not change meanwhile (stop the server first).
// Thread safety: one call at a time per target.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace spaceport::store {

struct StoreCopyReport {
  std::vector<std::pair<std::string, int64_t>> tables;  // table -> rows copied
  int64_t ledger_accounts = 0;
  int64_t ledger_total_micros = 0;  // the sum of every transfer's amount
};

// `from`: "sqlite:PATH"; `to`: "postgres://...". store/postgres/pg_copy.cc.
Result<StoreCopyReport> CopyStore(const std::string& from, const std::string& to);

}  // namespace spaceport::store
