#include "repo/repo_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>

#include "core/strings.h"
#include "core/subprocess.h"
#include "repo/lfs_store.h"

namespace spaceport::repo {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxNameLength = 96;
constexpr size_t kMaxRevLength = 256;
constexpr size_t kMaxPathLength = 4096;
constexpr size_t kMaxFileBytes = 256u << 20;
constexpr Millis kGitTimeout{5 * 60 * 1000};
constexpr int64_t kLfsPointerMaxBytes = 1024;  // a blob this size or more is no LFS pointer

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

Status CheckNames(std::string_view owner, std::string_view name) {
  if (!IsValidRepoName(owner)) return Status::InvalidArgument("invalid owner name '" + std::string(owner) + "'");
  if (!IsValidRepoName(name)) return Status::InvalidArgument("invalid repository name '" + std::string(name) + "'");
  return Status::Ok();
}

// A revision is a branch, tag or sha: refuse anything git could read as an
// option or as revision syntax.
Status CheckRev(std::string_view rev) {
  if (rev.empty() || rev.size() > kMaxRevLength || rev.front() == '-' || rev.find("..") != std::string_view::npos ||
      rev.find("@{") != std::string_view::npos) {
    return Status::InvalidArgument("invalid revision '" + std::string(rev) + "'");
  }
  for (char c : rev) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' || c == '*' || c == '[' ||
        c == '\\') {
      return Status::InvalidArgument("invalid revision '" + std::string(rev) + "'");
    }
  }
  return Status::Ok();
}

// Repo-relative path: no "..", not absolute, no NUL or control characters.
// Returns it without leading/trailing slashes ("" is the root).
Result<std::string> CleanPath(std::string_view path) {
  if (path.size() > kMaxPathLength) return Status::InvalidArgument("path too long");
  if (!path.empty() && path.front() == '/') return Status::InvalidArgument("absolute path '" + std::string(path) + "'");
  std::vector<std::string> kept;
  for (const std::string& part : Split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return Status::InvalidArgument("path may not contain '..'");
    for (char c : part) {
      if (static_cast<unsigned char>(c) < 0x20) return Status::InvalidArgument("path contains a control character");
    }
    kept.push_back(part);
  }
  return Join(kept, "/");
}

Result<CommandResult> Git(const std::string& git_dir, std::vector<std::string> args, std::string stdin_data = "",
                          size_t max_output = 16u << 20) {
  CommandOptions o;
  o.argv = {"git", "--git-dir=" + git_dir};
  for (auto& a : args) o.argv.push_back(std::move(a));
  o.env["GIT_TERMINAL_PROMPT"] = "0";
  o.env["GIT_CONFIG_NOSYSTEM"] = "1";
  o.stdin_data = std::move(stdin_data);
  o.timeout = kGitTimeout;
  o.max_output = max_output;
  return RunCommand(o);
}

Status GitOk(const std::string& git_dir, std::vector<std::string> args) {
  std::string what = args.empty() ? "git" : "git " + args.front();
  ASSIGN_OR_RETURN(CommandResult r, Git(git_dir, std::move(args)));
  if (!r.ok()) return Status::Internal(what + " failed: " + std::string(Trim(r.stderr_data)));
  return Status::Ok();
}

// A smudge filter for `filter=lfs` files that needs no git-lfs: exports (git
// archive, as the builder runs it) get the LFS object's content in place of
// the pointer; anything else, or a missing object, passes through unchanged.
constexpr const char* kLfsSmudge =
    "sh -c 'f=$(mktemp) || exit 1; cat >\"$f\"; "
    "oid=$(head -c 1024 \"$f\" | sed -n \"s/^oid sha256:\\([0-9a-f]\\{64\\}\\)$/\\1/p\" | head -n 1); "
    "o=\"$GIT_DIR/lfs/objects/$(echo \"$oid\" | cut -c1-2)/$(echo \"$oid\" | cut -c3-4)/$oid\"; "
    "if [ -n \"$oid\" ] && head -n 1 \"$f\" | grep -q \"^version https://git-lfs\" && [ -f \"$o\" ]; "
    "then cat \"$o\"; else cat \"$f\"; fi; rm -f \"$f\"'";

