// What several Spaceport nodes on one database share besides the data
// itself (docs/scale-out.md): a feed of changes to what every node keeps in
// memory (access rules, embed links, prices, revoked tokens and sessions),
// and leases that give singleton work to exactly one node at a time.
//
// ChangeFeed: Publish records a change (kind, key) and wakes every node;
// each node's watcher hands it the changes other nodes published, in the
// order they were stored, within about a second (PostgreSQL: LISTEN/NOTIFY
// carrying the sequence number, and a re-read of everything after the last
// number seen on every wake-up, every second, and after a reconnect). Before
// the first change and after any reconnect it calls `resync` (list-then-
// watch: the node re-reads its whole state, as changes may have been missed).
//
// Leases: a named lease is held by one node until it stops renewing it and
// `ttl` passes; each change of holder increments the epoch, so a write made
// under an old epoch can be refused (fencing).
//
// Thread safety: every method may be called from any thread; the watcher's
// callbacks run on its own thread, one at a time.
// Failure: Unavailable when the database cannot be reached (the watcher
// retries by itself).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace spaceport::store {

struct Change {
  int64_t seq = 0;
  std::string node;  // the node that published it
  std::string kind;  // "space" | "owner" | "callers" | ...
  std::string key;
  int64_t at = 0;    // unix millis
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Stores the change and wakes the other nodes; the change's seq.
  virtual Result<int64_t> Publish(std::string_view kind, std::string_view key) = 0;
  // Starts the watcher thread (once). `on_change` gets other nodes' changes.
  virtual Status Watch(std::function<void(const Change&)> on_change, std::function<void()> resync) = 0;
  // Stops the watcher; idempotent. Called by the destructor too.
  virtual void Stop() = 0;
  virtual const std::string& node() const = 0;
};

struct Lease {
  std::string name;
  std::string holder;   // node id; "" when never held
  std::string address;  // where the holder can be reached (--advertise)
  int64_t epoch = 0;
  int64_t expires_at = 0;  // unix millis
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // Takes or renews the lease for `node` if it is free, expired or already
  // this node's: the lease as it now stands (holder == node when held).
  virtual Result<Lease> TryAcquire(std::string_view name, std::string_view node, std::string_view address,
                                   int64_t ttl_ms, int64_t now) = 0;
  virtual Result<Lease> Get(std::string_view name) = 0;  // holder "" when never held
  // Gives the lease up (a clean shutdown), if `node` holds it.
  virtual Status Release(std::string_view name, std::string_view node) = 0;
};

// WriteFence: while a node holds lease `name` at `epoch`, every write made
// through the stores opened with this fence (StoreOptions::fence) to the
// tables of singleton work (Spaces and their builds, the ledger's transfers
// and holds, subscriptions, usage, probes) checks, in the same transaction,
// that the lease is still the node's at that epoch; a node that stalled past
// its lease and came back gets FailedPrecondition ("fenced: ...") instead of
// writing over the new holder's work. Pooled connections catch up with a
// change on their next use. PostgreSQL only (a SQLite file has one node).
// Thread safety: all methods from any thread.
class WriteFence {
 public:
  void Set(std::string_view name, std::string_view node, int64_t epoch) {
    const char sep = 31;  // the migration splits on chr(31): ids may hold anything printable
    Store(std::string(name) + sep + std::string(node) + sep + std::to_string(epoch));
  }
  void Clear() { Store(""); }
  // Moves on every Set or Clear.
  uint64_t generation() const { return generation_.load(); }
  std::string text() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  void Store(std::string text) {
    std::lock_guard lock(mu_);
    text_ = std::move(text);
    generation_.fetch_add(1);
  }
  mutable std::mutex mu_;
  std::string text_;  // guarded by mu_; "" no fence
  std::atomic<uint64_t> generation_{1};
};

struct StoreOptions;

// The change feed and leases of the store at options.url: PostgreSQL only
// (one SQLite file has one node: InvalidArgument). `node` names this node;
// `clock` (borrowed) times the wait for late changes.
// store/postgres/pg_cluster.cc.
Result<std::unique_ptr<ChangeFeed>> OpenChangeFeed(const StoreOptions& options, const std::string& node,
                                                   const Clock* clock);
Result<std::unique_ptr<LeaseStore>> OpenLeaseStore(const StoreOptions& options);

}  // namespace spaceport::store
