#include "directory/query.h"

#include <cctype>
#include <cstdint>

namespace spaceport::directory {
namespace {

struct Term {
  std::string word;
  bool prefix = false;
  bool excluded = false;
  bool or_with_previous = false;
};

// Bytes of multi-byte UTF-8 characters are word characters: the index's
// tokenizer decides about them (letters stay, accents fold). Common
// punctuation and symbols outside ASCII were made spaces first (Clean).
bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Non-ASCII code points that separate words: Latin-1 punctuation and
// symbols, general punctuation, currency, arrows, mathematical and other
// symbols, CJK punctuation, full-width ASCII punctuation, emoji. (The index
// splits on every non-letter; one it splits inside a quoted word makes a
// phrase, which the index cannot answer: the search is then a 400.)
bool IsSeparator(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
         (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
         (cp >= 0x1F000 && cp <= 0x1FAFF);
}

// The text with every byte of an invalid UTF-8 sequence, and every
// separating code point, made a space.
std::string Clean(std::string_view text) {
  std::string out(text);
  size_t i = 0;
  while (i < out.size()) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    uint32_t cp = n == 4 ? c & 0x07 : n == 3 ? c & 0x0F : c & 0x1F;
    bool valid = n > 0 && i + n <= out.size();
    for (size_t k = 1; valid && k < n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(out[i + k]);
      valid = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong, surrogate or beyond Unicode: invalid too.
    valid = valid && !(n == 3 && cp < 0x800) && !(n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
            !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!valid) {
      out[i++] = ' ';
      continue;
    }
    if (IsSeparator(cp)) out.replace(i, n, n, ' ');
    i += n;
  }
  return out;
}

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

Result<SearchQuery> ParseSearchQuery(std::string_view raw) {
  if (raw.size() > kMaxQueryBytes) {
    return Status::InvalidArgument("a search is at most " + std::to_string(kMaxQueryBytes) + " bytes");
  }
  const std::string cleaned = Clean(raw);
  const std::string_view text = cleaned;
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
