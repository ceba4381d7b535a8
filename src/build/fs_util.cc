#include "build/fs_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spaceport::build::internal {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxRewriteBytes = 1 << 20;

std::optional<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

}  // namespace

Result<std::optional<std::string>> ReadTreeFile(const std::string& root, const std::string& rel,
                                                size_t max_bytes) {
  std::string path = root + "/" + rel;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    if (errno == ELOOP) return Status::InvalidArgument(rel + " is a symbolic link; it must be a regular file");
    return Status::Internal("reading " + rel + ": " + strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::InvalidArgument(rel + " is not a regular file");
  }
  std::string data;
  char buf[65536];
  while (data.size() < max_bytes) {
    ssize_t n = read(fd, buf, std::min(sizeof buf, max_bytes - data.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return std::optional<std::string>(std::move(data));
}

bool IsFileInTree(const std::string& root, const std::string& rel) {
  std::optional<std::string> real_root = RealPath(root);
  std::optional<std::string> real = RealPath(root + "/" + rel);
  if (!real_root || !real || real->rfind(*real_root + "/", 0) != 0) return false;
  struct stat st {};
  return stat(real->c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::Internal("creating " + path + ": " + ec.message());
  return Status::Ok();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out) return Status::Internal("writing " + path + " failed");
  return Status::Ok();
}

namespace {

Status SealOne(const std::filesystem::path& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return Status::Internal("cannot stat " + path.string() + ": " + strerror(errno));
  if (lchown(path.c_str(), 0, 0) != 0) return Status::Internal("cannot chown " + path.string() + ": " + strerror(errno));
  if (S_ISLNK(st.st_mode)) return Status::Ok();
  mode_t mode = st.st_mode & 0755;
  if ((st.st_mode & 07777) != mode && fchmodat(AT_FDCWD, path.c_str(), mode, 0) != 0) {
    return Status::Internal("cannot chmod " + path.string() + ": " + strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status SealTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) RETURN_IF_ERROR(SealOne(it->path()));
  if (ec) return Status::Internal("cannot walk " + dir + ": " + ec.message());
  return SealOne(dir);
}

void ReplaceInTextFiles(const std::string& dir, const std::string& from, const std::string& to) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec) || it->file_size(ec) > kMaxRewriteBytes) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.find('\0') != std::string::npos || text.find(from) == std::string::npos) continue;
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
      text.replace(pos, from.size(), to);
    }
    auto perms = it->status(ec).permissions();
    if (WriteFile(it->path().string(), text).ok()) fs::permissions(it->path(), perms, ec);
  }
}

}  // namespace spaceport::build::internal
