// Schema migrations for the SQLite store backend (internal to store/sqlite/).
//
// The schema is an ordered list of steps, numbered from 1. The database
// records the steps it has applied in schema_version; ApplyMigrations runs
// only the missing ones (also a step numbered below the highest applied one,
// as happens when steps from parallel branches are merged), each in its own transaction together with its
// schema_version row, so a crash leaves the schema at a step boundary.
// To change the schema, append a step to SchemaMigrations(); never edit one
// that has shipped.
// Thread safety: none; call once while opening, before sharing the db.
// Failure: a failing step rolls back and returns its error, naming the step.
// A database newer than this binary (higher version) is FailedPrecondition.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/sqlite/sqlite_db.h"

namespace spaceport::store::sqlite {

struct Migration {
  int version = 0;
  std::string description;
  std::string sql;  // one or more statements
};

// The store's schema, in order.
const std::vector<Migration>& SchemaMigrations();

// The highest applied step; 0 for a fresh database.
Result<int> SchemaVersion(SqliteDb& db);

// Applies the steps above SchemaVersion(); returns how many ran.
Result<int> ApplyMigrations(SqliteDb& db, const std::vector<Migration>& migrations);

// A connection of a store area (`what`, for errors) to the store's file,
// with the schema migrated.
Result<std::unique_ptr<SqliteDb>> OpenMigrated(const std::string& path, const std::string& what);

}  // namespace spaceport::store::sqlite
