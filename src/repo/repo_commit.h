// RepoWriter: makes a commit on a branch of a bare Space repository from a
// list of file operations, without a work tree (the HF "commit" API).
//
// Everything is validated before anything becomes visible: paths (see
// ValidateRepoPath), LFS objects (present with the announced size), files to
// delete (present at the parent). The tree is built in a temporary index
// (GIT_INDEX_FILE), then commit-tree, then `update-ref <branch> NEW OLD`, so
// a push that lands in between is never lost: the commit is refused instead.
// A refused commit leaves the branch where it was (unreferenced objects may
// remain until git gc). LFS files become git-lfs pointer blobs, and their
// paths are added to .gitattributes with filter=lfs as HF does.
// Thread safety: safe from any thread; concurrent commits race on update-ref
// and exactly one wins. Failure: InvalidArgument (bad paths, missing LFS
// objects), NotFound (repo, branch or deleted path missing),
// FailedPrecondition (parentCommit stale, branch moved meanwhile), Internal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "repo/lfs_store.h"
#include "repo/repo_store.h"

namespace spaceport::repo {

enum class CommitOpKind { kAddFile, kAddLfsFile, kDeleteFile, kDeleteFolder };

struct CommitOp {
  CommitOpKind kind = CommitOpKind::kAddFile;
  std::string path;
  std::string content;  // kAddFile: the file's bytes...
  LfsPointer lfs;       // kAddLfsFile
  std::string content_file;  // kAddFile: ...or, when set, a file holding them (big uploads, hub/commit/commit_stream.h)
};

struct CommitRequest {
  std::string branch = "main";
  std::string summary;
  std::string description;
  std::string parent_commit;  // empty: no check
  std::string author;         // user name, for author and committer
  std::vector<CommitOp> ops;
};

// A repo-relative file path a commit may write: not empty, not absolute, no
// empty, "." or ".." segments, no ".git" segment, no NUL or control bytes,
// no backslash, at most 4096 bytes. InvalidArgument naming the problem.
Status ValidateRepoPath(std::string_view path);

// True when a line of .gitattributes text puts `path` under filter=lfs.
bool LfsAttributesCover(const std::string& attributes, const std::string& path);

class RepoWriter {
 public:
  RepoWriter(const RepoStore* repos, const LfsStore* lfs) : repos_(repos), lfs_(lfs) {}
  // Returns the new commit's sha.
  Result<std::string> Commit(std::string_view owner, std::string_view name, const CommitRequest& request) const;

 private:
  const RepoStore* repos_;
  const LfsStore* lfs_;
};

}  // namespace spaceport::repo
