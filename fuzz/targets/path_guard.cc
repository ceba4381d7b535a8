// Fuzz target: paths against traversal. repo::ValidateRepoPath (repo/repo_commit.h)
// guards the file paths of commits, uploads and deletes; edge::PathHasDotDot
// (edge/filters.h) guards request paths at the edge. Checks, as the headers
// state them: an accepted repo path is 1-4096 bytes, not absolute, has no NUL,
// control byte or backslash and no empty, ".", ".." or ".git" segment; the edge
// guard is true for a backslash or ".." segment, raw or once percent-decoded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/strings.h"
#include "edge/filters.h"
#include "fuzz_support.h"
#include "repo/repo_commit.h"

namespace spaceport {
namespace {

bool HasBadSegment(std::string_view path, bool empty_or_dot_or_git) {
  for (const std::string& segment : Split(path, '/')) {
    if (segment == "..") return true;
    if (empty_or_dot_or_git && (segment.empty() || segment == "." || segment == ".git")) return true;
  }
  return false;
}

void CheckRepoPath(std::string_view path) {
  if (!repo::ValidateRepoPath(path).ok()) return;
  SP_FUZZ_CHECK(!path.empty() && path.size() <= 4096 && path.front() != '/');
  for (unsigned char c : path) SP_FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '\\');
  SP_FUZZ_CHECK(!HasBadSegment(path, /*empty_or_dot_or_git=*/true));
}

void CheckRequestPath(std::string_view path) {
  bool guarded = edge::PathHasDotDot(path);
  std::string decoded = UrlDecode(path);
  for (std::string_view form : {path, std::string_view(decoded)}) {
    bool bad = form.find('\\') != std::string_view::npos || HasBadSegment(form, /*empty_or_dot_or_git=*/false);
    SP_FUZZ_CHECK(!bad || guarded);
  }
}

}  // namespace
}  // namespace spaceport

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view path(reinterpret_cast<const char*>(data), size);
  spaceport::CheckRepoPath(path);
  spaceport::CheckRequestPath(path);
  return 0;
}
