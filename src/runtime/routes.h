// RouteTable: where each Space's app can be reached right now.
//
// Written by the supervisor (control plane) whenever a Space is created,
// deployed, switched to a new version, stopped or deleted; read by the edge on
// every request. Reads take an immutable snapshot (a SnapshotPtr: a lock held
// only to copy the pointer), so the edge never waits on the control plane and
// never touches the database. Writers are serialized by a mutex.
//
// Thread safety: all methods are safe from any thread. A snapshot returned by
// Find* stays valid for as long as the caller holds the shared_ptr.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/sharded_snapshot_map.h"
#include "runtime/activity.h"
#include "runtime/stage.h"

namespace spaceport::billing {
struct Pricing;
}  // namespace spaceport::billing

namespace spaceport::runtime {

struct AppRoute {
  std::string space_id;     // "owner/name"
  std::string subdomain;    // "owner-name"
  Stage stage = Stage::kNoAppFile;  // what a 503 reports
  std::string error_message;
  // Where to send traffic. Exactly one of these is set while serving:
  std::string upstream_host;  // e.g. "127.0.0.1"
  int upstream_port = 0;      // > 0: proxy to upstream_host:upstream_port
  std::string static_root;    // non-empty: serve files from this directory (sdk: static)
  // Non-empty: the Content-Security-Policy header sent with every answer of
  // the app, "frame-ancestors 'self' <hub origin>" for a card with
  // disable_embedding, followed by the origins of spaceport.embed.allow
  // (built once per deploy, not per request).
  std::string content_security_policy;
  uint64_t generation = 0;    // bumps on every switch; pooled connections of older ones are dropped
  // Sleep: the activity record the edge marks requests in (null for Spaces
  // that never sleep, e.g. static ones), whether a request may wake the app
  // although the route does not serve now (stopped by the sleep ladder), and
  // how long a request may be held while the app wakes (startup timeout).
  std::shared_ptr<SpaceActivity> activity;
  bool wakeable = false;
  int64_t wake_timeout_ms = 0;
  // Billing (billing/pricing.h): what the app's requests cost, as the
  // deployed card says; null: free. space_key is the Space's id in the
  // store (subscriptions, the ledger's references).
  std::shared_ptr<const billing::Pricing> pricing;
  int64_t space_key = 0;
  // Several nodes (runtime/cluster/cluster_control.h): the app runs behind
  // another node's edge at upstream_host:upstream_port, which checks access,
  // meters, wakes and proxies; this edge passes requests on untouched.
  bool forwarded = false;

  bool serving() const { return upstream_port > 0 || !static_root.empty(); }
};

class RouteTable {
 public:
  RouteTable();
  // Inserts or replaces the route of route.space_id.
  void Publish(AppRoute route);
  void Remove(std::string_view space_id);

  std::shared_ptr<const AppRoute> FindBySpaceId(std::string_view space_id) const;
  std::shared_ptr<const AppRoute> FindBySubdomain(std::string_view subdomain) const;

 private:
  std::mutex write_mu_;  // Publish and Remove change both maps together
  ShardedSnapshotMap<std::shared_ptr<const AppRoute>> by_id_;
  ShardedSnapshotMap<std::shared_ptr<const AppRoute>> by_subdomain_;
};

}  // namespace spaceport::runtime
