// Test-only: a Hub wired to an in-memory store, a temp-dir RepoStore, a fake
// SpaceControl and a fake LogStore, driven in-process through Handle.
// Single-threaded; each test gets a fresh fixture.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "access/tokens.h"
#include "hub/hub.h"
#include "repo/testing_io.h"

namespace spaceport::hub::testing {

class FakeControl : public runtime::SpaceControl {
 public:
  void OnCreated(const store::Space& space) override { created.push_back(space.full_id()); }
  void OnPush(const store::Space& space, const std::string& sha) override {
    pushes.push_back(space.full_id() + "@" + sha);
  }
  Status Restart(const std::string& id, bool factory) override {
    restarts.push_back(id + (factory ? " factory" : ""));
    return Status::Ok();
  }
  Status Pause(const std::string& id) override {
    pauses.push_back(id);
    return Status::Ok();
  }
  Status Remove(const std::string& id) override {
    removed.push_back(id);
    return Status::Ok();
  }
  Status Rename(const std::string& old_id, const store::Space& renamed) override {
    renames.push_back(old_id + " -> " + renamed.full_id() + " (" + renamed.subdomain + ")");
    return Status::Ok();
  }
  Status RestartForStorage(const std::string& id, bool delete_data) override {
    storage_restarts.push_back(id + (delete_data ? " deleting data" : ""));
    return Status::Ok();
  }
  Result<runtime::RuntimeInfo> Info(const std::string& id) override {
    if (!info_stage.empty()) {
      runtime::RuntimeInfo i;
      i.stage = runtime::ParseStage(info_stage).value();
      i.error_message = info_error;
      i.hardware = "cpu-basic";
      i.replicas = 1;
      i.gc_timeout_seconds = info_gc_timeout;
      i.rung = info_rung;
      i.last_wake_ms = info_last_wake_ms;
      return i;
    }
    return Status::NotFound("unknown to the control plane");
  }

  void OnSleepTimeChanged(const std::string& id, int64_t seconds) override {
    sleep_times.push_back(id + "=" + std::to_string(seconds));
  }

  std::vector<std::string> created, pushes, restarts, pauses, removed, renames, sleep_times, storage_restarts;
  std::string info_stage, info_error, info_rung;
  int64_t info_gc_timeout = 0;
  int64_t info_last_wake_ms = -1;
};

// Tail returns `tail`; each Wait hands out the next batch of `later` (or
// nothing) and moves the fake clock by the wait, as a real wait would.
class FakeLogStore : public runtime::LogStore {
 public:
  explicit FakeLogStore(FakeClock* clock) : clock_(clock) {}
  void Append(std::string_view, runtime::LogKind, std::string_view) override {}
  void Flush(std::string_view, runtime::LogKind) override {}
  void Reset(std::string_view, runtime::LogKind) override {}
  std::vector<runtime::LogLine> Tail(std::string_view id, runtime::LogKind kind, size_t) override {
    last_kind = kind;
    return tail;
  }
  std::vector<runtime::LogLine> Wait(std::string_view, runtime::LogKind, uint64_t after, Millis wait) override {
    waits_after.push_back(after);
    clock_->Advance(wait);
    if (later.empty()) return {};
    std::vector<runtime::LogLine> batch = {later.front()};
    later.pop_front();
    return batch;
  }
  void Forget(std::string_view id) override { forgotten.emplace_back(id); }

  std::vector<runtime::LogLine> tail;
  std::deque<runtime::LogLine> later;
  std::vector<uint64_t> waits_after;
  std::vector<std::string> forgotten;
  runtime::LogKind last_kind = runtime::LogKind::kRun;

 private:
  FakeClock* clock_;
};

struct Reply {
  int status = 0;
  http::Headers headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class HubTest : public ::testing::Test {
 protected:
  static std::string MakeTempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sp_hub_test_XXXXXX").string();
    return mkdtemp(tmpl.data());
  }

