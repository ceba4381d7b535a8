// EdgeMetrics: lock-free counters for the edge, rendered as Prometheus text.
// Thread safety: all methods may be called from any thread (relaxed atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "core/clock.h"

namespace spaceport::edge {

enum class RouteKind { kHub = 0, kAppProxy, kAppStatic, kEdge, kCount };

class EdgeMetrics {
 public:
  void RecordRequest(RouteKind kind, int status, int64_t duration_micros);
  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  // A connection answered and closed at once: past its address's cap, or out of descriptors.
  void ConnectionRefused(bool out_of_fds) { refused_[out_of_fds ? 1 : 0].fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused_connections(bool out_of_fds) const { return refused_[out_of_fds ? 1 : 0].load(std::memory_order_relaxed); }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }
  uint64_t requests(RouteKind kind, int status_class) const;
  void AppendTo(std::string* out) const;

 private:
  static constexpr size_t kKinds = static_cast<size_t>(RouteKind::kCount);
  static constexpr std::array<int64_t, 12> kBucketMicros = {500,    1000,   2500,    5000,    10000,   25000,
                                                            50000, 100000, 250000, 1000000, 2500000, 10000000};
  std::array<std::array<std::atomic<uint64_t>, 5>, kKinds> requests_{};
  std::array<std::atomic<uint64_t>, kBucketMicros.size() + 1> buckets_{};
  std::atomic<uint64_t> duration_sum_micros_{0};
  std::atomic<int64_t> open_connections_{0};
  std::array<std::atomic<uint64_t>, 2> refused_{};  // per client cap, out of descriptors
};

}  // namespace spaceport::edge
