#include "runtime/oci/engine.h"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "core/subprocess.h"

namespace spaceport::runtime::oci {
namespace {

constexpr Millis kProbeTimeout{20 * 1000};

bool OnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
  const char* path = getenv("PATH");
  for (const std::string& dir : Split(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  for (const char* dir : {"/usr/sbin", "/sbin"}) {
    if (access((std::string(dir) + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// True when cgroup v1 controllers and a cgroup2 mount are both present.
bool HybridCgroups() {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  bool v1 = false, v2 = false;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string dev, dir, type;
    fields >> dev >> dir >> type;
    if (type == "cgroup2") v2 = true;
    if (type == "cgroup") v1 = true;
  }
  return v1 && v2;
}

}  // namespace

std::vector<std::string> OciEngine::Command(std::vector<std::string> args) const {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), global.begin(), global.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<OciEngine> ProbeOciEngine(const OciEngineOptions& options) {
  if (!OnPath(options.binary)) {
    return Status::FailedPrecondition(options.binary + " not found (apt-get install podman)");
  }
  OciEngine engine;
  engine.binary = options.binary;
  std::string runtime = options.runtime;
  if (runtime == "auto" && HybridCgroups() && OnPath("runc")) runtime = "runc";
  // Containers and build steps are placed below cgroup paths of ours
  // (--cgroup-parent), which only the cgroupfs manager takes as they are.
  engine.global = {"--cgroup-manager", "cgroupfs"};
  if (!runtime.empty() && runtime != "auto") engine.global.insert(engine.global.end(), {"--runtime", runtime});
  CommandOptions o;
  o.argv = engine.Command({"info", "--format", "{{.Host.OCIRuntime.Name}}"});
  o.timeout = kProbeTimeout;
  o.merge_stderr = true;
  Result<CommandResult> r = RunCommand(o);
  if (!r.ok()) return Status::FailedPrecondition(options.binary + " info: " + r.status().message());
  if (!r->ok()) {
    return Status::FailedPrecondition(options.binary + " info failed: " + std::string(Trim(r->stdout_data)));
  }
  engine.runtime_name = std::string(Trim(r->stdout_data));
  return engine;
}

std::string ImageRepository(const std::string& space_id) {
  // Each of owner and name becomes one path component: lower case, runs of
  // separators kept apart by alphanumerics as a reference requires.
  std::string repo = "spaceport";
  for (const std::string& part : Split(ToLower(space_id), '/')) {
    std::string component;
    for (char c : part) {
      bool alnum = isalnum(static_cast<unsigned char>(c)) != 0;
      if (!alnum && (component.empty() || !isalnum(static_cast<unsigned char>(component.back())))) continue;
      component += alnum || c == '.' || c == '_' ? c : '-';
    }
    while (!component.empty() && !isalnum(static_cast<unsigned char>(component.back()))) component.pop_back();
    repo += "/" + (component.empty() ? std::string("x") : component);
  }
  // Names that differ only in case or punctuation stay apart.
  return repo + "-" + Sha256Hex(space_id).substr(0, 8);
}

}  // namespace spaceport::runtime::oci
