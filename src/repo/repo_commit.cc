#include "repo/repo_commit.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>

#include "core/strings.h"
#include "core/subprocess.h"

namespace spaceport::repo {
namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr Millis kGitTimeout{5 * 60 * 1000};
constexpr const char* kZeroSha = "0000000000000000000000000000000000000000";

// One commit in progress: git in the bare repo with a private index.
class IndexSession {
 public:
  IndexSession(std::string git_dir, const std::string& author)
      : git_dir_(std::move(git_dir)), index_(git_dir_ + "/spaceport-index-" + RandomHex(8)), author_(author) {}
  ~IndexSession() { unlink(index_.c_str()); }
  IndexSession(const IndexSession&) = delete;
  IndexSession& operator=(const IndexSession&) = delete;

  // stdout of a git command that must succeed.
  Result<std::string> Run(std::vector<std::string> args, std::string input = "") const {
    CommandOptions o;
    o.argv = {"git", "--git-dir=" + git_dir_};
    std::string what = args.empty() ? "git" : "git " + args.front();
    for (auto& a : args) o.argv.push_back(std::move(a));
    o.env = {{"GIT_TERMINAL_PROMPT", "0"},     {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_INDEX_FILE", index_},
             {"GIT_LITERAL_PATHSPECS", "1"},   {"GIT_AUTHOR_NAME", author_}, {"GIT_COMMITTER_NAME", author_},
             {"GIT_AUTHOR_EMAIL", author_ + "@spaceport"}, {"GIT_COMMITTER_EMAIL", author_ + "@spaceport"}};
    o.stdin_data = std::move(input);
    o.timeout = kGitTimeout;
    o.max_output = 64u << 20;
    ASSIGN_OR_RETURN(CommandResult r, RunCommand(o));
    if (!r.ok()) return Status::Internal(what + " failed: " + std::string(Trim(r.stderr_data)));
    return std::move(r.stdout_data);
  }
  const std::string& git_dir() const { return git_dir_; }
  Result<std::string> HashBlob(std::string content) const {
    ASSIGN_OR_RETURN(std::string out, Run({"hash-object", "-w", "--stdin"}, std::move(content)));
    return std::string(Trim(out));
  }
  // Stores every content as a blob with one git process (a commit of many
  // files would otherwise start one per file); ids in the same order.
  Result<std::vector<std::string>> HashBlobs(const std::vector<const std::string*>& contents) const {
    if (contents.size() == 1) {
      ASSIGN_OR_RETURN(std::string oid, HashBlob(*contents[0]));
      return std::vector<std::string>{oid};
    }
    std::string dir = git_dir_ + "/spaceport-blobs-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) return Status::Internal("temp dir for blobs: " + std::string(strerror(errno)));
    struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } cleanup{dir};
    std::string paths;
    for (size_t i = 0; i < contents.size(); ++i) {
      std::string path = dir + "/" + std::to_string(i);
      std::ofstream out(path, std::ios::binary);
      out.write(contents[i]->data(), static_cast<std::streamsize>(contents[i]->size()));
      if (!out.flush()) return Status::Internal("writing " + path);
      paths += path + "\n";
    }
    ASSIGN_OR_RETURN(std::string out, Run({"hash-object", "-w", "--no-filters", "--stdin-paths"}, paths));
    std::vector<std::string> oids;
    for (const std::string& line : Split(Trim(out), '\n')) oids.push_back(std::string(Trim(line)));
    if (oids.size() != contents.size()) return Status::Internal("git hash-object answered " + std::to_string(oids.size()) + " ids for " + std::to_string(contents.size()) + " files");
    return oids;
  }

