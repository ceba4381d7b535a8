// Fuzz target: what a visitor types into the directory's search box
// (directory::ParseSearchQuery, directory/query.h), and the README bytes the
// directory indexes (ReadmeBody, DocumentOf). Checks: failure is
// InvalidArgument; a parsed query has words and an expression that FTS5
// itself accepts (run against an in-memory table with the directory's
// tokenizer, so no input can turn into a malformed or injected match
// expression), but for a word FTS5 splits at a non-ASCII character the
// parser does not know as a separator; an indexed README never exceeds its
// cap.
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "directory/document.h"
#include "directory/query.h"
#include "fuzz_support.h"

namespace spaceport::directory {
namespace {

sqlite3* Index() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    sqlite3_open(":memory:", &d);
    sqlite3_exec(d,
                 "CREATE VIRTUAL TABLE t USING fts5(owner, name, title, prefix = '2 3 4', detail = column,"
                 " tokenize = 'unicode61 remove_diacritics 2');"
                 "INSERT INTO t VALUES ('alice', 'whisper-demo', 'Speech to text');",
                 nullptr, nullptr, nullptr);
    return d;
  }();
  return db;
}

void FuzzQuery(std::string_view text) {
  Result<SearchQuery> q = ParseSearchQuery(text);
  if (!q.ok()) {
    SP_FUZZ_CHECK(q.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  SP_FUZZ_CHECK(!q->words.empty() && !q->expression.empty());
  for (const std::string& w : q->words) SP_FUZZ_CHECK(w.find('"') == std::string::npos);
  sqlite3_stmt* st = nullptr;
  SP_FUZZ_CHECK(sqlite3_prepare_v2(Index(), "SELECT rowid FROM t WHERE t MATCH ?", -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_text(st, 1, q->expression.data(), static_cast<int>(q->expression.size()), SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  // FTS5 took the expression, or split a word at a non-ASCII character the
  // parser keeps (the index cannot answer phrases: the search is a 400).
  const std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(Index());
  sqlite3_finalize(st);
  bool non_ascii = false;
  for (unsigned char c : q->expression) non_ascii = non_ascii || c >= 0x80;
  SP_FUZZ_CHECK(rc == SQLITE_DONE || (non_ascii && error.find("phrase queries are not supported") != std::string::npos));
}

void FuzzReadme(std::string_view readme) {
  store::Space space;
  space.card_json = std::string(readme.substr(0, 256));  // not JSON, mostly: must not matter
  store::DirectoryText doc = DocumentOf(space, readme);
  SP_FUZZ_CHECK(doc.readme.size() <= kMaxIndexedReadmeBytes);
  SP_FUZZ_CHECK(ReadmeBody(readme).size() <= readme.size());
}

}  // namespace
}  // namespace spaceport::directory

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  spaceport::directory::FuzzQuery(text);
  spaceport::directory::FuzzReadme(text);
  return 0;
}
