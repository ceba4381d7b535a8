// Two hubs on one PostgreSQL store, as two nodes are (store/cluster.h): what
// one node changes in the edge's memory (a Space made private, a revoked
// token) reaches the other node's edge within a second through the change
// feed. Needs the test server scripts/test starts (store/testing/pg_test_database.h).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "access/access_table.h"
#include "access/caller_cache.h"
#include "access/sessions.h"
#include "access/throttle.h"
#include "access/tokens.h"
#include "hub/hub.h"
#include "hub/hub_test_support.h"
#include "repo/testing_io.h"
#include "store/cluster.h"
#include "core/testing/temp_dir.h"
#include "store/testing/pg_test_database.h"

namespace spaceport::hub {
namespace {

using testing::FakeControl;
using testing::FakeLogStore;

// One node: its own store connections, edge state, change feed and hub.
struct Node {
  Node(const std::string& url, const std::string& id, const std::string& dir, const Clock* clock) {
    auto opened = store::Store::Open({.url = url, .secrets_key = std::string(32, 'k')});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return;
    store = std::move(*opened);
    auto feed = store::OpenChangeFeed({.url = url}, id, clock);
    EXPECT_TRUE(feed.ok()) << feed.status().ToString();
    if (!feed.ok()) return;
    changes = std::move(*feed);
    sessions = std::make_unique<access::SessionManager>(store.get(), clock);
    throttle = std::make_unique<access::SignInThrottle>(clock);
    auth = std::make_unique<access::Authenticator>(store.get(), clock, sessions.get());
    callers = std::make_unique<access::CallerCache>(auth.get(), clock);
    repos = std::make_unique<repo::RepoStore>(dir + "/repos");
    git = std::make_unique<repo::GitHttpService>(repos.get());
    HubDeps deps{store.get(), repos.get(), git.get(), &control, &logs, auth.get(), clock, sessions.get(),
                 throttle.get()};
    deps.access_table = &access_table;
    deps.callers = callers.get();
    deps.changes = changes.get();
    hub = std::make_unique<Hub>(deps, HubOptions{"http://hub.test:8080/", "apps.test", ":8080", {}});
    EXPECT_TRUE(hub->PublishAllAccess().ok());
    EXPECT_TRUE(changes->Watch([this](const store::Change& c) { hub->ApplyChange(c); },
                               [this] { (void)hub->ResyncEdge(); })
                    .ok());
  }
  ~Node() {
    if (changes) changes->Stop();  // before the hub it calls goes
  }

  int Do(const std::string& method, const std::string& target, const std::string& token,
         const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    req.path = target;
    req.remote_addr = "127.0.0.1";
    req.headers.Add("Authorization", "Bearer " + token);
    if (!body.empty()) req.headers.Add("Content-Length", std::to_string(body.size()));
    spaceport::testing::StringBodyReader reader(body);
    spaceport::testing::RecordingWriter out;
    hub->Handle(req, reader, out);
    return out.status();
  }

  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::ChangeFeed> changes;
  std::unique_ptr<access::SessionManager> sessions;
  std::unique_ptr<access::SignInThrottle> throttle;
  std::unique_ptr<access::Authenticator> auth;
  std::unique_ptr<access::CallerCache> callers;
  std::unique_ptr<repo::RepoStore> repos;
  std::unique_ptr<repo::GitHttpService> git;
  access::AccessTable access_table;
  FakeControl control;
  FakeClock log_clock;
  FakeLogStore logs{&log_clock};
  std::unique_ptr<Hub> hub;
};

// Polls `done` for up to a second; how long it took, or nullopt.
template <typename Fn>
std::optional<std::chrono::milliseconds> WithinASecond(Fn done) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1000)) {
    if (done()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

class HubClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = db_.Url();
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    a_ = std::make_unique<Node>(*url, "a", dir_.path() + "/a", clock_.get());
    b_ = std::make_unique<Node>(*url, "b", dir_.path() + "/b", clock_.get());
    ASSERT_TRUE(a_->hub && b_->hub);
    auto alice = a_->store->CreateUser("alice", false, clock_->UnixMillis());
    ASSERT_TRUE(alice.ok());
    alice_ = *alice;
    token_ = access::GenerateToken();
    ASSERT_TRUE(a_->store->CreateToken(alice_.id, "t", store::TokenScope::kWrite, access::HashToken(token_),
                                       clock_->UnixMillis())
                    .ok());
  }
  void TearDown() override {
    b_.reset();
    a_.reset();
  }

  store::testing::PgTestDatabase db_;
  spaceport::testing::TempDir dir_;
  std::unique_ptr<Clock> clock_ = MakeRealClock();
  std::unique_ptr<Node> a_, b_;
  store::User alice_;
  std::string token_;
};

TEST_F(HubClusterTest, AVisibilityChangeOnOneNodeReachesTheOtherNodesEdgeWithinASecond) {
  ASSERT_EQ(a_->Do("POST", "/api/repos/create", token_, R"({"type":"space","name":"demo","sdk":"gradio"})"), 200);
  EXPECT_EQ(b_->access_table.Find("alice/demo"), nullptr);  // public: no rule
  ASSERT_EQ(a_->Do("PUT", "/api/spaces/alice/demo/settings", token_, R"({"private":true})"), 200);
  auto took = WithinASecond([&] {
    auto rule = b_->access_table.Find("alice/demo");
    return rule != nullptr && rule->visibility == store::Visibility::kPrivate;
  });
  ASSERT_TRUE(took) << "node b's edge still lets strangers in after a second";
  EXPECT_FALSE(b_->access_table.Find("alice/demo")->AllowsApp(0));
  EXPECT_TRUE(b_->access_table.Find("alice/demo")->AllowsApp(alice_.id));
  // And back, from the other node.
  ASSERT_EQ(b_->Do("PUT", "/api/spaces/alice/demo/settings", token_, R"({"private":false})"), 200);
  ASSERT_TRUE(WithinASecond([&] { return a_->access_table.Find("alice/demo") == nullptr; }));
  // Deleting it on one node drops the rule on the other.
  ASSERT_EQ(a_->Do("PUT", "/api/spaces/alice/demo/settings", token_, R"({"private":true})"), 200);
  ASSERT_TRUE(WithinASecond([&] { return b_->access_table.Find("alice/demo") != nullptr; }));
  ASSERT_EQ(a_->Do("DELETE", "/api/repos/delete", token_, R"({"type":"space","name":"demo"})"), 200);
  ASSERT_TRUE(WithinASecond([&] { return b_->access_table.Find("alice/demo") == nullptr; }));
}

TEST_F(HubClusterTest, ATokenRevokedOnOneNodeStopsWorkingAtTheOtherNodesEdgeWithinASecond) {
  const std::string header = "Bearer " + token_;
  ASSERT_TRUE(a_->callers->Lookup(header).ok());  // node a's edge remembers the caller
  ASSERT_TRUE(a_->callers->Peek(header).has_value());
  auto tokens = b_->store->ListTokens(alice_.id);
  ASSERT_TRUE(tokens.ok() && tokens->size() == 1);
  ASSERT_EQ(b_->Do("DELETE", "/api/settings/tokens/" + std::to_string((*tokens)[0].id), token_), 200);
  auto took = WithinASecond([&] { return !a_->callers->Peek(header).has_value(); });
  ASSERT_TRUE(took) << "node a's edge still remembers the revoked token after a second";
  EXPECT_EQ(a_->callers->Lookup(header).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace spaceport::hub
