// EventLoop: one epoll reactor per thread, with timers and cross-thread posts.
//
// Ownership: the loop does not own IoHandlers; whoever registers one must
// Remove() its fd before destroying it, and should destroy it through Defer()
// when inside a callback (other events of the same batch may still name it).
// Thread safety: Post() and Stop() may be called from any thread; everything
// else only from the loop thread (the one inside Run()).
// Timers use the injected Clock; the loop wakes at least every kMaxWait to
// re-read it, so a FakeClock advanced by a test fires timers promptly.
// Failure: Create() fails if epoll/eventfd cannot be created.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "http/socket.h"

namespace spaceport::http {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `events` is the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLERR, ...).
  virtual void OnIo(uint32_t events) = 0;
};

class EventLoop {
 public:
  using TimerId = uint64_t;
  static constexpr Millis kMaxWait{50};

  static Result<std::unique_ptr<EventLoop>> Create(const Clock* clock);
  ~EventLoop();

  Status Add(int fd, uint32_t events, IoHandler* handler);
  Status Modify(int fd, uint32_t events, IoHandler* handler);
  void Remove(int fd);

  TimerId RunAfter(Millis delay, std::function<void()> fn);
  void Cancel(TimerId id);
  // Runs fn on the loop thread after the current batch of events.
  void Defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }
  // Runs fn on the loop thread soon; safe from any thread.
  void Post(std::function<void()> fn);

  void Run();
  void Stop();
  // Runs posted and deferred work now; only when no thread is in Run()
  // (final cleanup after the loop thread was joined).
  void RunPending();
  bool InLoopThread() const { return std::this_thread::get_id() == loop_thread_.load(); }
  const Clock* clock() const { return clock_; }

 private:
  EventLoop(const Clock* clock, UniqueFd epoll_fd, UniqueFd wake_fd);
  int NextWaitMillis();
  void RunDueTimers();
  void RunPosted();

  const Clock* clock_;
  UniqueFd epoll_fd_;
  UniqueFd wake_fd_;
  std::atomic<bool> stop_{false};
  std::atomic<std::thread::id> loop_thread_{};
  TimerId next_timer_ = 1;
  std::multimap<SteadyTime, TimerId> timers_;
  std::unordered_map<TimerId, std::pair<std::multimap<SteadyTime, TimerId>::iterator, std::function<void()>>>
      timer_fns_;
  std::vector<std::function<void()>> deferred_;
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace spaceport::http
