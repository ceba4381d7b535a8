// ThreadSet: owns short-lived helper threads (health checks, background stops)
// so that none outlives its owner: JoinAll waits for every one of them.
//
// Thread safety: Spawn and JoinAll may be called from any thread, including
// from a thread of the set (JoinAll then skips the caller). Finished threads
// are joined lazily by the next Spawn. Failure: none.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace spaceport::runtime {

class ThreadSet {
 public:
  ThreadSet() = default;
  ~ThreadSet() { JoinAll(); }
  ThreadSet(const ThreadSet&) = delete;
  ThreadSet& operator=(const ThreadSet&) = delete;

  void Spawn(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if ((*it)->done.load()) {
        (*it)->thread.join();
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    auto entry = std::make_shared<Entry>();
    entry->thread = std::thread([entry, fn = std::move(fn)] {
      fn();
      entry->done.store(true);
    });
    entries_.push_back(std::move(entry));
  }

  void JoinAll() {
    while (true) {
      std::list<std::shared_ptr<Entry>> taken;
      {
        std::lock_guard lock(mu_);
        taken.swap(entries_);
      }
      if (taken.empty()) return;
      for (auto& e : taken) {
        if (e->thread.get_id() == std::this_thread::get_id()) {
          e->thread.detach();
        } else if (e->thread.joinable()) {
          e->thread.join();
        }
      }
    }
  }

 private:
  struct Entry {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::mutex mu_;
  std::list<std::shared_ptr<Entry>> entries_;
};

}  // namespace spaceport::runtime
