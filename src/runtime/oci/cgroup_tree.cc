#include "runtime/oci/cgroup_tree.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "core/strings.h"

namespace spaceport::runtime::oci {
namespace {

std::set<std::string> Hierarchies() {
  std::set<std::string> roots;
  std::ifstream in("/proc/self/mounts");
  std::string dev, dir, type, opts, rest;
  while (in >> dev >> dir >> type >> opts && std::getline(in, rest)) {
    if (type == "cgroup" || type == "cgroup2") roots.insert(dir);
  }
  return roots;
}

// `path` and every group below it, in every hierarchy, deepest first.
std::vector<std::string> GroupDirs(const std::string& path) {
  std::vector<std::string> dirs;
  if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos) return dirs;
  for (const std::string& root : Hierarchies()) {
    const std::filesystem::path group = root + path;
    std::error_code ec;
    if (!std::filesystem::is_directory(group, ec)) continue;
    dirs.push_back(group.string());
    for (auto it = std::filesystem::recursive_directory_iterator(group, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec)) dirs.push_back(it->path().string());
    }
  }
  std::stable_sort(dirs.begin(), dirs.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return dirs;
}

}  // namespace

std::string OwnMemoryCgroupPath() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = Split(line, ':');
    if (f.size() < 3) continue;
    for (const std::string& controller : Split(f[1], ',')) {
      if (controller == "memory") return f[2] == "/" ? "" : f[2];
    }
  }
  return "";
}

bool KillCgroupTree(const std::string& path, Millis timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int found = 0;
    for (const std::string& dir : GroupDirs(path)) {
      std::ifstream procs(dir + "/cgroup.procs");
      pid_t pid;
      while (procs >> pid) {
        ++found;
        kill(pid, SIGKILL);
      }
    }
    if (found == 0) return true;
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void RemoveCgroupTree(const std::string& path) {
  for (const std::string& dir : GroupDirs(path)) rmdir(dir.c_str());
}

}  // namespace spaceport::runtime::oci
