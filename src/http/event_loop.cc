#include "http/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spaceport::http {

Result<std::unique_ptr<EventLoop>> EventLoop::Create(const Clock* clock) {
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep.valid()) return Status::Internal(std::string("epoll_create1: ") + std::strerror(errno));
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return Status::Internal(std::string("eventfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake fd
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) {
    return Status::Internal(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(clock, std::move(ep), std::move(wake)));
}

EventLoop::EventLoop(const Clock* clock, UniqueFd epoll_fd, UniqueFd wake_fd)
    : clock_(clock), epoll_fd_(std::move(epoll_fd)), wake_fd_(std::move(wake_fd)) {}

EventLoop::~EventLoop() = default;

Status EventLoop::Add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Status::Internal(std::string("epoll_ctl add: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status EventLoop::Modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return Status::Internal(std::string("epoll_ctl mod: ") + std::strerror(errno));
  }
  return Status::Ok();
}

void EventLoop::Remove(int fd) { ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr); }

EventLoop::TimerId EventLoop::RunAfter(Millis delay, std::function<void()> fn) {
  TimerId id = next_timer_++;
  auto it = timers_.emplace(clock_->Now() + delay, id);
  timer_fns_.emplace(id, std::make_pair(it, std::move(fn)));
  return id;
}

void EventLoop::Cancel(TimerId id) {
  auto it = timer_fns_.find(id);
  if (it == timer_fns_.end()) return;
  timers_.erase(it->second.first);
  timer_fns_.erase(it);
}

void EventLoop::Post(std::function<void()> fn) {
  {
    std::lock_guard lock(post_mu_);
    posted_.push_back(std::move(fn));
    // One wake per batch: a queue that was not empty has a wake pending
    // (RunPosted drains the eventfd before it takes the queue).
    if (posted_.size() > 1) return;
  }
  uint64_t one = 1;
  ssize_t rc = ::write(wake_fd_.get(), &one, sizeof(one));
  (void)rc;
}

void EventLoop::Stop() {
  stop_ = true;
  Post([] {});
}

int EventLoop::NextWaitMillis() {
  if (!deferred_.empty()) return 0;
  if (timers_.empty()) return -1;
  auto left = std::chrono::duration_cast<Millis>(timers_.begin()->first - clock_->Now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left, kMaxWait.count()));
}

void EventLoop::RunDueTimers() {
  SteadyTime now = clock_->Now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    TimerId id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    auto node = timer_fns_.extract(id);
    if (!node.empty()) node.mapped().second();
  }
}

void EventLoop::RunPosted() {
  uint64_t count;
  while (::read(wake_fd_.get(), &count, sizeof(count)) > 0) {
  }
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(post_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::Run() {
  loop_thread_ = std::this_thread::get_id();
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!stop_) {
    int n = ::epoll_wait(epoll_fd_.get(), events, kMaxEvents, NextWaitMillis());
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
      if (handler == nullptr) {
        RunPosted();
      } else {
        handler->OnIo(events[i].events);
      }
    }
    RunDueTimers();
    while (!deferred_.empty()) {
      std::vector<std::function<void()>> batch;
      batch.swap(deferred_);
      for (auto& fn : batch) fn();
    }
  }
  // Run what was posted last (cleanup closures from Stop paths).
  RunPosted();
}

}  // namespace spaceport::http

namespace spaceport::http {

void EventLoop::RunPending() {
  RunPosted();
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(deferred_);
    for (auto& fn : batch) fn();
  }
}

}  // namespace spaceport::http
