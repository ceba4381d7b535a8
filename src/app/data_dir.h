// DataDir: the layout of a Spaceport data directory.
//
//   spaceport.db   SQLite database (WAL), unless the store is elsewhere
//                  (--store postgres://...: store/postgres/)
//   secrets.key    32-byte key for secret values, outside the database (0600)
//   identity-keys.json  Ed25519 keys signing identities for apps (0600)
//   oauth-clients.key   32-byte key deriving hf_oauth client ids and secrets (0600)
//   repos/         bare git repositories, <owner>/<name>.git
//   builds/        exported trees of builds, per Space
//   cache/         shared build caches (Python venvs)
//   logs/          build and run logs, per Space
//   spaces/        per-Space persistent /data dirs (sandboxed runtime)
// Creating the directories is idempotent. Not thread safe to construct; the
// paths are plain values afterwards.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/billing_store.h"
#include "store/collection_store.h"
#include "store/directory_store.h"
#include "store/moderation_store.h"
#include "store/store.h"

namespace spaceport::app {

class DataDir {
 public:
  // `store_url`: where the store is ("" : sqlite:<root>/spaceport.db).
  explicit DataDir(std::string root, std::string store_url = "");
  const std::string& root() const { return root_; }
  std::string Path(const std::string& sub) const { return root_ + "/" + sub; }
  Status EnsureLayout() const;
  // For sandboxed apps running as other uids: the root and the folders that
  // lead to app trees, venvs and /data dirs become 0711 (traverse, no
  // listing); the database and the secrets key stay private to the server.
  Status AllowTraversal() const;
  // The store's URL (store::StoreOptions::url).
  const std::string& store_url() const { return store_url_; }
  // Several nodes: stores opened from now on carry this node's write fence
  // (store/cluster.h; borrowed).
  void set_write_fence(const store::WriteFence* fence) { fence_ = fence; }
  // Opens (and migrates) the store with the secrets key.
  Result<std::unique_ptr<store::Store>> OpenStore() const;
  // The ledger's side of the same database (store/billing_store.h).
  Result<std::unique_ptr<store::BillingStore>> OpenBillingStore() const;
  Result<std::unique_ptr<store::DirectoryStore>> OpenDirectoryStore() const;
  Result<std::unique_ptr<store::ModerationStore>> OpenModerationStore() const;
  Result<std::unique_ptr<store::CollectionStore>> OpenCollectionStore() const;

 private:
  std::string root_;
  std::string store_url_;
  const store::WriteFence* fence_ = nullptr;
};

}  // namespace spaceport::app
