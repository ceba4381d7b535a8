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
constexpr int kSpaceColumnCount = 18;
Space ReadSpace(const Stmt& st);

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
