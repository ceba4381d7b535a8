// The PostgreSQL backend's schema, as versioned migration steps. Applying
// them is idempotent and safe from several processes at once (nodes
// starting together): each step runs in its own transaction under one
// advisory lock, re-checking schema_version first.
// Failure: a step that fails rolls back whole and names itself; a database
// newer than this binary is FailedPrecondition.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/postgres/pg_db.h"

namespace spaceport::store::postgres {

struct PgMigration {
  int version;
  const char* description;
  const char* sql;
};

const std::vector<PgMigration>& PgSchemaMigrations();

// Applies every step not yet recorded; returns how many ran.
Result<int> ApplyPgMigrations(PgConn& conn);

// A pool of `size` connections to `url` whose database is migrated
// (every area of the store opens its own; `what` names it in errors).
Result<std::unique_ptr<PgPool>> OpenMigratedPool(const std::string& url, int size, const std::string& what,
                                                 const WriteFence* fence = nullptr);

}  // namespace spaceport::store::postgres
