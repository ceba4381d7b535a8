// Row readers shared by the files of the PostgreSQL backend (pg_*.cc): the
// columns of a Space and of a user and how to read them. Internal to
// store/postgres/. Pure functions over a result.
#pragma once

#include <string>
#include <vector>

#include "store/postgres/pg_db.h"
#include "store/store.h"

namespace spaceport::store::postgres {

// SELECT list for a Space aliased as `s`; ReadSpace reads it from column 0,
// and a query's own columns follow at kSpaceColumnCount.
extern const char kSpaceColumns[];
constexpr int kSpaceColumnCount = 19;
Space ReadSpace(const PgResult& r, int row);

// SELECT list for a user aliased as `u`; ReadUser reads it from `first`.
inline constexpr char kUserColumns[] = "u.id, u.name, u.is_admin, u.created_at, u.suspended";
inline constexpr int kUserColumnCount = 5;
inline User ReadUser(const PgResult& r, int row, int first) {
  User u;
  u.id = r.Int(row, first);
  u.name = r.Text(row, first + 1);
  u.is_admin = r.Bool(row, first + 2);
  u.created_at = r.Int(row, first + 3);
  u.suspended = r.Bool(row, first + 4);
  return u;
}

// One T per row of `r`, made by `read(row)`.
template <typename T, typename Read>
std::vector<T> ReadRows(const PgResult& r, Read read) {
  std::vector<T> rows;
  rows.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) rows.push_back(read(i));
  return rows;
}

// NotFound naming `what` when a write changed no row.
inline Status RequireChanged(const PgResult& r, const std::string& what) {
  return r.affected() == 0 ? Status::NotFound(what + " not found") : Status::Ok();
}

}  // namespace spaceport::store::postgres
