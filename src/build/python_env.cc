#include "build/python_env.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "build/fs_util.h"
#include "core/strings.h"
#include "core/subprocess.h"

namespace spaceport::build::internal {
namespace {

constexpr char kReadyMarker[] = ".spaceport-ready";

// An exclusive flock held for the object's lifetime.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // closing releases the lock
  }
  Status Acquire(const std::string& path, const LogFn& log) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::Internal("opening " + path + ": " + strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return Status::Ok();
    log("==> Waiting for another build of the same Python environment\n");
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return Status::Internal("locking " + path + ": " + strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

std::string NormalizeName(std::string_view name) {
  std::string out = ToLower(name);
  for (char& c : out) {
    if (c == '_' || c == '.') c = '-';
  }
  return out;
}

BuildStep Step(std::vector<std::string> argv, const VenvRequest& r, const std::string& tmp, const std::string& seen) {
  BuildStep step;
  step.argv = std::move(argv);
  step.cwd = r.app_dir;
  step.env["PIP_NO_INPUT"] = "1";
  step.env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
  step.env["PYTHONUNBUFFERED"] = "1";
  step.env["PIP_CACHE_DIR"] = "/tmp/pip-cache";  // the step's own; gone with it
  // pip may build local packages in place, so the app tree is writable too.
  step.writable = {{tmp, seen}, {r.app_dir, r.app_dir}};
  step.measured = {tmp, r.app_dir};  // the environment counts against the build's disk
  if (!r.pip_find_links.empty() && r.pip_find_links.find("://") == std::string::npos) {
    step.read_only.push_back(r.pip_find_links);
  }
  // A wheelhouse alone needs no network; an index (the default one included) does.
  step.network = !r.pip_index_url.empty() || r.pip_find_links.empty() ||
                 r.pip_find_links.find("://") != std::string::npos;
  return step;
}

std::vector<std::string> PipInstall(const std::string& venv_python, const VenvRequest& r) {
  std::vector<std::string> argv = {venv_python, "-m", "pip", "install", "--disable-pip-version-check",
                                   "--no-input"};
  if (!r.use_cache) argv.push_back("--no-cache-dir");  // factory rebuild: fetch every package afresh
  if (!r.pip_index_url.empty()) {
    argv.insert(argv.end(), {"--index-url", r.pip_index_url});
  } else if (!r.pip_find_links.empty()) {
    argv.push_back("--no-index");
  }
  if (!r.pip_find_links.empty()) argv.insert(argv.end(), {"--find-links", r.pip_find_links});
  return argv;
}

// Creates the venv in `tmp` and installs everything into it. Sandboxed,
// the steps see `tmp` at `seen` (the final path); else seen == tmp.
Status BuildVenvAt(const std::string& tmp, const std::string& seen, const VenvRequest& r, const RunStepFn& run) {
  RETURN_IF_ERROR(MakeDirs(tmp));
  RETURN_IF_ERROR(run("creating the Python environment", Step({r.python, "-m", "venv", seen}, r, tmp, seen)));
  const std::string py = seen + "/bin/python";
  if (r.has_pre_requirements) {
    std::vector<std::string> argv = PipInstall(py, r);
    argv.insert(argv.end(), {"-r", r.app_dir + "/pre-requirements.txt"});
    RETURN_IF_ERROR(run("pip install -r pre-requirements.txt", Step(argv, r, tmp, seen)));
  }
  std::vector<std::string> argv = PipInstall(py, r);
  size_t base = argv.size();
  if (r.has_requirements) argv.insert(argv.end(), {"-r", r.app_dir + "/requirements.txt"});
  if (!r.extra_requirement.empty()) argv.push_back(r.extra_requirement);
  if (argv.size() > base) RETURN_IF_ERROR(run("pip install", Step(argv, r, tmp, seen)));
  return Status::Ok();
}

void RemoveStaleTemps(const std::string& venvs, const std::string& hash) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(venvs, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (StartsWith(name, ".tmp-" + hash) || StartsWith(name, ".old-" + hash)) RemoveTree(it->path().string());
  }
}

// Moves a finished venv from tmp to final, replacing an older one if any.
// Built sandboxed, it is first sealed: root's, writable by nobody else.
Status Publish(const std::string& tmp, const std::string& final_dir, const std::string& old, bool sandboxed) {
  if (sandboxed) {
    RETURN_IF_ERROR(SealTree(tmp));
  } else {
    ReplaceInTextFiles(tmp + "/bin", tmp, final_dir);
    ReplaceInTextFiles(tmp, tmp, final_dir);  // pyvenv.cfg
  }
  RETURN_IF_ERROR(WriteFile(tmp + "/" + kReadyMarker, "ok\n"));
  bool replacing = PathExists(final_dir);
  if (replacing && rename(final_dir.c_str(), old.c_str()) != 0) {
    return Status::Internal("moving the old Python environment aside: " + std::string(strerror(errno)));
  }
  if (rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return Status::Internal("publishing the Python environment: " + std::string(strerror(errno)));
  }
  if (replacing) RemoveTree(old);
  return Status::Ok();
}

}  // namespace

std::string VenvHash(const VenvRequest& r) {
  std::string key = "python " + r.python + " " + r.python_version + "\n";
  if (RequirementsNameLocalCode(r.pre_requirements) || RequirementsNameLocalCode(r.requirements)) {
    key += "space " + r.space_id + "\n";
  }
  key += "pre-requirements.txt " + std::to_string(r.has_pre_requirements) + "\n" + r.pre_requirements + "\n";
  key += "requirements.txt " + std::to_string(r.has_requirements) + "\n" + r.requirements + "\n";
  key += "extra " + r.extra_requirement + "\n";
  return Sha256Hex(key);
}

bool RequirementsMention(std::string_view requirements, std::string_view package) {
  const std::string want = NormalizeName(package);
  for (const std::string& raw : Split(requirements, '\n')) {
    std::string_view line = Trim(raw);
    size_t end = 0;
    while (end < line.size() && (isalnum(static_cast<unsigned char>(line[end])) || line[end] == '-' ||
                                 line[end] == '_' || line[end] == '.')) {
      ++end;
    }
    if (end > 0 && NormalizeName(line.substr(0, end)) == want) return true;
  }
  return false;
}

bool RequirementsNameLocalCode(std::string_view requirements) {
  for (const std::string& raw : Split(requirements, '\n')) {
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '.' || line[0] == '/' || line[0] == '~' || line[0] == '-') return true;  // paths, -e, -r, -f...
    if (line.find("://") != std::string_view::npos || line.find('@') != std::string_view::npos) return true;
    if (line.find('/') != std::string_view::npos) return true;  // a relative path such as pkgs/probe
  }
  return false;
}

