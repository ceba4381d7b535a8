// Document: the words of a Space as the directory indexes them, from its
// stored card (title, short_description, tags, models, datasets) and its
// README text with the front matter stripped and the Markdown left as
// words (docs/directory.md, "What is searched").
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "store/directory_store.h"
#include "store/store.h"

namespace spaceport::directory {

// The README's words beyond this are not indexed (the first part says what
// a Space is; the rest would only grow the index).
inline constexpr size_t kMaxIndexedReadmeBytes = 16 * 1024;

// The README without its front matter (`---` ... `---` at the top).
std::string_view ReadmeBody(std::string_view readme_md);

store::DirectoryText DocumentOf(const store::Space& space, std::string_view readme_md);

}  // namespace spaceport::directory
