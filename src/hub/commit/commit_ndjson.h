// The HF commit API's request body: NDJSON, one {"key": ..., "value": {...}}
// object per line. The first line is the header {summary, description?,
// parentCommit?}; then any of
//   file          {path, content, encoding: "base64" | "utf-8"}
//   lfsFile       {path, algo: "sha256", oid, size}
//   deletedFile   {path}
//   deletedFolder {path}
// Pure functions, thread safe. Failure: InvalidArgument naming the line and
// what was wrong (malformed or truncated JSON, unknown keys, bad paths,
// bad base64, renames with oldPath, which are not supported).
#pragma once

#include <string_view>

#include "hub/call.h"
#include "repo/repo_commit.h"

namespace spaceport::hub {

// Parses a whole body. The result has summary, description, parent_commit
// and ops set; branch and author are the caller's to fill in.
Result<repo::CommitRequest> ParseCommitNdjson(std::string_view body);

// The same a line at a time (commit_stream.h feeds a body as it arrives).
class CommitLines {
 public:
  // One line (blank lines are skipped), numbered from 1 for messages.
  Status Add(std::string_view line, int line_no);
  // The request once every line is in.
  Result<repo::CommitRequest> Finish();
  repo::CommitRequest& request() { return req_; }

 private:
  repo::CommitRequest req_;
  bool have_header_ = false;
};

// One "file" value ({path, content, encoding}), also used by repo creation.
Result<repo::CommitOp> ParseCommitFile(const Json& value);

}  // namespace spaceport::hub
