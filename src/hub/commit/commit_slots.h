// CommitSlots: how many API commits one user has in progress at once. A
// commit in progress holds up to about 17 MB of memory and 256 MB of disk
// (commit_stream.h); kPerUser of them bound what one account can tie up,
// and a further one is refused with ResourceExhausted (429) until one ends.
// Thread safety: every method may be called from any thread.
#pragma once

#include <map>
#include <string>

#include "core/mutex.h"
#include "core/status.h"

namespace spaceport::hub {

class CommitSlots {
 public:
  static constexpr int kPerUser = 4;

  // Held while a commit is read and made; gives the slot back when it goes.
  class Slot {
   public:
    Slot(CommitSlots* owner, std::string user) : owner_(owner), user_(std::move(user)) {}
    Slot(Slot&& other) noexcept : owner_(other.owner_), user_(std::move(other.user_)) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_ != nullptr) owner_->Release(user_);
    }

   private:
    CommitSlots* owner_;
    std::string user_;
  };

  Result<Slot> Take(const std::string& user) {
    MutexLock lock(mu_);
    int& n = in_progress_[user];
    if (n >= kPerUser) {
      return Status::ResourceExhausted(std::to_string(kPerUser) +
                                       " commits of yours are still in progress; try again when one has ended");
    }
    ++n;
    return Slot(this, user);
  }

 private:
  void Release(const std::string& user) {
    MutexLock lock(mu_);
    auto it = in_progress_.find(user);
    if (it != in_progress_.end() && --it->second <= 0) in_progress_.erase(it);
  }

  Mutex mu_;
  std::map<std::string, int> in_progress_ SP_GUARDED_BY(mu_);
};

}  // namespace spaceport::hub
