// AccessTable: who may reach each non-public Space's app, in memory, for the
// edge.
//
// The hub computes each Space's access (visibility, the users who may read
// it: owner, organization members, granted visitors) from the store and
// publishes it here whenever one of those changes, so a decision takes effect
// at the edge on the next request. The edge reads lock-free snapshots (an
// atomically swapped immutable map, as the RouteTable) and never touches the
// database. A Space without an entry is public.
//
// Thread safety: all methods are safe from any thread; writers are
// serialized by a mutex and copy the map (entries exist only for private,
// protected and gated Spaces, so the copy stays small).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "store/store.h"

namespace spaceport::access {

using store::Visibility;

struct SpaceAccess {
  Visibility visibility = Visibility::kPublic;
  std::set<int64_t> readers;  // user ids who may use the app (owner, members, granted visitors)
  bool gated = false;         // the app needs a granted access request (readers holds the granted)

  // Whether a caller (0: anonymous) may use the app. Server admins get no
  // bypass, as in the hub (docs/access.md).
  bool AllowsApp(int64_t user_id) const;
};

class AccessTable {
 public:
  AccessTable();
  // Replaces the entry of `space_id`; a public, ungated Space's entry is removed.
  void Publish(const std::string& space_id, SpaceAccess access);
  void Remove(std::string_view space_id);
  // Null for Spaces without restrictions.
  std::shared_ptr<const SpaceAccess> Find(std::string_view space_id) const;

 private:
  using Map = std::map<std::string, std::shared_ptr<const SpaceAccess>, std::less<>>;
  std::mutex write_mu_;
  std::atomic<std::shared_ptr<const Map>> map_;
};

}  // namespace spaceport::access
