#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/snapshot_ptr.h"

namespace spaceport {

// A string-keyed map read on a hot path and written rarely, as copy-on-write
// snapshots (SnapshotPtr) in kShards shards by key hash: a write copies one
// shard (about 100 entries with 1.5 million keys), not the whole map, so a
// server that publishes every key at start does not copy the map once per
// key. Shards are made on first write (an empty map costs 128 KB of
// pointers). Readers see each key's latest value; two keys changed together
// may be seen one before the other.
// Thread safety: any thread; writes to one shard are serialized.
template <typename V>
class ShardedSnapshotMap {
 public:
  using Map = std::map<std::string, V, std::less<>>;
  static constexpr size_t kShards = 16384;

  ShardedSnapshotMap() = default;
  ShardedSnapshotMap(const ShardedSnapshotMap&) = delete;
  ShardedSnapshotMap& operator=(const ShardedSnapshotMap&) = delete;

  // Whether `key` is there; its value into *out.
  bool Find(std::string_view key, V* out) const {
    const Shard* shard = shards_[IndexOf(key)].load(std::memory_order_acquire);
    if (shard == nullptr) return false;
    auto map = shard->map.Load();
    auto it = map->find(key);
    if (it == map->end()) return false;
    *out = it->second;
    return true;
  }

  // Applies `change` to a copy of the key's shard (it may insert, replace or
  // erase `key`) and publishes the copy.
  void Update(std::string_view key, const std::function<void(Map&)>& change) {
    Shard& shard = MakeShard(IndexOf(key));
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
  static size_t IndexOf(std::string_view key) { return std::hash<std::string_view>{}(key) % kShards; }
  Shard& MakeShard(size_t i) {
    Shard* shard = shards_[i].load(std::memory_order_acquire);
    if (shard != nullptr) return *shard;
    std::lock_guard lock(make_mu_);
    shard = shards_[i].load(std::memory_order_relaxed);
    if (shard == nullptr) {
      owned_.push_back(std::make_unique<Shard>());
      shard = owned_.back().get();
      shards_[i].store(shard, std::memory_order_release);
    }
    return *shard;
  }

  std::array<std::atomic<Shard*>, kShards> shards_{};
  std::mutex make_mu_;
  std::vector<std::unique_ptr<Shard>> owned_;  // the shards, made on first write
};

}  // namespace spaceport
