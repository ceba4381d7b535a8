#include "directory/query.h"

#include <cctype>

namespace spaceport::directory {
namespace {

struct Term {
  std::string word;
  bool prefix = false;
  bool excluded = false;
  bool or_with_previous = false;
};

// Bytes of multi-byte UTF-8 characters are word characters: the index's
// tokenizer decides about them (letters stay, accents fold).
bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

std::string Quoted(const Term& t) { return "\"" + t.word + "\"" + (t.prefix ? "*" : ""); }

// "a" AND ("b" OR "c") NOT "d": FTS5's NOT is binary, so exclusions go last.
std::string Expression(const std::vector<Term>& terms) {
  std::vector<std::string> groups;
  std::string group;
  int in_group = 0;
  auto close = [&] {
    if (in_group == 0) return;
    groups.push_back(in_group > 1 ? "(" + group + ")" : group);
    group.clear();
    in_group = 0;
  };
  std::string excluded;
  for (const Term& t : terms) {
    if (t.excluded) {
      excluded += " NOT " + Quoted(t);
      continue;
    }
    if (!t.or_with_previous) close();
    group += (in_group > 0 ? " OR " : "") + Quoted(t);
    ++in_group;
  }
  close();
  std::string out;
  for (const std::string& g : groups) out += (out.empty() ? "" : " AND ") + g;
  return out + excluded;
}

}  // namespace

Result<SearchQuery> ParseSearchQuery(std::string_view text) {
  if (text.size() > kMaxQueryBytes) {
    return Status::InvalidArgument("a search is at most " + std::to_string(kMaxQueryBytes) + " bytes");
  }
  std::vector<Term> terms;
  bool pending_or = false;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!IsWordByte(c)) {
      ++i;
      continue;
    }
    const bool excluded = i > 0 && text[i - 1] == '-' && (i == 1 || !IsWordByte(text[i - 2]));
    size_t start = i;
    while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    std::string word(text.substr(start, i - start));
    if (word == "OR") {
      pending_or = !terms.empty();
      continue;
    }
    for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    Term t{word, false, excluded, pending_or && !excluded && !terms.empty() && !terms.back().excluded};
    pending_or = false;
    terms.push_back(std::move(t));
    if (terms.size() > kMaxQueryWords) {
      return Status::InvalidArgument("a search has at most " + std::to_string(kMaxQueryWords) + " words");
    }
  }
  // Type-ahead: the last word, unless a space ends it, is a prefix.
  if (!terms.empty() && i == text.size() && IsWordByte(static_cast<unsigned char>(text.back())) &&
      terms.back().word.size() >= 2) {
    terms.back().prefix = true;
  }
  bool any = false;
  for (const Term& t : terms) any = any || !t.excluded;
  if (!any) return Status::InvalidArgument("a search needs at least one word to look for");
  SearchQuery q;
  for (const Term& t : terms) {
    q.words.push_back(t.word);
    q.excludes = q.excludes || t.excluded;
  }
  q.expression = Expression(terms);
  return q;
}

}  // namespace spaceport::directory
