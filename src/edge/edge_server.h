// EdgeServer: the public HTTP listener in front of the hub and every app.
//
// Each request runs through a filter chain (filter.h): path guard, route,
// sanitize, then a terminal that either proxies to the app's upstream
// (non-blocking, in the event loop) or runs a local blocking Handler (hub,
// static files) on a worker thread. One event loop per thread, each with its
// own SO_REUSEPORT listener and its own upstream connection pool.
//
// Ownership: the server borrows routes, hub and clock; they must outlive it.
// Thread safety: Start/Stop/AppendMetrics from any thread; Stop is idempotent
// and waits for loop and worker threads.
// Failure: Start returns Unavailable when the port cannot be bound. Request
// errors become HTTP responses (400/404/431/502/503/504), never crashes.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "directory/traffic.h"
#include "edge/access_filter.h"
#include "edge/admission.h"
#include "edge/metering_filter.h"
#include "core/status.h"
#include "http/handler.h"
#include "runtime/routes.h"
#include "runtime/waker.h"

namespace spaceport::edge {

struct EdgeOptions {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;  // 0 = any
  int threads = 2;
  std::string apps_domain = "localhost";
  std::string public_url;
  size_t max_header_bytes = 65536;
  Millis header_timeout{15000};
  Millis idle_timeout{75000};
  // Proxy path. Connect: how long an app may take to accept a connection
  // (then 504). Read: the longest silence from the app while its response is
  // awaited or streamed; every byte resets it, so SSE streams live on (504
  // before the response head, a cut response after). Client stall: the
  // longest a client may hold a proxied exchange up by not reading the
  // response or not sending the body it announced (then the connection is
  // reset).
  Millis upstream_connect_timeout{5000};
  Millis upstream_read_timeout{600000};
  Millis client_stall_timeout{60000};
  int max_local_handler_threads = 64;
  // Connections one client address may hold open at once (admission.h); more
  // are answered 429 and closed. 0: no cap.
  int max_connections_per_client = 1000;
  // Requests one client address may have on worker threads at once (hub and
  // static files: a worker writes the answer at the client's pace); more are
  // answered 429. 0: no cap.
  int max_local_per_client = 16;
  // A worker's answer is spooled up to 256 KiB without waiting on the client
  // (local_exchange.h); past that the client must read at least
  // min_send_rate bytes a second on average after send_grace, or is dropped.
  Millis send_grace{30000};
  uint64_t min_send_rate = 16 * 1024;
  // Reverse proxies in front of the edge whose X-Forwarded-For is believed
  // (admission.h); none by default.
  TrustedProxies trusted_proxies;
  // Sleep: wakes apps that sleep (activation_filter.h); borrowed, must outlive
  // the server. Null: no activation filter (apps are never asleep).
  runtime::Waker* waker = nullptr;
  // Billing: meters priced apps (metering_filter.h); null meter: all free.
  MeteringDeps metering;
  Millis wake_page_after{1000};
  // The directory (directory/traffic.h, health.h): counts visitors and the
  // apps' answers when set; a request carrying X-Spaceport-Probe with this
  // token (non-empty) is the health probe.
  directory::TrafficCounter* traffic = nullptr;
  std::string probe_token;
};

class EdgeServer {
 public:
  // `access` is required: without its table, caller cache and app sessions
  // Start fails (FailedPrecondition) rather than serve apps unchecked; tests
  // of the bare proxy pass EdgeAccess::AllowAllForTests().
  static Result<std::unique_ptr<EdgeServer>> Start(EdgeOptions options, runtime::RouteTable* routes,
                                                   http::Handler* hub, const Clock* clock, EdgeAccess access);
  ~EdgeServer();
  EdgeServer(const EdgeServer&) = delete;
  EdgeServer& operator=(const EdgeServer&) = delete;

  int port() const;
  void Stop();
  // Prometheus text exposition of the edge's counters.
  void AppendMetrics(std::string* out) const;

 private:
  struct Impl;
  explicit EdgeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spaceport::edge
