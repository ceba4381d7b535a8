#include "edge/metrics.h"

namespace spaceport::edge {
namespace {
constexpr const char* kKindNames[] = {"hub", "app_proxy", "app_static", "edge"};
}

void EdgeMetrics::RecordRequest(RouteKind kind, int status, int64_t duration_micros) {
  int cls = status / 100;
  if (cls < 1 || cls > 5) cls = 5;
  requests_[static_cast<size_t>(kind)][cls - 1].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBucketMicros.size() && duration_micros > kBucketMicros[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  duration_sum_micros_.fetch_add(duration_micros < 0 ? 0 : duration_micros, std::memory_order_relaxed);
}

uint64_t EdgeMetrics::requests(RouteKind kind, int status_class) const {
  return requests_[static_cast<size_t>(kind)][status_class - 1].load(std::memory_order_relaxed);
}

void EdgeMetrics::AppendTo(std::string* out) const {
  out->append("# HELP spaceport_edge_requests_total Requests answered by the edge.\n");
  out->append("# TYPE spaceport_edge_requests_total counter\n");
  for (size_t k = 0; k < kKinds; ++k) {
    for (int c = 1; c <= 5; ++c) {
      out->append("spaceport_edge_requests_total{route=\"").append(kKindNames[k]);
      out->append("\",code=\"").append(std::to_string(c)).append("xx\"} ");
      out->append(std::to_string(requests_[k][c - 1].load(std::memory_order_relaxed))).append("\n");
    }
  }
  out->append("# HELP spaceport_edge_request_duration_seconds Time from request head to response end.\n");
  out->append("# TYPE spaceport_edge_request_duration_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kBucketMicros.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    std::string le = b < kBucketMicros.size() ? std::to_string(kBucketMicros[b] / 1e6) : "+Inf";
    out->append("spaceport_edge_request_duration_seconds_bucket{le=\"").append(le).append("\"} ");
    out->append(std::to_string(cumulative)).append("\n");
  }
  out->append("spaceport_edge_request_duration_seconds_sum ");
  out->append(std::to_string(duration_sum_micros_.load(std::memory_order_relaxed) / 1e6)).append("\n");
  out->append("spaceport_edge_request_duration_seconds_count ").append(std::to_string(cumulative)).append("\n");
  out->append("# HELP spaceport_edge_open_connections Client connections open now.\n");
  out->append("# TYPE spaceport_edge_open_connections gauge\n");
  out->append("spaceport_edge_open_connections ").append(std::to_string(open_connections())).append("\n");
  out->append("# HELP spaceport_edge_refused_connections_total Connections answered and closed at once.\n");
  out->append("# TYPE spaceport_edge_refused_connections_total counter\n");
  out->append("spaceport_edge_refused_connections_total{reason=\"client_cap\"} ");
  out->append(std::to_string(refused_connections(false))).append("\n");
  out->append("spaceport_edge_refused_connections_total{reason=\"descriptors\"} ");
  out->append(std::to_string(refused_connections(true))).append("\n");
}

}  // namespace spaceport::edge
