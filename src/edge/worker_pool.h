// WorkerPool: threads for blocking local handlers (hub, static files).
//
// Grows on demand up to max_threads; extra tasks queue. Thread safety:
// Submit/Stop from any thread. Stop() lets queued tasks finish (tasks must
// end promptly once their sockets are shut down) and joins every thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace spaceport::edge {

class WorkerPool {
 public:
  explicit WorkerPool(int max_threads) : max_threads_(max_threads < 1 ? 1 : max_threads) {}
  ~WorkerPool() { Stop(); }
  // False once stopping (the caller then handles the task itself).
  bool Submit(std::function<void()> task);
  void Stop();

 private:
  void Run();

  const int max_threads_;
  Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_ SP_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ SP_GUARDED_BY(mu_);
  int idle_ SP_GUARDED_BY(mu_) = 0;
  bool stopping_ SP_GUARDED_BY(mu_) = false;
};

}  // namespace spaceport::edge
