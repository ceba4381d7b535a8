#include "runtime/scheduler.h"

namespace spaceport::runtime {

TaskId TaskQueue::Add(Millis delay, std::function<void()> task) {
  std::lock_guard lock(mu_);
  TaskId id = next_id_++;
  tasks_.emplace(std::make_pair(clock_->Now() + delay, id), std::move(task));
  return id;
}

void TaskQueue::Cancel(TaskId id) {
  std::lock_guard lock(mu_);
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
    if (it->first.second == id) {
      tasks_.erase(it);
      return;
    }
  }
}

std::function<void()> TaskQueue::PopDue() {
  std::lock_guard lock(mu_);
  if (tasks_.empty() || tasks_.begin()->first.first > clock_->Now()) return nullptr;
  std::function<void()> task = std::move(tasks_.begin()->second);
  tasks_.erase(tasks_.begin());
  return task;
}

Millis TaskQueue::UntilNext() const {
  std::lock_guard lock(mu_);
  if (tasks_.empty()) return Millis::max();
  auto left = std::chrono::duration_cast<Millis>(tasks_.begin()->first.first - clock_->Now());
  return left.count() < 0 ? Millis(0) : left;
}

size_t TaskQueue::size() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

ThreadScheduler::ThreadScheduler(const Clock* clock) : queue_(clock), thread_([this] { Loop(); }) {}

ThreadScheduler::~ThreadScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

TaskId ThreadScheduler::RunAfter(Millis delay, std::function<void()> task) {
  TaskId id = queue_.Add(delay, std::move(task));
  {
    std::lock_guard lock(mu_);  // pairs with the wait in Loop: no lost wake-up
  }
  cv_.notify_all();
  return id;
}

void ThreadScheduler::Cancel(TaskId id) { queue_.Cancel(id); }

void ThreadScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (auto task = queue_.PopDue()) {
      lock.unlock();
      task();
      lock.lock();
      continue;
    }
    Millis wait = queue_.UntilNext();
    // Bounded so that a clock that is not the steady clock is still honoured.
    constexpr Millis kMaxWait{60'000};
    cv_.wait_for(lock, std::min(wait, kMaxWait));
  }
}

int ManualScheduler::RunDue() {
  int ran = 0;
  while (auto task = queue_.PopDue()) {
    task();
    ++ran;
  }
  return ran;
}

}  // namespace spaceport::runtime
