// Reading the commit API's NDJSON body as it arrives, in bounded memory.
//
// Lines up to kWholeLineBytes are parsed whole (commit_ndjson.h). A longer
// line can only be a "file" with big content: it is scanned as it streams,
// the string under value.content goes (unescaped, and base64-decoded when
// the line says so) to a file in the spill directory, and the rest of the
// line is parsed as that line with "content": "". The operation then names
// its bytes by file (repo::CommitOp::content_file). Contents of short lines
// stay in memory up to kInMemoryBytes in all; later ones are spilled too.
// So a commit costs about kWholeLineBytes + kInMemoryBytes of memory
// whatever its size; its bytes wait on disk until the commit is made.
//
// Thread safety: a reader per request. Failure: as ParseCommitNdjson
// (InvalidArgument naming the line), PayloadTooLarge past `max_body`,
// Internal when a spill file cannot be written. Spill files are removed when
// the SpillFiles holder goes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "http/handler.h"
#include "repo/repo_commit.h"

namespace spaceport::hub {

constexpr size_t kWholeLineBytes = 1 << 20;
constexpr size_t kInMemoryBytes = 16 << 20;

// Temporary files of one commit; removed with the holder. `max_bytes`
// bounds what the reader writes to them (as unescaped content, before any
// base64 decoding): past it the commit is refused with PayloadTooLarge and
// `too_large` as the message, so a commit that cannot fit stops filling the
// disk as soon as that is known, not when its body ends.
class SpillFiles {
 public:
  explicit SpillFiles(std::string dir, uint64_t max_bytes = UINT64_MAX, std::string too_large = "")
      : dir_(std::move(dir)), max_bytes_(max_bytes), too_large_(std::move(too_large)) {}
  ~SpillFiles();
  SpillFiles(const SpillFiles&) = delete;
  SpillFiles& operator=(const SpillFiles&) = delete;
  // A new empty file's path.
  Result<std::string> Create();
  void Forget(const std::string& path);  // removes it now
  // Counts `n` more bytes written; PayloadTooLarge past max_bytes.
  Status Charge(size_t n);

 private:
  std::string dir_;
  uint64_t max_bytes_;
  std::string too_large_;
  uint64_t bytes_ = 0;
  std::vector<std::string> paths_;
};

// `whole_line_bytes`: where a line becomes long (smaller for tests and the
// fuzzer; the rest of a long line may still take kWholeLineBytes).
// `in_memory_bytes`: the budget of short lines' contents (smaller likewise).
Result<repo::CommitRequest> ReadCommitNdjson(http::BodyReader& body, uint64_t max_body, SpillFiles& spill,
                                             size_t whole_line_bytes = kWholeLineBytes,
                                             size_t in_memory_bytes = kInMemoryBytes);

}  // namespace spaceport::hub