  void SetUp() override {
    // A file, so that the directory's own connection sees the same database.
    auto opened = store::Store::Open({"sqlite:" + dir_ + "/spaceport.db", std::string(32, 'k')});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    auto directory_store = store::OpenDirectoryStore({.url = "sqlite:" + dir_ + "/spaceport.db", .secrets_key = ""});
    ASSERT_TRUE(directory_store.ok()) << directory_store.status().ToString();
    directory_store_ = std::move(directory_store).value();
    directory_ = std::make_unique<directory::Directory>(directory_store_.get(), &clock_);
    signals_ = std::make_unique<directory::Signals>(directory_.get(), store_.get(), &clock_);
    auto moderation_store = store::OpenModerationStore({.url = "sqlite:" + dir_ + "/spaceport.db", .secrets_key = ""});
    ASSERT_TRUE(moderation_store.ok()) << moderation_store.status().ToString();
    moderation_store_ = std::move(moderation_store).value();
    moderation_ = std::make_unique<directory::Moderation>(moderation_store_.get(), store_.get(), signals_.get(), &clock_,
                                                          [this](const store::Space& s) { hub_->PublishAccess(s); });
    auto collection_store = store::OpenCollectionStore({.url = "sqlite:" + dir_ + "/spaceport.db", .secrets_key = ""});
    ASSERT_TRUE(collection_store.ok()) << collection_store.status().ToString();
    collection_store_ = std::move(collection_store).value();
    collections_ = std::make_unique<directory::Collections>(collection_store_.get(), &clock_);
    sessions_ = std::make_unique<access::SessionManager>(store_.get(), &clock_);
    throttle_ = std::make_unique<access::SignInThrottle>(&clock_);
    auth_ = std::make_unique<access::Authenticator>(store_.get(), &clock_, sessions_.get());
    auto billing = store::OpenBillingStore({.url = "sqlite::memory:", .secrets_key = ""});
    ASSERT_TRUE(billing.ok()) << billing.status().ToString();
    billing_ = std::move(billing).value();
    auto ledger = billing::Ledger::Open(billing_.get(), &clock_, {.fee_percent = 10});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    auto subs = billing::Subscriptions::Open(billing_.get(), ledger_.get(), &clock_, StoreSpacePlans(store_.get()));
    ASSERT_TRUE(subs.ok()) << subs.status().ToString();
    subscriptions_ = std::move(subs).value();
    alice_ = store_->CreateUser("alice", false, clock_.UnixMillis()).value();
    bob_ = store_->CreateUser("bob", false, clock_.UnixMillis()).value();
    alice_write_ = NewToken(alice_, store::TokenScope::kWrite);
    alice_read_ = NewToken(alice_, store::TokenScope::kRead);
    bob_write_ = NewToken(bob_, store::TokenScope::kWrite);
    RemakeHub({});
  }
  // A new hub on the same store and repos, with `changes` applied to the test options.
  void RemakeHub(const std::function<void(HubOptions&)>& changes) {
    HubDeps deps{store_.get(), &repos_, &git_, &control_, &logs_, auth_.get(), &clock_, sessions_.get(), throttle_.get()};
    deps.ledger = ledger_.get();
    deps.billing = billing_.get();
    deps.subscriptions = subscriptions_.get();
    deps.directory = directory_.get();
    deps.signals = signals_.get();
    deps.prober = prober_.get();
    deps.moderation = moderation_.get();
    deps.access_table = access_table_;
    deps.collections = collections_.get();
    HubOptions options{"http://hub.test:8080/", "apps.test", ":8080", {}};
    if (changes) changes(options);
    hub_ = std::make_unique<Hub>(deps, options);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string NewToken(const store::User& user, store::TokenScope scope) {
    std::string token = access::GenerateToken();
    EXPECT_TRUE(store_->CreateToken(user.id, "t", scope, access::HashToken(token), clock_.UnixMillis()).ok());
    return token;
  }

  Reply Do(const std::string& method, const std::string& target, const std::string& token = "",
           const std::string& body = "", http::Headers headers = {}) {
    http::Request req;
    req.method = method;
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    req.headers = std::move(headers);
    req.remote_addr = "127.0.0.1";
    if (!token.empty()) req.headers.Add("Authorization", "Bearer " + token);
    if (!body.empty()) req.headers.Add("Content-Length", std::to_string(body.size()));
    spaceport::testing::StringBodyReader reader(body);
    spaceport::testing::RecordingWriter out;
    out.set_gone_after_writes(gone_after_writes_);
    hub_->Handle(req, reader, out);
    return Reply{out.status(), out.headers(), out.body()};
  }

  Reply Create(const std::string& name, const std::string& token, const std::string& extra = "") {
    return Do("POST", "/api/repos/create", token,
              R"({"type":"space","name":")" + name + R"(","sdk":"gradio")" + extra + "}");
  }

  FakeClock clock_;
  std::string dir_ = MakeTempDir();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::BillingStore> billing_;
  std::unique_ptr<billing::Ledger> ledger_;
  std::unique_ptr<billing::Subscriptions> subscriptions_;
  std::unique_ptr<store::DirectoryStore> directory_store_;
  std::unique_ptr<directory::Directory> directory_;
  std::unique_ptr<directory::Signals> signals_;
  std::unique_ptr<directory::Prober> prober_;  // set by tests that probe, then RemakeHub
  std::unique_ptr<store::ModerationStore> moderation_store_;
  std::unique_ptr<directory::Moderation> moderation_;
  std::unique_ptr<store::CollectionStore> collection_store_;
  std::unique_ptr<directory::Collections> collections_;
  access::AccessTable* access_table_ = nullptr;  // set by tests that watch the edge's rules, then RemakeHub
  std::unique_ptr<access::SessionManager> sessions_;
  std::unique_ptr<access::SignInThrottle> throttle_;
  std::unique_ptr<access::Authenticator> auth_;
  repo::RepoStore repos_{dir_ + "/repos"};
  repo::GitHttpService git_{&repos_};
  FakeControl control_;
  FakeLogStore logs_{&clock_};
  std::unique_ptr<Hub> hub_;
  store::User alice_, bob_;
  std::string alice_write_, alice_read_, bob_write_;
  int gone_after_writes_ = -1;
};

}  // namespace spaceport::hub::testing
