// The directory's match expressions (FTS5 query syntax, as directory/query.cc
// writes them: quoted words, `*` prefixes, AND, OR, NOT, parentheses and
// `{column ...} :` filters) translated for PostgreSQL full-text search,
// where a document is one tsvector per column (store/postgres/pg_directory.cc).
//
// A translation has:
//  - `prefilter`: a tsquery over the whole document (all columns together)
//    that every match satisfies; the GIN index answers it. Column filters
//    are dropped and NOT's right side too, so it may match more.
//  - `exact`: a SQL boolean over the per-column vectors that is the
//    expression itself; empty when the prefilter is already exact (no
//    column filters).
//  - `words`: each quoted word, for relevance (the heaviest column it is in).
// Every word goes in as a parameter ($first, $first+1, ...; `params` holds
// them, in tsquery syntax for to_tsquery), never into the SQL text.
// Pure functions; thread safe.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace spaceport::store::postgres {

// The columns of a directory document, in DirectoryText's order.
inline constexpr const char* kTextColumns[] = {"owner", "name", "title", "description", "tags", "refs", "readme"};
inline constexpr int kTextColumnCount = 7;

struct TextQuery {
  std::string prefilter;             // tsquery text, one parameter: to_tsquery(config, $prefilter_param)
  std::string exact;                 // SQL over tsv_<column> vectors; "" when the prefilter is exact
  std::vector<std::string> params;   // [0]: the prefilter; then one tsquery per word
  struct Word {
    int param = 0;       // the $n of its tsquery
    unsigned columns = 0;  // bit i: kTextColumns[i] may hold it
  };
  std::vector<Word> words;
};

// InvalidArgument for what FTS5 would refuse (unbalanced quotes or
// parentheses, a dangling operator, an unknown column) or an empty query.
// `first_param`: the number of the first parameter ($n) the SQL may use.
// `allowed_columns`: a mask of the columns this index has (titles: 3).
Result<TextQuery> TranslateTextQuery(const std::string& expression, int first_param, unsigned allowed_columns);

}  // namespace spaceport::store::postgres
