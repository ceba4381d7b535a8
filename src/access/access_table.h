// AccessTable: who may reach each non-public Space's app, in memory, for the
// edge.
//
// The hub computes each Space's access (visibility, the users who may read
// it: owner, organization members, granted visitors) from the store and
// publishes it here whenever one of those changes, so a decision takes effect
// at the edge on the next request. The edge reads immutable snapshots
// (ShardedSnapshotMap, as the RouteTable) and never touches the database. A Space without an entry is public and has no embed links.
//
// Thread safety: all methods are safe from any thread; writers are
// serialized by a mutex and copy the map (entries exist only for private,
// protected and gated Spaces and those with embed links, so the copy stays
// small).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "core/sharded_snapshot_map.h"
#include "store/store.h"

namespace spaceport::access {

using store::Visibility;

// An embed link that opens the app without sign-in (embed_links.h).
struct LiveEmbedLink {
  std::string secret_hash;    // sha256 hex of the link's secret
  int64_t expires_at_ms = 0;  // unix millis
};

struct SpaceAccess {
  Visibility visibility = Visibility::kPublic;
  std::set<int64_t> readers;  // user ids who may use the app (owner, members, granted visitors)
  bool gated = false;         // the app needs a granted access request (readers holds the granted)
  // Disabled by a moderator: every request gets 451 with this notice ("": not).
  std::string disabled;
  // Unrevoked embed links by id (the edge still checks their expiry).
  std::map<std::string, LiveEmbedLink, std::less<>> embed_links;

  // Whether a caller (0: anonymous) may use the app. Server admins get no
  // bypass, as in the hub (docs/access.md).
  bool AllowsApp(int64_t user_id) const;
  // Whether an embed viewer's link is still live: published and not expired.
  bool EmbedLinkLive(std::string_view link_id, int64_t now_ms) const;
  // No restriction and no embed link: the table keeps no entry.
  bool Unrestricted() const { return visibility == Visibility::kPublic && !gated && disabled.empty(); }
};

class AccessTable {
 public:
  AccessTable();
  // Replaces the entry of `space_id`; the entry of a public, ungated Space
  // without embed links is removed.
  void Publish(const std::string& space_id, SpaceAccess access);
  void Remove(std::string_view space_id);
  // Null for Spaces without restrictions.
  std::shared_ptr<const SpaceAccess> Find(std::string_view space_id) const;

  // Who owns an owner's Spaces (the user, or every member of the
  // organization), for billing: they are never charged on their own Spaces.
  // Published for every owner with Spaces; names compare case-insensitively.
  void PublishOwner(std::string_view owner, std::set<int64_t> members);
  bool IsOwnerMember(std::string_view owner, int64_t user_id) const;

 private:
  ShardedSnapshotMap<std::shared_ptr<const SpaceAccess>> map_;
  ShardedSnapshotMap<std::shared_ptr<const std::set<int64_t>>> owners_;
};

}  // namespace spaceport::access
