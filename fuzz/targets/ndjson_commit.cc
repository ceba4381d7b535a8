// Fuzz target: the body of the HF commit API (POST /api/spaces/{o}/{n}/commit/{rev}),
// NDJSON as @huggingface/hub sends it, through hub::ParseCommitNdjson
// (hub/commit_ndjson.h): pure, no git and no disk; RepoWriter::Commit, which
// writes, is not reached. Checks (commit_ndjson.h, repo/repo_commit.h): failure
// is InvalidArgument; a parsed commit has a summary and only paths that
// repo::ValidateRepoPath accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "hub/commit_ndjson.h"
#include "repo/repo_commit.h"

namespace spaceport::hub {
namespace {

void FuzzCommitBody(std::string_view body) {
  Result<repo::CommitRequest> commit = ParseCommitNdjson(body);
  if (!commit.ok()) {
    SP_FUZZ_CHECK(commit.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  SP_FUZZ_CHECK(!commit->summary.empty());
  for (const repo::CommitOp& op : commit->ops) SP_FUZZ_CHECK(repo::ValidateRepoPath(op.path).ok());
}

}  // namespace
}  // namespace spaceport::hub

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spaceport::hub::FuzzCommitBody(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