 private:
  std::string git_dir_;
  std::string index_;
  std::string author_;
};

// git in the bare repository (no index, no work tree), stdin given.
Result<CommandResult> BareGit(const std::string& git_dir, std::vector<std::string> args, std::string input) {
  CommandOptions o;
  o.argv = {"git", "--git-dir=" + git_dir};
  for (std::string& a : args) o.argv.push_back(std::move(a));
  o.env = {{"GIT_TERMINAL_PROMPT", "0"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  o.stdin_data = std::move(input);
  o.timeout = kGitTimeout;
  return RunCommand(o);
}

// `git hash-object -w` of the files behind big uploads (path -> file), one
// process for all; path -> blob id.
Result<std::map<std::string, std::string>> StoreFiles(const std::string& git_dir,
                                                      const std::map<std::string, std::string>& files) {
  std::map<std::string, std::string> oids;
  if (files.empty()) return oids;
  std::string paths;
  for (const auto& [path, file] : files) paths += file + "\n";
  ASSIGN_OR_RETURN(CommandResult r,
                   BareGit(git_dir, {"hash-object", "-w", "--no-filters", "--stdin-paths"}, std::move(paths)));
  if (!r.ok()) return Status::Internal("git hash-object failed: " + std::string(Trim(r.stderr_data)));
  std::vector<std::string> lines = Split(Trim(r.stdout_data), '\n');
  if (lines.size() != files.size()) {
    return Status::Internal("git hash-object answered " + std::to_string(lines.size()) + " ids for " +
                            std::to_string(files.size()) + " files");
  }
  size_t i = 0;
  for (const auto& [path, file] : files) oids[path] = std::string(Trim(lines[i++]));
  return oids;
}

// What a commit adds, the last op on a path winning: bytes in memory, or
// (big uploads) the file holding them.
struct Additions {
  std::map<std::string, std::string> contents;  // path -> bytes
  std::map<std::string, std::string> files;     // path -> file with the bytes
  bool any_lfs = false;
};

Additions CollectAdditions(const CommitRequest& req) {
  Additions a;
  for (const CommitOp& op : req.ops) {
    if (op.kind == CommitOpKind::kAddFile && !op.content_file.empty()) {
      a.files[op.path] = op.content_file;
      a.contents.erase(op.path);
    } else if (op.kind == CommitOpKind::kAddFile) {
      a.contents[op.path] = op.content;
      a.files.erase(op.path);
    } else if (op.kind == CommitOpKind::kAddLfsFile) {
      a.contents[op.path] = FormatLfsPointer(op.lfs);
      a.files.erase(op.path);
      a.any_lfs = true;
    }
  }
  return a;
}

bool IsControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

Status ValidateOps(const LfsStore& lfs, std::string_view owner, std::string_view name, const CommitRequest& req) {
  if (Trim(req.summary).empty()) return Status::InvalidArgument("the commit needs a summary");
  // git stores messages as C strings: a NUL would cut the message, and
  // commit-tree refuses it after we accepted the commit.
  if (req.summary.find('\0') != std::string::npos || req.description.find('\0') != std::string::npos) {
    return Status::InvalidArgument("the commit summary or description contains a NUL byte");
  }
  // A file and a folder of the same name cannot both be in a tree: git
  // would keep one of them and the commit would silently lose the other.
  std::set<std::string_view> added;
  for (const CommitOp& op : req.ops) {
    if (op.kind == CommitOpKind::kAddFile || op.kind == CommitOpKind::kAddLfsFile) added.insert(op.path);
  }
  for (std::string_view path : added) {
    auto next = added.upper_bound(path);
    for (; next != added.end() && StartsWith(*next, path); ++next) {
      if (next->size() > path.size() && (*next)[path.size()] == '/') {
        return Status::InvalidArgument("'" + std::string(path) + "' is added as a file and as a folder ('" +
                                       std::string(*next) + "') in the same commit");
      }
    }
  }
  for (const CommitOp& op : req.ops) {
    RETURN_IF_ERROR(ValidateRepoPath(op.path));
    if (op.kind != CommitOpKind::kAddLfsFile) continue;
    if (!IsValidLfsOid(op.lfs.oid)) return Status::InvalidArgument("invalid LFS oid for '" + op.path + "'");
    Status st = lfs.Check(owner, name, op.lfs);
    if (st.code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("LFS object " + op.lfs.oid + " for '" + op.path + "' was not uploaded");
    }
    RETURN_IF_ERROR(st.WithContext("'" + op.path + "'"));
  }
  return Status::Ok();
}

// Paths in the index under `path` (the file itself or a folder's files).
Result<std::vector<std::string>> IndexPaths(const IndexSession& git, const std::string& path) {
  ASSIGN_OR_RETURN(std::string out, git.Run({"ls-files", "-z", "--", path}));
  std::vector<std::string> paths;
  for (std::string& p : Split(out, '\0')) {
    if (!p.empty()) paths.push_back(std::move(p));
  }
  return paths;
}

Status StageDeletions(const IndexSession& git, const CommitRequest& req) {
  std::string removals;
  for (const CommitOp& op : req.ops) {
    bool file = op.kind == CommitOpKind::kDeleteFile;
    if (!file && op.kind != CommitOpKind::kDeleteFolder) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> paths, IndexPaths(git, op.path));
    bool exact = paths.size() == 1 && paths[0] == op.path;
    if (file ? !exact : (paths.empty() || exact)) {
      return Status::NotFound(std::string(file ? "file '" : "folder '") + op.path + "' does not exist");
    }
    for (const std::string& p : paths) removals += std::string("0 ") + kZeroSha + "\t" + p + '\0';  // mode 0: remove
  }
  if (removals.empty()) return Status::Ok();
  return git.Run({"update-index", "-z", "--index-info"}, removals).status();
}

}  // namespace

bool LfsAttributesCover(const std::string& attributes, const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  for (const std::string& line : Split(attributes, '\n')) {
    std::vector<std::string> f = Split(Trim(line), ' ');
    if (f.size() < 2 || line.find("filter=lfs") == std::string::npos) continue;
    const std::string& pattern = f[0];
    bool anchored = pattern.find('/') != std::string::npos;
    std::string p = !pattern.empty() && pattern[0] == '/' ? pattern.substr(1) : pattern;
    if (fnmatch(p.c_str(), (anchored ? path : base).c_str(), anchored ? FNM_PATHNAME : 0) == 0) return true;
  }
  return false;
}

namespace {

std::string AttributesPattern(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ') {
      out += "[[:space:]]";
    } else {
      if (c == '*' || c == '?' || c == '[' || c == '\\' || c == '#' || c == '!') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

// The .gitattributes the commit ends with: as sent or as in the parent,
// plus a filter=lfs line for each LFS path it does not cover yet.
Result<std::optional<std::string>> UpdatedAttributes(const IndexSession& git, const CommitRequest& req) {
  std::optional<std::string> sent;
  bool any_lfs = false;
  for (const CommitOp& op : req.ops) {
    if (op.kind == CommitOpKind::kAddFile && op.path == ".gitattributes") sent = op.content;
    any_lfs = any_lfs || op.kind == CommitOpKind::kAddLfsFile;
  }
  if (!any_lfs) return std::optional<std::string>();
  std::string attributes;
  if (sent) {
    attributes = *sent;
  } else {
    ASSIGN_OR_RETURN(std::vector<std::string> in_index, IndexPaths(git, ".gitattributes"));
    if (!in_index.empty()) {
      ASSIGN_OR_RETURN(attributes, git.Run({"cat-file", "blob", ":.gitattributes"}));
    }
  }
  std::string before = attributes;
  for (const CommitOp& op : req.ops) {
    if (op.kind != CommitOpKind::kAddLfsFile || LfsAttributesCover(attributes, op.path)) continue;
    if (!attributes.empty() && attributes.back() != '\n') attributes += "\n";
    attributes += AttributesPattern(op.path) + " filter=lfs diff=lfs merge=lfs -text\n";
  }
  if (attributes == before && !sent) return std::optional<std::string>();
  return std::optional<std::string>(attributes);
}

// The first commit of an empty repo, adds only (a Space created with its
// files): one `git fast-import` writes the blobs, the tree, the commit and
// the branch, where the index route takes five git processes. fast-import
// refuses to move a branch that appeared meanwhile to an unrelated commit,
// as update-ref with the zero old value does.
Result<std::string> CommitInitial(const std::string& git_dir, const CommitRequest& req, const std::string& ref) {
  Additions adds = CollectAdditions(req);
  std::map<std::string, std::string>& contents = adds.contents;
  const bool any_lfs = adds.any_lfs;
  if (any_lfs) {
    std::string attributes = contents.contains(".gitattributes") ? contents[".gitattributes"] : "";
    for (const CommitOp& op : req.ops) {
      if (op.kind != CommitOpKind::kAddLfsFile || LfsAttributesCover(attributes, op.path)) continue;
      if (!attributes.empty() && attributes.back() != '\n') attributes += "\n";
      attributes += AttributesPattern(op.path) + " filter=lfs diff=lfs merge=lfs -text\n";
    }
    contents[".gitattributes"] = attributes;
    adds.files.erase(".gitattributes");
  }
  // Big uploads are stored from their files first; the commit names their ids.
  ASSIGN_OR_RETURN(auto stored, StoreFiles(git_dir, adds.files));
  const std::string author = req.author.empty() ? "spaceport" : req.author;
  std::string message = std::string(Trim(req.summary));
  if (!Trim(req.description).empty()) message += "\n\n" + std::string(Trim(req.description));
  message += "\n";
  std::string stream;
  int mark = 0;
  for (const auto& [path, bytes] : contents) {
    stream += "blob\nmark :" + std::to_string(++mark) + "\ndata " + std::to_string(bytes.size()) + "\n" + bytes + "\n";
  }
  const int commit_mark = ++mark;
  stream += "commit " + ref + "\nmark :" + std::to_string(commit_mark) + "\n";
  stream += "author " + author + " <" + author + "@spaceport> now\ncommitter " + author + " <" + author + "@spaceport> now\n";
  stream += "data " + std::to_string(message.size()) + "\n" + message;
  // Paths quoted for fast-import: ValidateRepoPath let no control byte, NUL
  // or backslash through, so escaping '"' is all it takes.
  auto quoted = [](const std::string& path) {
    std::string q = "\"";
    for (char c : path) {
      if (c == '"') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  mark = 0;
  for (const auto& [path, bytes] : contents) stream += "M 100644 :" + std::to_string(++mark) + " " + quoted(path) + "\n";
  for (const auto& [path, oid] : stored) stream += "M 100644 " + oid + " " + quoted(path) + "\n";
  stream += "\nget-mark :" + std::to_string(commit_mark) + "\ndone\n";
  ASSIGN_OR_RETURN(CommandResult r,
                   BareGit(git_dir, {"fast-import", "--quiet", "--date-format=now", "--done"}, std::move(stream)));
  std::string sha(Trim(r.stdout_data));
  if (!r.ok() && r.stderr_data.find("Not updating") != std::string::npos) {
    return Status::FailedPrecondition(req.branch + " moved while committing; retry the commit");
  }
  if (!r.ok() || sha.size() != 40) return Status::Internal("git fast-import failed: " + std::string(Trim(r.stderr_data)));
  return sha;
}

Status StageAdditions(const IndexSession& git, const CommitRequest& req) {
  Additions adds = CollectAdditions(req);
  std::map<std::string, std::string>& contents = adds.contents;
  ASSIGN_OR_RETURN(std::optional<std::string> attributes, UpdatedAttributes(git, req));
  if (attributes) {
    contents[".gitattributes"] = *attributes;
    adds.files.erase(".gitattributes");
  }
  if (contents.empty() && adds.files.empty()) return Status::Ok();
  std::map<std::string, std::string> blobs;  // path -> blob id
  if (!contents.empty()) {
    std::vector<const std::string*> order;
    for (const auto& [path, bytes] : contents) order.push_back(&bytes);
    ASSIGN_OR_RETURN(std::vector<std::string> oids, git.HashBlobs(order));
    size_t i = 0;
    for (const auto& [path, bytes] : contents) blobs[path] = oids[i++];
  }
  ASSIGN_OR_RETURN(auto stored, StoreFiles(git.git_dir(), adds.files));
  blobs.merge(stored);
  std::string info;
  for (const auto& [path, oid] : blobs) info += "100644 " + oid + "\t" + path + '\0';
  return git.Run({"update-index", "--add", "--replace", "-z", "--index-info"}, info).status();
}

}  // namespace

namespace {

// Whether a path segment is one git refuses to write (its verify_path, with
// the NTFS and HFS+ protections on as they are by default): ".git" in any
// case, "git~1" (the NTFS short name), either followed only by dots and
// spaces or by ":stream", and ".git" with HFS+'s ignorable code points in
// it. git's update-index skips such a path without failing, so a commit
// naming one would succeed and store nothing.
bool NamesDotGit(std::string_view part) {
  std::string folded;
  for (size_t i = 0; i < part.size(); ++i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(part[k]); };
    if (i + 2 < part.size() && b(i) == 0xE2 && b(i + 1) == 0x80 &&
        ((b(i + 2) >= 0x8C && b(i + 2) <= 0x8F) || (b(i + 2) >= 0xAA && b(i + 2) <= 0xAE))) {
      i += 2;  // U+200C..U+200F, U+202A..U+202E
      continue;
    }
    if (i + 2 < part.size() && b(i) == 0xE2 && b(i + 1) == 0x81 && b(i + 2) >= 0xAA && b(i + 2) <= 0xAF) {
      i += 2;  // U+206A..U+206F
      continue;
    }
    if (i + 2 < part.size() && b(i) == 0xEF && b(i + 1) == 0xBB && b(i + 2) == 0xBF) {
      i += 2;  // U+FEFF
      continue;
    }
    if (part[i] == ':') break;  // an NTFS stream name follows
    folded += part[i];
  }
  while (!folded.empty() && (folded.back() == '.' || folded.back() == ' ')) folded.pop_back();
  return EqualsIgnoreCase(folded, ".git") || EqualsIgnoreCase(folded, "git~1");
}

}  // namespace

Status ValidateRepoPath(std::string_view path) {
  std::string shown(path.substr(0, 200));
  if (path.empty()) return Status::InvalidArgument("empty file path");
  if (path.size() > kMaxPathBytes) return Status::InvalidArgument("file path too long");
  if (path.front() == '/') return Status::InvalidArgument("absolute path '" + shown + "' is not allowed");
  for (char c : path) {
    if (c == '\0') return Status::InvalidArgument("file path contains a NUL byte");
    if (IsControl(c)) return Status::InvalidArgument("file path contains a control character");
    if (c == '\\') return Status::InvalidArgument("file path '" + shown + "' contains a backslash");
  }
  for (const std::string& part : Split(path, '/')) {
    if (part.empty()) return Status::InvalidArgument("file path '" + shown + "' has an empty segment");
    if (part == "." || part == "..") return Status::InvalidArgument("file path '" + shown + "' may not contain '" + part + "'");
    if (NamesDotGit(part)) return Status::InvalidArgument("file path '" + shown + "' may not contain .git (or a name git reads as .git)");
  }
  return Status::Ok();
}

Result<std::string> RepoWriter::Commit(std::string_view owner, std::string_view name,
                                       const CommitRequest& req) const {
  if (!repos_->Exists(owner, name)) {
    return Status::NotFound("repository " + std::string(owner) + "/" + std::string(name) + " not found");
  }
  RETURN_IF_ERROR(ValidateOps(*lfs_, owner, name, req));
  std::string ref = "refs/heads/" + req.branch;
  Result<std::string> head = repos_->Resolve(owner, name, ref);
  if (!head.ok() && !(head.status().code() == StatusCode::kNotFound && req.branch == "main")) {
    return head.status().code() == StatusCode::kNotFound ? Status::NotFound("branch '" + req.branch + "' not found")
                                                          : head.status();
  }
  std::string old = head.ok() ? *head : "";
  if (!req.parent_commit.empty() && !EqualsIgnoreCase(req.parent_commit, old)) {
    return Status::FailedPrecondition("parentCommit " + req.parent_commit + " is not the head of " + req.branch +
                                      " (now " + (old.empty() ? "empty" : old) + ")");
  }
  const bool adds_only = std::all_of(req.ops.begin(), req.ops.end(), [](const CommitOp& op) {
    return op.kind == CommitOpKind::kAddFile || op.kind == CommitOpKind::kAddLfsFile;
  });
  if (old.empty() && adds_only && !req.ops.empty()) return CommitInitial(repos_->PathOf(owner, name), req, ref);
  IndexSession git(repos_->PathOf(owner, name), req.author.empty() ? "spaceport" : req.author);
  if (!old.empty()) RETURN_IF_ERROR(git.Run({"read-tree", old}).status());
  RETURN_IF_ERROR(StageDeletions(git, req));
  RETURN_IF_ERROR(StageAdditions(git, req));
  ASSIGN_OR_RETURN(std::string tree, git.Run({"write-tree"}));
  std::vector<std::string> args = {"commit-tree", std::string(Trim(tree)), "-F", "-"};
  if (!old.empty()) args.insert(args.end(), {"-p", old});
  std::string message = std::string(Trim(req.summary));
  if (!Trim(req.description).empty()) message += "\n\n" + std::string(Trim(req.description));
  ASSIGN_OR_RETURN(std::string commit, git.Run(args, message + "\n"));
  std::string sha(Trim(commit));
  Result<std::string> moved = git.Run({"update-ref", "-m", "commit via API", ref, sha, old.empty() ? kZeroSha : old});
  if (!moved.ok()) return Status::FailedPrecondition(req.branch + " moved while committing; retry the commit");
  return sha;
}

}  // namespace spaceport::repo
