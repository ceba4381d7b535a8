// Mutex and MutexLock: std::mutex and a scoped lock, annotated for clang's
// thread safety analysis (core/thread_annotations.h). Use them for state
// that several threads share: mark the state SP_GUARDED_BY(mu_) and the
// helpers that expect the lock SP_REQUIRES(mu_).
//
// Waiting on a condition: MutexLock::Wait* take the predicate, which runs
// with the lock held; give the lambda SP_REQUIRES(mu_) so the analysis knows:
//   MutexLock lock(mu_);
//   lock.Wait(cv_, [&]() SP_REQUIRES(mu_) { return !queue_.empty(); });
// Thread safety: as std::mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/thread_annotations.h"

namespace spaceport {

class SP_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() SP_ACQUIRE() { mu_.lock(); }
  void Unlock() SP_RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

class SP_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) SP_ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() SP_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Blocks on `cv` until `ready()` holds; the lock is released while waiting.
  template <typename Pred>
  void Wait(std::condition_variable& cv, Pred ready) {
    cv.wait(lock_, ready);
  }
  // As Wait, giving up at `deadline`; returns ready().
  template <typename Clock, typename Duration, typename Pred>
  bool WaitUntil(std::condition_variable& cv, std::chrono::time_point<Clock, Duration> deadline, Pred ready) {
    return cv.wait_until(lock_, deadline, ready);
  }
  template <typename Rep, typename Period, typename Pred>
  bool WaitFor(std::condition_variable& cv, std::chrono::duration<Rep, Period> timeout, Pred ready) {
    return cv.wait_for(lock_, timeout, ready);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace spaceport
