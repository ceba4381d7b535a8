#include "core/disk_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <utility>
#include <vector>

namespace spaceport {
namespace {

constexpr int kMaxDepth = 256;

struct Walk {
  dev_t dev = 0;
  int64_t bytes = 0;
  std::set<std::pair<dev_t, ino_t>> linked;  // inodes with more than one name, counted once

  void Count(const struct stat& st) {
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !linked.emplace(st.st_dev, st.st_ino).second) return;
    bytes += static_cast<int64_t>(st.st_blocks) * 512;
  }

  // Takes ownership of `fd`, a directory already counted.
  void Dir(int fd, int depth) {
    DIR* d = fdopendir(fd);
    if (d == nullptr) {
      close(fd);
      return;
    }
    std::vector<std::string> subdirs;
    while (dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      struct stat st;
      if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      if (st.st_dev != dev) continue;  // a mount point: another filesystem's
      Count(st);
      if (S_ISDIR(st.st_mode)) subdirs.emplace_back(e->d_name);
    }
    // Subdirectories after the listing, so at most one stream per level is open.
    const int parent = dirfd(d);
    for (const std::string& name : subdirs) {
      if (depth >= kMaxDepth) break;
      int sub = openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) Dir(sub, depth + 1);
    }
    closedir(d);
  }
};

}  // namespace

int64_t DiskBytesBelow(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return 0;
  }
  Walk walk;
  walk.dev = st.st_dev;
  walk.Count(st);
  walk.Dir(fd, 0);
  return walk.bytes;
}

}  // namespace spaceport
