// LoopContext: what one event-loop thread of the edge shares with its
// connections. Owned by EdgeServer; loop-thread only except where noted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "edge/edge_server.h"
#include "edge/filter.h"
#include "edge/admission.h"
#include "edge/metrics.h"
#include "edge/upstream_pool.h"
#include "edge/worker_pool.h"
#include "http/event_loop.h"

namespace spaceport::edge {

class ClientConnection;

// Posts to a loop from threads that may outlive it (the ledger's writer
// answering a charge): after Detach (the server stopping) posts are dropped.
// Thread safety: any thread.
class LoopHandle {
 public:
  explicit LoopHandle(http::EventLoop* loop) : loop_(loop) {}
  void Post(std::function<void()> task) {
    MutexLock lock(mu_);
    if (loop_ != nullptr) loop_->Post(std::move(task));
  }
  void Detach() {
    MutexLock lock(mu_);
    loop_ = nullptr;
  }

 private:
  Mutex mu_;
  http::EventLoop* loop_ SP_GUARDED_BY(mu_);
};

struct LoopContext {
  http::EventLoop* loop = nullptr;
  std::shared_ptr<LoopHandle> handle;  // `loop` for threads that may outlive it
  const EdgeOptions* options = nullptr;
  const Clock* clock = nullptr;
  EdgeMetrics* metrics = nullptr;
  const std::vector<std::unique_ptr<Filter>>* filters = nullptr;
  http::Handler* hub = nullptr;
  WorkerPool* workers = nullptr;
  std::unique_ptr<UpstreamPool> pool;
  ClientCounts* clients = nullptr;        // connections per address, shared by the loops (admission.h)
  ClientCounts* local_clients = nullptr;  // requests on workers per address
  // Live connections by id; posts from other threads look them up here, so a
  // connection closed meanwhile is simply not found.
  std::unordered_map<uint64_t, ClientConnection*> connections;
  uint64_t next_id = 1;
};

}  // namespace spaceport::edge
