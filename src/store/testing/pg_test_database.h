// Test-only: a fresh PostgreSQL database per test, cloned from a migrated
// template, on the server scripts/pg-test-server starts (a temp dir, a free
// port, no system service). The server's URL comes from SPACEPORT_TEST_PG
// (postgres://spaceport@127.0.0.1:PORT); without it every PostgreSQL case
// fails and says how to get one, rather than passing unseen.
//
// The template (spaceport_template) is migrated by the first test of each
// process; cloning and migrating hold one advisory lock (on the maintenance
// database), so test processes running at once take turns and never clone
// a template someone is connected to.
// Thread safety: one PgTestDatabase per test, used from its thread.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "store/postgres/pg_db.h"
#include "store/store.h"

namespace spaceport::store::testing {

class PgTestDatabase {
 public:
  // The server's URL without a database name, or "" when none was started.
  static std::string ServerUrl() {
    const char* url = std::getenv("SPACEPORT_TEST_PG");
    return url ? url : "";
  }

  // `empty`: a database with no schema at all (tests of migrating itself)
  // instead of a clone of the migrated template.
  explicit PgTestDatabase(bool empty = false) : empty_(empty) {}
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;
  ~PgTestDatabase() {
    if (name_.empty()) return;
    auto admin = postgres::PgConn::Connect(ServerUrl() + "/postgres");
    if (admin.ok()) (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }

  // The URL of this test's database, creating it on first call.
  Result<std::string> Url() {
    if (!name_.empty()) return ServerUrl() + "/" + name_;
    if (ServerUrl().empty()) {
      return Status::FailedPrecondition(
          "no PostgreSQL server for the PostgreSQL conformance cases: SPACEPORT_TEST_PG is unset. scripts/test "
          "starts one (scripts/pg-test-server start) and sets it; `make test` runs it");
    }
    ASSIGN_OR_RETURN(auto admin, postgres::PgConn::Connect(ServerUrl() + "/postgres"));
    RETURN_IF_ERROR(admin->Exec("SELECT pg_advisory_lock(20261207)").status());
    Status made = CloneTemplate(*admin);
    (void)admin->Exec("SELECT pg_advisory_unlock(20261207)");
    RETURN_IF_ERROR(made);
    return ServerUrl() + "/" + name_;
  }

 private:
  Status CloneTemplate(postgres::PgConn& admin) {
    static std::atomic<bool> migrated{false};
    static std::atomic<int> counter{0};
    std::string name = "t_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    RETURN_IF_ERROR(admin.ExecScript("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"));
    if (empty_) {
      RETURN_IF_ERROR(admin.ExecScript("CREATE DATABASE " + name + " TEMPLATE template0"));
      name_ = name;
      return Status::Ok();
    }
    if (!migrated.load()) {
      ASSIGN_OR_RETURN(auto exists, admin.Exec("SELECT 1 FROM pg_database WHERE datname = 'spaceport_template'"));
      if (exists.rows() == 0) RETURN_IF_ERROR(admin.ExecScript("CREATE DATABASE spaceport_template"));
      // Opening a store migrates it; the store (and its connections) is gone before the clone.
      ASSIGN_OR_RETURN(auto store, Store::Open({.url = ServerUrl() + "/spaceport_template",
                                                .secrets_key = std::string(32, 't')}));
      store.reset();
      migrated = true;
    }
    RETURN_IF_ERROR(admin.ExecScript("CREATE DATABASE " + name + " TEMPLATE spaceport_template"));
    name_ = name;
    return Status::Ok();
  }

  const bool empty_ = false;
  std::string name_;
};

}  // namespace spaceport::store::testing