// Written as files, not with `git symbolic-ref` and one `git config` per
// setting: each would cost a process, per Space created.
Status ConfigureRepo(const std::string& git_dir) {
  std::ofstream head(git_dir + "/HEAD", std::ios::trunc);
  head << "ref: refs/heads/main\n";
  if (!head.flush()) return Status::Internal("writing " + git_dir + "/HEAD");
  std::string quoted;  // git config quoting: "..." with \ and \" escaped
  for (char c : std::string(kLfsSmudge)) {
    if (c == '\\' || c == '"') quoted.push_back('\\');
    quoted.push_back(c);
  }
  std::ofstream config(git_dir + "/config", std::ios::app);
  config << "[filter \"lfs\"]\n\tsmudge = \"" << quoted << "\"\n\trequired = false\n"
         << "[http]\n\treceivepack = true\n"
         << "[receive]\n\tdenyDeleteCurrent = true\n\tdenyNonFastForwards = false\n";
  if (!config.flush()) return Status::Internal("writing " + git_dir + "/config");
  return Status::Ok();
}

std::string TempSibling(const std::string& path) { return path + ".tmp-" + RandomHex(6); }

struct ObjectInfo {
  std::string oid;
  std::string type;  // blob | tree | commit; empty when missing
  int64_t size = 0;
};

Result<ObjectInfo> Describe(const std::string& git_dir, const std::string& object) {
  ASSIGN_OR_RETURN(CommandResult r, Git(git_dir, {"cat-file", "--batch-check"}, object + "\n"));
  if (!r.ok()) return Status::Internal("git cat-file failed: " + std::string(Trim(r.stderr_data)));
  std::vector<std::string> parts = Split(Trim(r.stdout_data), ' ');
  ObjectInfo info;
  if (parts.size() == 3 && parts[1] != "missing") {
    info.oid = parts[0];
    info.type = parts[1];
    info.size = ParseInt(parts[2]).value_or(0);
  }
  return info;
}

// Parses one `git ls-tree -l -z` record: "<mode> <type> <oid> <size>\t<path>".
std::optional<TreeEntry> ParseTreeRecord(std::string_view rec, const std::string& prefix) {
  size_t tab = rec.find('\t');
  if (tab == std::string_view::npos) return std::nullopt;
  std::vector<std::string> f;
  for (const std::string& p : Split(rec.substr(0, tab), ' ')) {
    if (!p.empty()) f.push_back(p);
  }
  if (f.size() != 4) return std::nullopt;
  TreeEntry e;
  e.path = prefix + std::string(rec.substr(tab + 1));
  e.oid = f[2];
  if (f[1] == "tree") {
    e.type = "directory";
  } else if (f[1] == "blob") {
    e.type = "file";
    e.size = ParseInt(f[3]).value_or(0);
  } else {
    return std::nullopt;  // submodules are not part of a Space
  }
  return e;
}

