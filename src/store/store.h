// Store: Spaceport's durable metadata, one interface per area:
// AccountStore (store/account_store.h), SpaceStore (space_store.h) and
// GateStore (gate_store.h) here, and beside them BillingStore,
// DirectoryStore, ModerationStore and CollectionStore. A consumer takes the
// area it uses; Store is all of the first three, as a backend opens them.
//
// Two backends, store/sqlite/ (the default) and store/postgres/; every backend
// passes the same conformance suites (store/*_conformance_test.cc).
// Open with Store::Open({.url = "sqlite:/path/spaceport.db"}).
//
// Thread safety: every method may be called from any thread concurrently.
// Failure: NotFound for missing rows, AlreadyExists for unique-key clashes
// (name, subdomain, token hash), InvalidArgument for values the schema
// refuses, Unavailable/Internal for the database itself. A failed write
// changes nothing (each method is one transaction).
// Not on the edge's per-request path: the edge reads in-memory state.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/account_store.h"
#include "store/gate_store.h"
#include "store/space_store.h"
#include "store/types.h"

namespace spaceport::store {

class WriteFence;

struct StoreOptions {
  // "sqlite:/abs/path.db", "sqlite::memory:" or "postgres://user@host:port/db"
  // (store/postgres/: any libpq connection URL).
  std::string url;
  // 32-byte key for secret values (libsodium secretbox); kept outside the
  // database (a file in the data dir). Secret values are encrypted at rest
  // with it; callers of the Store see plaintext.
  std::string secrets_key;
  // Several nodes: the runtime node's fence (store/cluster.h); borrowed,
  // null for none.
  const WriteFence* fence = nullptr;
};

// Is `url` a PostgreSQL store URL (postgres:// or postgresql://)?
bool IsPostgresUrl(std::string_view url);

class Store : public AccountStore, public SpaceStore, public GateStore {
 public:
  ~Store() override = default;
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
};

}  // namespace spaceport::store
