// Test-only: the store backends the conformance suite runs against.
//
// A StoreBackend owns whatever a backend needs (a temp dir, a database) and
// opens Store instances on it. To run the suite against a new backend, add
// one entry to AllBackends() below.
// Thread safety: tests use one backend from one thread (stores it opens are
// themselves thread safe).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "store/billing_store.h"
#include "store/collection_store.h"
#include "store/directory_store.h"
#include "store/moderation_store.h"
#include "store/store.h"
#include "core/testing/temp_dir.h"
#include "store/testing/pg_test_database.h"

namespace spaceport::store::testing {

using spaceport::testing::TempDir;

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // Opens the backend's database; persistent backends reopen the same data.
  virtual Result<std::unique_ptr<Store>> Open(const std::string& secrets_key) = 0;
  // The billing area (store/billing_store.h) on the same database.
  virtual Result<std::unique_ptr<BillingStore>> OpenBilling() = 0;
  // The directory area (store/directory_store.h) on the same database.
  virtual Result<std::unique_ptr<DirectoryStore>> OpenDirectory() = 0;
  // The moderation area (store/moderation_store.h) on the same database.
  virtual Result<std::unique_ptr<ModerationStore>> OpenModeration() = 0;
  // The collections area (store/collection_store.h) on the same database.
  virtual Result<std::unique_ptr<CollectionStore>> OpenCollections() = 0;
  // Does a second Open() see what the first one wrote?
  virtual bool persistent() const = 0;
};

class SqliteMemoryBackend : public StoreBackend {
 public:
  Result<std::unique_ptr<Store>> Open(const std::string& secrets_key) override {
    return Store::Open({.url = "sqlite::memory:", .secrets_key = secrets_key});
  }
  Result<std::unique_ptr<BillingStore>> OpenBilling() override { return OpenBillingStore({.url = "sqlite::memory:"}); }
  // A separate in-memory database would not see the Spaces: refused.
  Result<std::unique_ptr<DirectoryStore>> OpenDirectory() override {
    return OpenDirectoryStore({.url = "sqlite::memory:"});
  }
  Result<std::unique_ptr<ModerationStore>> OpenModeration() override {
    return OpenModerationStore({.url = "sqlite::memory:"});
  }
  Result<std::unique_ptr<CollectionStore>> OpenCollections() override {
    return OpenCollectionStore({.url = "sqlite::memory:"});
  }
  bool persistent() const override { return false; }
};

class SqliteFileBackend : public StoreBackend {
 public:
  Result<std::unique_ptr<Store>> Open(const std::string& secrets_key) override {
    return Store::Open({.url = "sqlite:" + path(), .secrets_key = secrets_key});
  }
  Result<std::unique_ptr<BillingStore>> OpenBilling() override { return OpenBillingStore({.url = "sqlite:" + path()}); }
  Result<std::unique_ptr<DirectoryStore>> OpenDirectory() override {
    return OpenDirectoryStore({.url = "sqlite:" + path()});
  }
  Result<std::unique_ptr<ModerationStore>> OpenModeration() override {
    return OpenModerationStore({.url = "sqlite:" + path()});
  }
  Result<std::unique_ptr<CollectionStore>> OpenCollections() override {
    return OpenCollectionStore({.url = "sqlite:" + path()});
  }
  bool persistent() const override { return true; }
  std::string path() const { return dir_.path() + "/spaceport.db"; }

 private:
  TempDir dir_;
};

// PostgreSQL: a database of its own per backend object, cloned from the
// migrated template on the test server (pg_test_database.h); every area.
class PostgresBackend : public StoreBackend {
 public:
  Result<std::unique_ptr<Store>> Open(const std::string& secrets_key) override {
    ASSIGN_OR_RETURN(std::string url, db_.Url());
    return Store::Open({.url = url, .secrets_key = secrets_key});
  }
  Result<std::unique_ptr<BillingStore>> OpenBilling() override {
    ASSIGN_OR_RETURN(std::string url, db_.Url());
    return OpenBillingStore({.url = url});
  }
  Result<std::unique_ptr<DirectoryStore>> OpenDirectory() override {
    ASSIGN_OR_RETURN(std::string url, db_.Url());
    return OpenDirectoryStore({.url = url});
  }
  Result<std::unique_ptr<ModerationStore>> OpenModeration() override {
    ASSIGN_OR_RETURN(std::string url, db_.Url());
    return OpenModerationStore({.url = url});
  }
  Result<std::unique_ptr<CollectionStore>> OpenCollections() override {
    ASSIGN_OR_RETURN(std::string url, db_.Url());
    return OpenCollectionStore({.url = url});
  }
  bool persistent() const override { return true; }

 private:
  PgTestDatabase db_;
};

struct BackendCase {
  std::string name;
  std::function<std::unique_ptr<StoreBackend>()> make;
};

// Every backend, for the suites of the areas in store::Store (accounts,
// Spaces, gates: store_conformance_test.cc, gates_conformance_test.cc, ...).
inline std::vector<BackendCase> AllBackends() {
  return {
      {"SqliteMemory", [] { return std::make_unique<SqliteMemoryBackend>(); }},
      {"SqliteFile", [] { return std::make_unique<SqliteFileBackend>(); }},
      {"Postgres", [] { return std::make_unique<PostgresBackend>(); }},
  };
}

// The backends whose areas open on one shared database (the directory
// reads the Spaces): every backend but SQLite's in-memory one.
inline std::vector<BackendCase> SharedDatabaseBackends() {
  return {
      {"SqliteFile", [] { return std::make_unique<SqliteFileBackend>(); }},
      {"Postgres", [] { return std::make_unique<PostgresBackend>(); }},
  };
}

// Names the backend in test output instead of dumping bytes.
inline void PrintTo(const BackendCase& c, std::ostream* os) { *os << c.name; }

}  // namespace spaceport::store::testing
