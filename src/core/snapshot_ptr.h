#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace spaceport {

// An immutable snapshot that readers load and a writer replaces whole
// (copy-on-write tables read on the edge's hot path). The lock is held only
// to copy or swap the pointer, never while a snapshot is built or used, and
// the replaced snapshot is released outside it.
//
// Not std::atomic<std::shared_ptr>: libstdc++ 12 implements it with a lock
// bit that a load releases with a relaxed store, which leaves the pointer
// read unordered against the next writer (the thread sanitizer reports it).
template <typename T>
class SnapshotPtr {
 public:
  explicit SnapshotPtr(std::shared_ptr<const T> initial) : ptr_(std::move(initial)) {}
  SnapshotPtr(const SnapshotPtr&) = delete;
  SnapshotPtr& operator=(const SnapshotPtr&) = delete;

  std::shared_ptr<const T> Load() const {
    std::lock_guard lock(mu_);
    return ptr_;
  }

  void Store(std::shared_ptr<const T> next) {
    {
      std::lock_guard lock(mu_);
      ptr_.swap(next);
    }
    // `next` now holds the old snapshot; it is released here, unlocked.
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> ptr_;
};

}  // namespace spaceport
