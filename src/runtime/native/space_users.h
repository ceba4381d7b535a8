// SpaceUsers: the host uid each Space's sandbox runs as, and the ownership
// of the directories it may write.
//
// Every Space gets a uid (gid equal) from [base, base + count) while it has
// live instances; two versions of one Space (the old one draining while the
// new one starts) share it, so both can write /data. Files written by an app
// are owned by its uid on the host; a Space can neither read another's
// directories (0700-ish trees of another uid) nor write the system.
// The mapping is not persistent: after a restart a Space may get another uid
// and its trees are chowned again (cheap when already right, see GiveTree).
//
// Thread safety: SpaceUsers is internally locked. Failure: ResourceExhausted
// when the range is used up; GiveTree returns the failing path.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>

#include "core/status.h"

namespace spaceport::runtime::native {

class SpaceUsers {
 public:
  SpaceUsers(uid_t base, int count) : base_(base), count_(count) {}
  Result<uid_t> Acquire(const std::string& space_id);
  void Release(const std::string& space_id);
  // How many live instances hold the Space's uid (0 when none).
  int Holders(const std::string& space_id);

 private:
  struct Entry {
    uid_t uid;
    int refs;
  };
  const uid_t base_;
  const int count_;
  std::mutex mu_;
  std::map<std::string, Entry> by_space_;
};

// Makes `dir` (created when missing) and everything below it owned by
// uid:uid. Skips the walk when `dir` itself already is.
Status GiveTree(const std::string& dir, uid_t uid);

// bwrap runs as the sandbox uid and resolves bind sources itself, so every
// directory above `path` must be searchable by others (o+x). FailedPrecondition
// names the first one that is not.
Status CheckReachable(const std::string& path);

}  // namespace spaceport::runtime::native
