// ClusterControl: the hub's SpaceControl on a node among several
// (runtime_lease.h). On the runtime node it is the local supervisor; on a
// front node each call is announced on the store's change feed ("control"),
// and the runtime node's watcher hands it to ApplyRemote, which calls its
// supervisor: a push through any node is built and run where the apps run.
//
// FrontRoutes: a front node's routes. Every Space is routed to the runtime
// node's edge (AppRoute::forwarded: this edge passes the request on
// untouched, the runtime node's edge checks access, meters, wakes and
// proxies), kept in step with the Spaces through the change feed.
//
// Thread safety: all methods are safe from any thread.
// Failure: control calls on a front node return Ok once announced (the work
// is asynchronous, as a push is); Info is Unavailable there (the hub shows
// the stored stage). A call announced while the runtime moves to another node
// may be lost; the new runtime node's recovery builds what was pushed.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "runtime/cluster/runtime_lease.h"
#include "runtime/control.h"
#include "runtime/routes.h"
#include "store/cluster.h"
#include "store/space_store.h"

namespace spaceport::runtime {

class FrontRoutes {
 public:
  FrontRoutes(RouteTable* routes, store::SpaceStore* store) : routes_(routes), store_(store) {}

  // Routes every Space to the runtime node at host:port (again, after the
  // runtime moved).
  Status ForwardAll(const std::string& host, int port);
  // This node runs the apps now: its forwarded routes go (the supervisor
  // publishes the real ones).
  void Clear();
  // A Space changed ("space") or went ("forget") on another node.
  void Apply(const store::Change& change);
  // On this node (the hub's own announcements are not handed back).
  void Forward(const store::Space& space);
  void Forget(const std::string& space_id);

 private:
  void PublishLocked(const store::Space& space);

  RouteTable* const routes_;
  store::SpaceStore* const store_;
  std::mutex mu_;
  std::string host_;  // "" while this node runs the apps
  int port_ = 0;
  std::set<std::string> forwarded_;  // the Spaces this node routes to the runtime node
};

class ClusterControl : public SpaceControl {
 public:
  // `front`: this node's forwarded routes, which follow the Spaces it
  // creates, renames and removes itself.
  ClusterControl(SpaceControl* local, const RuntimeLease* lease, store::ChangeFeed* feed, store::SpaceStore* store,
                 FrontRoutes* front)
      : local_(local), lease_(lease), feed_(feed), store_(store), front_(front) {}

  void OnCreated(const store::Space& space) override;
  void OnPush(const store::Space& space, const std::string& sha) override;
  Status Restart(const std::string& space_id, bool factory) override;
  Status Pause(const std::string& space_id) override;
  Status Remove(const std::string& space_id) override;
  Status Rename(const std::string& old_id, const store::Space& renamed) override;
  Result<RuntimeInfo> Info(const std::string& space_id) override;
  Status RestartForStorage(const std::string& space_id, bool delete_data) override;
  void OnSleepTimeChanged(const std::string& space_id, int64_t seconds) override;

  // On the runtime node: a front node's call ("control" change). Elsewhere: nothing.
  void ApplyRemote(const store::Change& change);

 private:
  Status Announce(const std::string& op, const std::string& space_id, const std::string& arg);

  SpaceControl* const local_;
  const RuntimeLease* const lease_;
  store::ChangeFeed* const feed_;
  store::SpaceStore* const store_;
  FrontRoutes* const front_;
};

}  // namespace spaceport::runtime
