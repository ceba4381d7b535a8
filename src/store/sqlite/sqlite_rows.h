// Row readers shared by the files of the SQLite backend (sqlite_*.cc): the
// columns of a Space and how to read them. Internal to store/sqlite/.
// Pure functions over a stepped statement; thread safe as the statement is.
#pragma once

#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace spaceport::store::sqlite {

// SELECT list for a Space aliased as `s`; ReadSpace reads it from column 0,
// and a query's own columns follow at kSpaceColumnCount.
extern const char kSpaceColumns[];
constexpr int kSpaceColumnCount = 19;
Space ReadSpace(const Stmt& st);

// SELECT list for a user aliased as `u`; ReadUser reads it from `first`.
inline constexpr char kUserColumns[] = "u.id, u.name, u.is_admin, u.created_at, u.suspended";
inline constexpr int kUserColumnCount = 5;
inline User ReadUser(const Stmt& st, int first) {
  User u;
  u.id = st.Int(first);
  u.name = st.Text(first + 1);
  u.is_admin = st.Int(first + 2) != 0;
  u.created_at = st.Int(first + 3);
  u.suspended = st.Int(first + 4) != 0;
  return u;
}

// Steps `st` to its end, making one T of each row with `read()` (which reads
// the current row of `st`): the rows in order, or the first step's error.
template <typename T, typename Read>
Result<std::vector<T>> ReadRows(Stmt& st, Read read) {
  std::vector<T> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) return rows;
    rows.push_back(read());
  }
}

}  // namespace spaceport::store::sqlite
