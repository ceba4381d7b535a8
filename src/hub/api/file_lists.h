// FileLists: the files of a commit (the HF "siblings" of a Space), kept in
// memory by commit id, so that `GET /api/spaces?full=true` and the Space
// info pages run git once per commit rather than once per Space per call.
// A commit id names its tree for good, in every repository (a duplicate
// shares its source's entries), so entries never go stale; the oldest are
// dropped past kMaxEntries commits or kMaxBytes of paths.
// Thread safety: every method may be called from any thread; git runs
// outside the lock (two callers may both list a new commit once).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "repo/repo_store.h"

namespace spaceport::hub {

class FileLists {
 public:
  static constexpr size_t kMaxEntries = 4096;
  static constexpr size_t kMaxBytes = 16u << 20;
  using List = std::shared_ptr<const std::vector<std::string>>;

  explicit FileLists(const repo::RepoStore* repos) : repos_(repos) {}
  // The file paths of commit `sha` (a full commit id) of the Space's repo.
  Result<List> Get(const std::string& owner, const std::string& name, const std::string& sha);
  size_t size();

 private:
  const repo::RepoStore* repos_;
  Mutex mu_;
  std::unordered_map<std::string, List> lists_ SP_GUARDED_BY(mu_);
  std::deque<std::string> order_ SP_GUARDED_BY(mu_);  // oldest first
  size_t bytes_ SP_GUARDED_BY(mu_) = 0;
};

}  // namespace spaceport::hub
