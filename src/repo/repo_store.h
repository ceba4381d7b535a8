// RepoStore: one bare git repository per Space under the data dir, and
// read access to their contents.
//
// Layout: <root>/<owner>/<name>.git, default branch "main". Owner and name
// are validated before they touch the filesystem (no '/', '..', leading '.',
// only [A-Za-z0-9._-]). Thread safety: safe from any thread; git itself
// serializes writers with its ref locks.
// Failure: NotFound for missing repos, revisions or paths; InvalidArgument for
// hostile names/paths; Internal when git fails.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "repo/git_batch.h"

namespace spaceport::repo {

// A git-lfs pointer: the file's real content is the LFS object `oid`.
struct LfsPointer {
  std::string oid;   // sha256 hex of the content
  int64_t size = 0;  // bytes of the content
};

struct TreeEntry {
  std::string path;  // relative to the repo root
  std::string type;  // "file" | "directory"
  std::string oid;   // git object id
  int64_t size = 0;  // files only (of the blob: a pointer's own size for LFS files)
  std::optional<LfsPointer> lfs;  // set when the blob is a git-lfs pointer
};

// One file at a revision, as GET .../resolve needs it.
struct FileInfo {
  std::string commit;  // the resolved commit sha
  std::string oid;     // blob id
  int64_t size = 0;    // blob size
  std::optional<LfsPointer> lfs;
};

// One revision's files read through one git process (GitBatch): a download
// costs one process and a bounded buffer whatever the file's size.
class RevisionReader {
 public:
  RevisionReader(std::string commit, std::unique_ptr<GitBatch> batch)
      : commit_(std::move(commit)), batch_(std::move(batch)) {}
  const std::string& commit() const { return commit_; }
  // As RepoStore::Stat: NotFound when `path` is no file of this revision.
  Result<FileInfo> Stat(std::string_view path);
  // Bytes [first, first + length) of a file Stat found, to `sink` in chunks.
  // A read that stops before the file's end is the reader's last.
  Status Read(const FileInfo& file, uint64_t first, uint64_t length,
              const std::function<Status(std::string_view)>& sink) {
    return batch_->Contents(file.oid, first, length, sink);
  }
  // The same bytes as a source for ResponseWriter::SendBody, which the event
  // loop reads at the client's pace; the reader's git process goes with it.
  static Result<std::unique_ptr<http::BodySource>> Stream(std::unique_ptr<RevisionReader> reader,
                                                          const FileInfo& file, uint64_t first, uint64_t length) {
    return GitBatch::StreamContents(std::move(reader->batch_), file.oid, first, length);
  }

 private:
  std::string commit_;
  std::unique_ptr<GitBatch> batch_;
};

struct CommitInfo {
  std::string sha;
  std::string title;
  std::string message;
  std::vector<std::string> authors;
  int64_t unix_millis = 0;
};

// True for names git and the filesystem can both take safely.
bool IsValidRepoName(std::string_view name);

class RepoStore {
 public:
  explicit RepoStore(std::string root);

  std::string PathOf(std::string_view owner, std::string_view name) const;
  // Where commits in progress keep big contents (hub/commit/commit_stream.h):
  // beside the repositories, not in one (a repo's size counts what it holds),
  // made on first use; what a killed server left there is old news.
  Result<std::string> SpillDir() const;
  void ClearSpillDir() const;
  bool Exists(std::string_view owner, std::string_view name) const;
  // Bytes the repository takes on disk: git objects, refs and LFS objects.
  int64_t DiskBytes(std::string_view owner, std::string_view name) const;
  // git init --bare, HEAD -> refs/heads/main, receive-pack enabled.
  Status Create(std::string_view owner, std::string_view name);
  // Full copy with history and LFS objects (forks).
  Status CopyFrom(std::string_view from_owner, std::string_view from_name, std::string_view owner,
                  std::string_view name);
  Status Move(std::string_view owner, std::string_view name, std::string_view new_owner, std::string_view new_name);
  Status Remove(std::string_view owner, std::string_view name);

  // Commit sha of `rev` (branch, tag or sha); NotFound if the repo is empty or rev unknown.
  Result<std::string> Resolve(std::string_view owner, std::string_view name, std::string_view rev) const;
  Result<std::string> ReadFile(std::string_view owner, std::string_view name, std::string_view rev,
                               std::string_view path) const;
  // NotFound when `path` is not a file at `rev`.
  Result<FileInfo> Stat(std::string_view owner, std::string_view name, std::string_view rev,
                        std::string_view path) const;
  // NotFound when `rev` is no commit of the repository.
  Result<std::unique_ptr<RevisionReader>> OpenRevision(std::string_view owner, std::string_view name,
                                                       std::string_view rev) const;
  Result<std::vector<TreeEntry>> ListTree(std::string_view owner, std::string_view name, std::string_view rev,
                                          std::string_view dir, bool recursive) const;
  Result<std::vector<CommitInfo>> ListCommits(std::string_view owner, std::string_view name, std::string_view rev,
                                              int limit, int skip = 0) const;
  // Writes the tree of `sha` into `dest_dir` (created if missing).
  Status Export(std::string_view owner, std::string_view name, std::string_view sha, const std::string& dest_dir) const;

 private:
  std::string root_;
};

}  // namespace spaceport::repo
