// Scheduler: runs small tasks after a delay measured by the injected Clock.
//
// The supervisor uses it for crash-restart backoff and for the drain delay
// before an old instance is stopped. ThreadScheduler runs tasks on a thread of
// its own; ManualScheduler runs them only when told (tests advance a FakeClock
// and call RunDue), so backoff is tested without sleeping.
//
// Thread safety: all methods are safe from any thread. Tasks run one at a time
// and must not block for long; a task may schedule or cancel other tasks.
// Failure: none; a cancelled or never-due task simply does not run. Tasks still
// pending when a scheduler is destroyed are dropped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "core/clock.h"

namespace spaceport::runtime {

using TaskId = uint64_t;  // never 0

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual TaskId RunAfter(Millis delay, std::function<void()> task) = 0;
  // Ok to call for tasks that already ran.
  virtual void Cancel(TaskId id) = 0;
};

// The task queue shared by both schedulers.
class TaskQueue {
 public:
  explicit TaskQueue(const Clock* clock) : clock_(clock) {}
  TaskId Add(Millis delay, std::function<void()> task);
  void Cancel(TaskId id);
  // Removes and returns the earliest task due at Clock::Now(), if any.
  std::function<void()> PopDue();
  // Time until the earliest task, or nullopt-like Millis::max() when empty.
  Millis UntilNext() const;
  size_t size() const;

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  TaskId next_id_ = 1;
  std::map<std::pair<SteadyTime, TaskId>, std::function<void()>> tasks_;
};

class ThreadScheduler : public Scheduler {
 public:
  explicit ThreadScheduler(const Clock* clock);
  ~ThreadScheduler() override;  // stops the thread; pending tasks are dropped
  TaskId RunAfter(Millis delay, std::function<void()> task) override;
  void Cancel(TaskId id) override;

 private:
  void Loop();
  TaskQueue queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

class ManualScheduler : public Scheduler {
 public:
  explicit ManualScheduler(const Clock* clock) : queue_(clock) {}
  TaskId RunAfter(Millis delay, std::function<void()> task) override { return queue_.Add(delay, std::move(task)); }
  void Cancel(TaskId id) override { queue_.Cancel(id); }
  // Runs every task due at the clock's current time; returns how many ran.
  int RunDue();
  size_t pending() const { return queue_.size(); }

 private:
  TaskQueue queue_;
};

}  // namespace spaceport::runtime