// Marks the files whose blob is a git-lfs pointer (only small blobs can be).
Status AnnotateLfs(const std::string& git_dir, std::vector<TreeEntry>* entries) {
  std::string wanted;
  for (const TreeEntry& e : *entries) {
    if (e.type == "file" && e.size < kLfsPointerMaxBytes) wanted += e.oid + "\n";
  }
  if (wanted.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(CommandResult r, Git(git_dir, {"cat-file", "--batch"}, wanted, 256u << 20));
  if (!r.ok()) return Status::Internal("git cat-file failed: " + std::string(Trim(r.stderr_data)));
  std::map<std::string, LfsPointer> pointers;
  std::string_view out = r.stdout_data;
  while (!out.empty()) {
    size_t nl = out.find('\n');
    if (nl == std::string_view::npos) break;
    std::vector<std::string> head = Split(out.substr(0, nl), ' ');
    out.remove_prefix(nl + 1);
    if (head.size() != 3) continue;  // "<oid> missing"
    size_t n = static_cast<size_t>(ParseInt(head[2]).value_or(0));
    if (n > out.size()) break;
    if (auto p = ParseLfsPointer(out.substr(0, n))) pointers[head[0]] = *p;
    out.remove_prefix(std::min(out.size(), n + 1));
  }
  for (TreeEntry& e : *entries) {
    auto it = pointers.find(e.oid);
    if (e.type == "file" && it != pointers.end()) e.lfs = it->second;
  }
  return Status::Ok();
}

}  // namespace

bool IsValidRepoName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (!IsAlnum(name.front())) return false;  // no leading '.', '-' or '_'
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  if (name.find("..") != std::string_view::npos || name.find("--") != std::string_view::npos) return false;
  if (EndsWith(name, ".git") || EndsWith(name, ".lock") || EndsWith(name, ".")) return false;
  return true;
}

RepoStore::RepoStore(std::string root) : root_(std::move(root)) {}

std::string RepoStore::PathOf(std::string_view owner, std::string_view name) const {
  return root_ + "/" + std::string(owner) + "/" + std::string(name) + ".git";
}

bool RepoStore::Exists(std::string_view owner, std::string_view name) const {
  if (!CheckNames(owner, name).ok()) return false;
  std::error_code ec;
  return fs::is_directory(PathOf(owner, name), ec);
}

