// Fuzz target: the body of the HF commit API (POST /api/spaces/{o}/{n}/commit/{rev}),
// NDJSON as @huggingface/hub sends it, two ways:
// - hub::ParseCommitNdjson (hub/commit/commit_ndjson.h), the whole body at once:
//   failure is InvalidArgument; a parsed commit has a summary and only paths
//   that repo::ValidateRepoPath accepts.
// - hub::ReadCommitNdjson (hub/commit/commit_stream.h) as the server reads it,
//   in 1 to 3 pieces, with lines "long" past 32 bytes and contents past 16
//   bytes spilled, so the streaming scan and its spill files run on small
//   inputs: failure is InvalidArgument;
//   whatever it accepts the whole-body parse accepts too, with the same
//   operations and the same bytes (in memory or in the spill file).
// RepoWriter::Commit, which writes to git, is not reached.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "hub/commit/commit_ndjson.h"
#include "hub/commit/commit_stream.h"
#include "repo/repo_commit.h"

namespace spaceport::hub {
namespace {

// Hands out the body in the pieces PieceEnds chose.
class PiecesReader : public http::BodyReader {
 public:
  PiecesReader(std::string_view body, std::array<size_t, 3> ends) : body_(body), ends_(ends) {}
  Result<size_t> Read(char* buf, size_t cap) override {
    while (piece_ < ends_.size() && pos_ >= ends_[piece_]) ++piece_;
    if (piece_ == ends_.size()) return size_t{0};
    size_t n = std::min(cap, ends_[piece_] - pos_);
    std::copy_n(body_.data() + pos_, n, buf);
    pos_ += n;
    return n;
  }

 private:
  std::string_view body_;
  std::array<size_t, 3> ends_;
  size_t piece_ = 0, pos_ = 0;
};

const std::string& SpillDir() {
  static const std::string dir = [] {
    std::string d = "/tmp/spaceport-fuzz-commit-XXXXXX";
    SP_FUZZ_CHECK(mkdtemp(d.data()) != nullptr);
    return d;
  }();
  return dir;
}

std::string Bytes(const repo::CommitOp& op) {
  if (op.content_file.empty()) return op.content;
  std::ifstream in(op.content_file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void FuzzCommitBody(std::string_view input) {
  if (input.empty()) return;
  const uint8_t selector = static_cast<uint8_t>(input[0]);
  std::string_view body = input.substr(1);
  Result<repo::CommitRequest> commit = ParseCommitNdjson(body);
  if (!commit.ok()) {
    SP_FUZZ_CHECK(commit.status().code() == StatusCode::kInvalidArgument);
  } else {
    SP_FUZZ_CHECK(!commit->summary.empty());
    for (const repo::CommitOp& op : commit->ops) SP_FUZZ_CHECK(repo::ValidateRepoPath(op.path).ok());
  }
  SpillFiles spill(SpillDir());
  PiecesReader reader(body, fuzz::PieceEnds(selector, body.size()));
  Result<repo::CommitRequest> streamed =
      ReadCommitNdjson(reader, 1 << 20, spill, /*whole_line_bytes=*/32, /*in_memory_bytes=*/16);
  if (!streamed.ok()) {
    SP_FUZZ_CHECK(streamed.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  SP_FUZZ_CHECK(commit.ok());
  SP_FUZZ_CHECK(streamed->summary == commit->summary);
  SP_FUZZ_CHECK(streamed->ops.size() == commit->ops.size());
  for (size_t i = 0; i < commit->ops.size(); ++i) {
    const repo::CommitOp& a = streamed->ops[i];
    const repo::CommitOp& b = commit->ops[i];
    SP_FUZZ_CHECK(a.kind == b.kind && a.path == b.path);
    if (b.kind == repo::CommitOpKind::kAddFile) SP_FUZZ_CHECK(Bytes(a) == b.content);
  }
}

}  // namespace
}  // namespace spaceport::hub

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spaceport::hub::FuzzCommitBody(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
