// Search query: what a visitor types into the directory's search box, as
// the full-text index's match expression (docs/directory.md, "Query
// syntax").
//
// Words are separated by anything that is not a letter or a digit and
// match case-insensitively, ignoring accents. All words must match
// ("image generation"); `OR` between two words makes either enough
// ("whisper OR wav2vec"); a word written `-word` must not match. While
// typing, the last word is a prefix: "whisp" finds "whisper"; a trailing
// space ends the prefix ("whisp " matches the word whisp only). A prefix
// needs two letters (one letter alone is a whole word).
//
// Failure: InvalidArgument for a query with no word to look for (empty,
// only punctuation, only excluded words) or longer than kMaxQueryBytes /
// kMaxQueryWords.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace spaceport::directory {

inline constexpr size_t kMaxQueryBytes = 200;
inline constexpr size_t kMaxQueryWords = 12;

struct SearchQuery {
  std::vector<std::string> words;  // lower-cased, in order (excluded ones too)
  std::string expression;          // the FTS5 match expression
  bool excludes = false;           // some word is excluded (-word)
};

Result<SearchQuery> ParseSearchQuery(std::string_view text);

}  // namespace spaceport::directory
