#include "hub/api/file_lists.h"

namespace spaceport::hub {
namespace {

size_t BytesOf(const std::vector<std::string>& paths) {
  size_t n = 64;
  for (const std::string& p : paths) n += p.size() + sizeof(std::string);
  return n;
}

}  // namespace

Result<FileLists::List> FileLists::Get(const std::string& owner, const std::string& name, const std::string& sha) {
  {
    MutexLock lock(mu_);
    auto it = lists_.find(sha);
    if (it != lists_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::vector<repo::TreeEntry> tree, repos_->ListTree(owner, name, sha, "", true));
  auto paths = std::make_shared<std::vector<std::string>>();
  for (repo::TreeEntry& e : tree) {
    if (e.type == "file") paths->push_back(std::move(e.path));
  }
  List list = paths;
  // Only a full commit id names one tree for good.
  if (sha.size() != 40 && sha.size() != 64) return list;
  size_t bytes = BytesOf(*paths);
  if (bytes > kMaxBytes / 4) return list;  // one huge tree may not push out all others
  MutexLock lock(mu_);
  if (!lists_.emplace(sha, list).second) return list;
  order_.push_back(sha);
  bytes_ += bytes;
  while (order_.size() > kMaxEntries || bytes_ > kMaxBytes) {
    auto old = lists_.find(order_.front());
    bytes_ -= BytesOf(*old->second);
    lists_.erase(old);
    order_.pop_front();
  }
  return list;
}

size_t FileLists::size() {
  MutexLock lock(mu_);
  return lists_.size();
}

}  // namespace spaceport::hub
