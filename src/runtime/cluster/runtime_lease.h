// RuntimeLease: which node of several on one PostgreSQL store runs the apps
// (and the other singleton work: builds, sleep timers, probes, renewals).
//
// Each node tries every second to take or renew the lease "runtime"
// (store/cluster.h) for `ttl`; the one holding it is the runtime node, the
// others are front nodes whose edges forward app requests to its advertised
// address. When the runtime node dies, its lease runs out and another node
// takes it within ttl + 1 s. A node that finds the lease taken from it (it
// stalled past ttl) is told so and must stop running apps: another node
// runs them now. While it holds the lease, the node's writes to the tables of
// singleton work are fenced by the lease's epoch (store::WriteFence), so a
// node that stalled cannot write over its successor's work before it learns
// that it lost the lease (options.fence).
//
// Callbacks run on the lease's own thread, one at a time: on_holder(lease)
// whenever the holder or its address changes (self included), on_lost when
// this node held it and lost it.
// Thread safety: Start/Stop once each; the accessors from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "store/cluster.h"

namespace spaceport::runtime {

struct RuntimeLeaseOptions {
  std::string node;     // this node's id (--node-id)
  std::string address;  // where other nodes reach this node's edge (--advertise)
  Millis ttl{5000};
  Millis renew_every{1000};
  // Set to the lease's epoch whenever this node holds it (borrowed; the
  // stores the node writes through were opened with it). Null: no fencing.
  store::WriteFence* fence = nullptr;
};

class RuntimeLease {
 public:
  RuntimeLease(store::LeaseStore* leases, const Clock* clock, RuntimeLeaseOptions options);
  ~RuntimeLease();

  // Tries once at once (so a lone node holds the lease when Start returns),
  // then every renew_every on a thread of its own.
  void Start(std::function<void(const store::Lease&)> on_holder, std::function<void()> on_lost);
  // Stops renewing and gives the lease up (a clean shutdown hands it over at once).
  void Stop();

  bool held() const { return held_.load(); }
  store::Lease current() const;

 private:
  void Tick();

  store::LeaseStore* const leases_;
  const Clock* const clock_;
  const RuntimeLeaseOptions options_;
  std::function<void(const store::Lease&)> on_holder_;
  std::function<void()> on_lost_;
  std::atomic<bool> held_{false};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  store::Lease current_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace spaceport::runtime