int64_t RepoStore::DiskBytes(std::string_view owner, std::string_view name) const {
  if (!CheckNames(owner, name).ok()) return 0;
  std::error_code ec;
  int64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(PathOf(owner, name), ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

Status RepoStore::Create(std::string_view owner, std::string_view name) {
  RETURN_IF_ERROR(CheckNames(owner, name));
  std::string path = PathOf(owner, name);
  std::error_code ec;
  if (fs::exists(path, ec)) return Status::AlreadyExists("repository " + std::string(owner) + "/" + std::string(name) + " exists");
  fs::create_directories(root_ + "/" + std::string(owner), ec);
  if (ec) return Status::Internal("creating " + root_ + "/" + std::string(owner) + ": " + ec.message());
  // Build it aside and rename, so a half-made repository is never visible.
  std::string tmp = TempSibling(path);
  // What `git init --bare` makes, minus the template's sample hooks, written
  // here: a git process per Space created is a cost that counts in bulk.
  for (const char* sub : {"objects/info", "objects/pack", "refs/heads", "refs/tags"}) {
    fs::create_directories(tmp + "/" + sub, ec);
    if (ec) break;
  }
  Status st = ec ? Status::Internal("creating " + tmp + ": " + ec.message()) : Status::Ok();
  if (st.ok()) {
    std::ofstream config(tmp + "/config");
    config << "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n";
    if (!config.flush()) st = Status::Internal("writing " + tmp + "/config");
  }
  if (st.ok()) st = ConfigureRepo(tmp);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Status::AlreadyExists("repository exists");
  if (!st.ok()) fs::remove_all(tmp, ec);
  return st;
}

namespace {

// git clone does not carry the LFS objects kept beside the repository
// (<repo>.git/lfs/objects); a fork needs them. Hard links where possible.
Status CopyLfsObjects(const std::string& from_repo, const std::string& to_repo) {
  fs::path src = fs::path(from_repo) / "lfs" / "objects";
  fs::path dst = fs::path(to_repo) / "lfs" / "objects";
  std::error_code ec;
  if (!fs::exists(src, ec)) return Status::Ok();
  fs::create_directories(dst, ec);
  auto options = fs::copy_options::recursive | fs::copy_options::skip_existing;
  fs::copy(src, dst, options | fs::copy_options::create_hard_links, ec);
  if (ec) {
    ec.clear();
    fs::copy(src, dst, options, ec);
  }
  if (ec) return Status::Internal("copying LFS objects: " + ec.message());
  return Status::Ok();
}

}  // namespace

Status RepoStore::CopyFrom(std::string_view from_owner, std::string_view from_name, std::string_view owner,
                           std::string_view name) {
  RETURN_IF_ERROR(CheckNames(from_owner, from_name));
  RETURN_IF_ERROR(CheckNames(owner, name));
  if (!Exists(from_owner, from_name)) return Status::NotFound("repository " + std::string(from_owner) + "/" + std::string(from_name) + " not found");
  std::string path = PathOf(owner, name);
  std::error_code ec;
  if (fs::exists(path, ec)) return Status::AlreadyExists("repository " + std::string(owner) + "/" + std::string(name) + " exists");
  fs::create_directories(root_ + "/" + std::string(owner), ec);
  std::string tmp = TempSibling(path);
  CommandOptions o;
  o.argv = {"git", "clone", "--bare", "--quiet", "--", PathOf(from_owner, from_name), tmp};
  o.env["GIT_TERMINAL_PROMPT"] = "0";
  o.timeout = kGitTimeout;
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(o));
  Status st = r.ok() ? ConfigureRepo(tmp) : Status::Internal("git clone failed: " + std::string(Trim(r.stderr_data)));
  if (st.ok()) st = GitOk(tmp, {"remote", "remove", "origin"});
  if (st.ok()) st = CopyLfsObjects(PathOf(from_owner, from_name), tmp);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Status::AlreadyExists("repository exists");
  if (!st.ok()) fs::remove_all(tmp, ec);
  return st;
}

Status RepoStore::Move(std::string_view owner, std::string_view name, std::string_view new_owner,
                       std::string_view new_name) {
  RETURN_IF_ERROR(CheckNames(owner, name));
  RETURN_IF_ERROR(CheckNames(new_owner, new_name));
  if (!Exists(owner, name)) return Status::NotFound("repository " + std::string(owner) + "/" + std::string(name) + " not found");
  std::string to = PathOf(new_owner, new_name);
  std::error_code ec;
  if (fs::exists(to, ec)) return Status::AlreadyExists("repository " + std::string(new_owner) + "/" + std::string(new_name) + " exists");
  fs::create_directories(root_ + "/" + std::string(new_owner), ec);
  fs::rename(PathOf(owner, name), to, ec);
  if (ec) return Status::Internal("moving repository: " + ec.message());
  return Status::Ok();
}

Status RepoStore::Remove(std::string_view owner, std::string_view name) {
  RETURN_IF_ERROR(CheckNames(owner, name));
  if (!Exists(owner, name)) return Status::NotFound("repository " + std::string(owner) + "/" + std::string(name) + " not found");
  // Rename first so the name is free at once even if deleting takes long.
  std::string path = PathOf(owner, name);
  std::string doomed = path + ".deleted-" + RandomHex(6);
  std::error_code ec;
  fs::rename(path, doomed, ec);
  if (ec) return Status::Internal("removing repository: " + ec.message());
  fs::remove_all(doomed, ec);
  if (ec) return Status::Internal("removing repository: " + ec.message());
  return Status::Ok();
}

Result<std::string> RepoStore::Resolve(std::string_view owner, std::string_view name, std::string_view rev) const {
  RETURN_IF_ERROR(CheckNames(owner, name));
  RETURN_IF_ERROR(CheckRev(rev));
  if (!Exists(owner, name)) return Status::NotFound("repository " + std::string(owner) + "/" + std::string(name) + " not found");
  // A branch of a repo with no refs at all yet (just created): known
  // missing without asking git.
  if (rev.starts_with("refs/heads/")) {
    const std::string path = PathOf(owner, name);
    std::error_code ec;
    if (!fs::exists(path + "/" + std::string(rev), ec) && !fs::exists(path + "/packed-refs", ec) &&
        fs::is_empty(path + "/refs/heads", ec) && !ec) {
      return Status::NotFound("revision '" + std::string(rev) + "' not found");
    }
  }
  ASSIGN_OR_RETURN(CommandResult r,
                   Git(PathOf(owner, name), {"rev-parse", "--verify", "--quiet", "--end-of-options",
                                             std::string(rev) + "^{commit}"}));
  std::string sha(Trim(r.stdout_data));
  if (!r.ok() || sha.empty()) return Status::NotFound("revision '" + std::string(rev) + "' not found");
  return sha;
}

Result<std::string> RepoStore::ReadFile(std::string_view owner, std::string_view name, std::string_view rev,
                                        std::string_view path) const {
  ASSIGN_OR_RETURN(std::string clean, CleanPath(path));
  if (clean.empty()) return Status::InvalidArgument("empty file path");
  ASSIGN_OR_RETURN(std::string sha, Resolve(owner, name, rev));
  std::string git_dir = PathOf(owner, name);
  ASSIGN_OR_RETURN(ObjectInfo info, Describe(git_dir, sha + ":" + clean));
  if (info.type != "blob") return Status::NotFound("file '" + clean + "' not found at " + std::string(rev));
  if (static_cast<size_t>(info.size) > kMaxFileBytes) return Status::PayloadTooLarge("file '" + clean + "' is too large");
  ASSIGN_OR_RETURN(CommandResult r, Git(git_dir, {"cat-file", "blob", info.oid}, "", kMaxFileBytes + 1));
  if (!r.ok()) return Status::Internal("git cat-file failed: " + std::string(Trim(r.stderr_data)));
  return std::move(r.stdout_data);
}

Result<std::vector<TreeEntry>> RepoStore::ListTree(std::string_view owner, std::string_view name,
                                                   std::string_view rev, std::string_view dir, bool recursive) const {
  ASSIGN_OR_RETURN(std::string clean, CleanPath(dir));
  ASSIGN_OR_RETURN(std::string sha, Resolve(owner, name, rev));
  std::string git_dir = PathOf(owner, name);
  std::string object = sha + ":" + clean;
  ASSIGN_OR_RETURN(ObjectInfo info, Describe(git_dir, object));
  if (info.type != "tree") return Status::NotFound("directory '" + clean + "' not found at " + std::string(rev));
  std::vector<std::string> args = {"ls-tree", "-l", "-z"};
  if (recursive) {
    args.push_back("-r");
    args.push_back("-t");
  }
  args.push_back(info.oid);
  ASSIGN_OR_RETURN(CommandResult r, Git(git_dir, std::move(args), "", 256u << 20));
  if (!r.ok()) return Status::Internal("git ls-tree failed: " + std::string(Trim(r.stderr_data)));
  std::string prefix = clean.empty() ? "" : clean + "/";
  std::vector<TreeEntry> out;
  for (const std::string& rec : Split(r.stdout_data, '\0')) {
    if (rec.empty()) continue;
    if (auto e = ParseTreeRecord(rec, prefix)) out.push_back(std::move(*e));
  }
  RETURN_IF_ERROR(AnnotateLfs(git_dir, &out));
  return out;
}

Result<FileInfo> RepoStore::Stat(std::string_view owner, std::string_view name, std::string_view rev,
                                 std::string_view path) const {
  ASSIGN_OR_RETURN(std::unique_ptr<RevisionReader> reader, OpenRevision(owner, name, rev));
  return reader->Stat(path);
}

Result<std::string> RepoStore::SpillDir() const {
  std::string dir = root_ + "/.commit-spill";  // no owner name starts with '.'
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("creating " + dir + ": " + ec.message());
  return dir;
}

void RepoStore::ClearSpillDir() const {
  std::error_code ec;
  fs::remove_all(root_ + "/.commit-spill", ec);
}

Result<std::unique_ptr<RevisionReader>> RepoStore::OpenRevision(std::string_view owner, std::string_view name,
                                                                std::string_view rev) const {
  RETURN_IF_ERROR(CheckNames(owner, name));
  RETURN_IF_ERROR(CheckRev(rev));
  if (!Exists(owner, name)) return Status::NotFound("repository " + std::string(owner) + "/" + std::string(name) + " not found");
  ASSIGN_OR_RETURN(std::unique_ptr<GitBatch> batch, GitBatch::Start(PathOf(owner, name), kGitTimeout));
  ASSIGN_OR_RETURN(GitObject commit, batch->Info(std::string(rev) + "^{commit}"));
  if (commit.type != "commit") return Status::NotFound("revision '" + std::string(rev) + "' not found");
  return std::make_unique<RevisionReader>(commit.oid, std::move(batch));
}

Result<FileInfo> RevisionReader::Stat(std::string_view path) {
  ASSIGN_OR_RETURN(std::string clean, CleanPath(path));
  if (clean.empty()) return Status::NotFound("empty file path");
  ASSIGN_OR_RETURN(GitObject blob, batch_->Info(commit_ + ":" + clean));
  if (blob.type != "blob") return Status::NotFound("file '" + clean + "' not found at " + commit_);
  FileInfo info{commit_, blob.oid, blob.size, std::nullopt};
  if (blob.size < kLfsPointerMaxBytes) {
    ASSIGN_OR_RETURN(std::string head, batch_->ReadSmall(blob.oid, kLfsPointerMaxBytes));
    info.lfs = ParseLfsPointer(head);
  }
  return info;
}

Result<std::vector<CommitInfo>> RepoStore::ListCommits(std::string_view owner, std::string_view name,
                                                       std::string_view rev, int limit, int skip) const {
  ASSIGN_OR_RETURN(std::string sha, Resolve(owner, name, rev));
  if (limit <= 0) limit = 100;
  ASSIGN_OR_RETURN(CommandResult r,
                   Git(PathOf(owner, name), {"log", "-z", "--format=%H%x1f%an%x1f%ct%x1f%B", "-n",
                                             std::to_string(limit), "--skip=" + std::to_string(std::max(skip, 0)),
                                             sha, "--"}));
  if (!r.ok()) return Status::Internal("git log failed: " + std::string(Trim(r.stderr_data)));
  std::vector<CommitInfo> out;
  for (const std::string& rec : Split(r.stdout_data, '\0')) {
    std::vector<std::string> f = Split(rec, '\x1f');
    if (f.size() < 4) continue;
    CommitInfo c;
    c.sha = f[0];
    c.authors.push_back(f[1]);
    c.unix_millis = ParseInt(f[2]).value_or(0) * 1000;
    // The message may itself hold \x1f; put the rest back together.
    std::vector<std::string> rest(f.begin() + 3, f.end());
    c.message = std::string(Trim(Join(rest, "\x1f")));
    c.title = c.message.substr(0, c.message.find('\n'));
    out.push_back(std::move(c));
  }
  return out;
}

Status RepoStore::Export(std::string_view owner, std::string_view name, std::string_view sha,
                         const std::string& dest_dir) const {
  ASSIGN_OR_RETURN(std::string commit, Resolve(owner, name, sha));
  std::error_code ec;
  fs::create_directories(dest_dir, ec);
  if (ec) return Status::Internal("creating " + dest_dir + ": " + ec.message());
  CommandOptions o;
  o.argv = {"bash", "-c", "set -o pipefail; git --git-dir=\"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"",
            "export", PathOf(owner, name), commit, dest_dir};
  o.env["GIT_CONFIG_NOSYSTEM"] = "1";
  o.timeout = kGitTimeout;
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(o));
  if (!r.ok()) return Status::Internal("exporting " + commit + ": " + std::string(Trim(r.stderr_data)));
  return Status::Ok();
}

}  // namespace spaceport::repo
