// Row readers shared by the files of the SQLite backend (sqlite_*.cc): the
// columns of a Space and how to read them. Internal to store/sqlite/.
// Pure functions over a stepped statement; thread safe as the statement is.
#pragma once

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace spaceport::store::sqlite {

// SELECT list for a Space aliased as `s`; ReadSpace reads it from column 0,
// and a query's own columns follow at kSpaceColumnCount.
extern const char kSpaceColumns[];
constexpr int kSpaceColumnCount = 17;
Space ReadSpace(const Stmt& st);

}  // namespace spaceport::store::sqlite