Result<Venv> EnsureVenv(const VenvRequest& r, const RunStepFn& run, const LogFn& log) {
  Venv venv;
  venv.hash = VenvHash(r);
  const std::string venvs = r.cache_dir + "/venvs";
  RETURN_IF_ERROR(MakeDirs(venvs));
  venv.dir = venvs + "/" + venv.hash;
  venv.python = venv.dir + "/bin/python";
  const std::string short_hash = venv.hash.substr(0, 6);

  FileLock lock;
  RETURN_IF_ERROR(lock.Acquire(venvs + "/" + venv.hash + ".lock", log));
  if (r.use_cache && PathExists(venv.dir + "/" + kReadyMarker)) {
    log("==> Installing Python dependencies (cached venv " + short_hash + ")\n");
    venv.cached = true;
    return venv;
  }
  log("==> Installing Python dependencies (new venv " + short_hash + (r.use_cache ? "" : ", no caches") + ")\n");
  RemoveStaleTemps(venvs, venv.hash);
  const std::string suffix = venv.hash + "-" + RandomHex(4);
  const std::string tmp = venvs + "/.tmp-" + suffix;
  Status st = BuildVenvAt(tmp, r.sandboxed ? venv.dir : tmp, r, run);
  if (st.ok()) st = Publish(tmp, venv.dir, venvs + "/.old-" + suffix, r.sandboxed);
  if (!st.ok()) {
    RemoveTree(tmp);
    return st;
  }
  return venv;
}

}  // namespace spaceport::build::internal
