#include "runtime/native/space_users.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

namespace spaceport::runtime::native {

Result<uid_t> SpaceUsers::Acquire(const std::string& space_id) {
  std::lock_guard lock(mu_);
  auto it = by_space_.find(space_id);
  if (it != by_space_.end()) {
    ++it->second.refs;
    return it->second.uid;
  }
  std::set<uid_t> used;
  for (const auto& [id, e] : by_space_) used.insert(e.uid);
  for (int i = 0; i < count_; ++i) {
    uid_t uid = base_ + static_cast<uid_t>(i);
    if (used.count(uid) == 0) {
      by_space_[space_id] = {uid, 1};
      return uid;
    }
  }
  return Status::ResourceExhausted("no free sandbox uid left in the configured range");
}

int SpaceUsers::Holders(const std::string& space_id) {
  std::lock_guard lock(mu_);
  auto it = by_space_.find(space_id);
  return it == by_space_.end() ? 0 : it->second.refs;
}

void SpaceUsers::Release(const std::string& space_id) {
  std::lock_guard lock(mu_);
  auto it = by_space_.find(space_id);
  if (it != by_space_.end() && --it->second.refs <= 0) by_space_.erase(it);
}

Status GiveTree(const std::string& dir, uid_t uid) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create " + dir + ": " + ec.message());
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return Status::NotFound("missing directory " + dir);
  if (st.st_uid == uid && st.st_gid == uid) return Status::Ok();
  std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (lchown(it->path().c_str(), uid, uid) != 0) {
      return Status::Internal("cannot chown " + it->path().string() + ": " + strerror(errno));
    }
  }
  if (ec) return Status::Internal("cannot walk " + dir + ": " + ec.message());
  if (lchown(dir.c_str(), uid, uid) != 0) return Status::Internal("cannot chown " + dir + ": " + strerror(errno));
  return Status::Ok();
}

Status CheckReachable(const std::string& path) {
  std::error_code ec;
  std::filesystem::path full = std::filesystem::weakly_canonical(path, ec);
  if (ec) return Status::NotFound("cannot resolve " + path + ": " + ec.message());
  for (std::filesystem::path dir = full.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0) return Status::NotFound("missing directory " + dir.string());
    if ((st.st_mode & S_IXOTH) == 0) {
      return Status::FailedPrecondition("sandboxed apps cannot reach " + path + ": " + dir.string() +
                                        " is not searchable by other users (chmod o+x)");
    }
    if (dir == dir.parent_path()) break;
  }
  return Status::Ok();
}

}  // namespace spaceport::runtime::native
