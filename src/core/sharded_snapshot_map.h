#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/snapshot_ptr.h"

namespace spaceport {

// A string-keyed map read on a hot path and written rarely, as copy-on-write
// snapshots (SnapshotPtr) in kShards shards by key hash: a write copies one
// shard, not the whole map, so a change costs the same with 1.5 million
// keys as with a thousand, and a server that publishes every key at start
// does not copy the map once per key. Readers see each key's latest value;
// two keys changed together may be seen one before the other.
// Thread safety: any thread; writes to one shard are serialized.
template <typename V>
class ShardedSnapshotMap {
 public:
  using Map = std::map<std::string, V, std::less<>>;
  static constexpr size_t kShards = 256;

  ShardedSnapshotMap() {
    for (auto& s : shards_) s = std::make_unique<Shard>();
  }
  ShardedSnapshotMap(const ShardedSnapshotMap&) = delete;
  ShardedSnapshotMap& operator=(const ShardedSnapshotMap&) = delete;

  // The value of `key`, or nullopt-like: `found` tells.
  bool Find(std::string_view key, V* out) const {
    auto map = ShardOf(key).map.Load();
    auto it = map->find(key);
    if (it == map->end()) return false;
    *out = it->second;
    return true;
  }

  // Applies `change` to a copy of the key's shard (it may insert, replace or
  // erase `key`) and publishes the copy.
  void Update(std::string_view key, const std::function<void(Map&)>& change) {
    Shard& shard = ShardOf(key);
    std::lock_guard lock(shard.write_mu);
    auto next = std::make_shared<Map>(*shard.map.Load());
    change(*next);
    shard.map.Store(std::move(next));
  }

  void Set(std::string_view key, V value) {
    Update(key, [&](Map& m) { m.insert_or_assign(std::string(key), std::move(value)); });
  }
  void Erase(std::string_view key) {
    Update(key, [&](Map& m) {
      if (auto it = m.find(key); it != m.end()) m.erase(it);
    });
  }

 private:
  struct Shard {
    std::mutex write_mu;
    SnapshotPtr<Map> map{std::make_shared<const Map>()};
  };
  Shard& ShardOf(std::string_view key) const { return *shards_[std::hash<std::string_view>{}(key) % kShards]; }

  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace spaceport
