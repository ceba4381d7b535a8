// Hub tests for hardware requests, likes and duplication (forks).
#include "hub/hub.h"

#include <fstream>

#include "hub/hub_test_support.h"
#include "repo/lfs_store.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

class SpaceFeaturesTest : public HubTest {
 protected:
  // A Space of alice's with one commit on main (so it has a sha).
  void CreateWithCommit(const std::string& name) {
    Reply r = Create(name, alice_write_,
                     R"(,"files":[{"path":"app.py","content":"print(1)\n","encoding":"utf-8"}])");
    ASSERT_EQ(r.status, 200) << r.body;
  }
};

TEST_F(SpaceFeaturesTest, HardwareListsTheOfferedFlavors) {
  Reply r = Do("GET", "/api/spaces/hardware");
  ASSERT_EQ(r.status, 200) << r.body;
  json list = r.json();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "cpu-basic");
  EXPECT_EQ(list[0]["prettyName"], "CPU basic");
  EXPECT_EQ(list[0]["cpu"], "2 vCPU");
  EXPECT_EQ(list[0]["ram"], "16 GB");
  EXPECT_TRUE(list[0]["accelerator"].is_null());
  EXPECT_EQ(list[0]["unitCostUSD"], 0);
  EXPECT_EQ(list[0]["unitLabel"], "hour");
  EXPECT_EQ(list[1]["name"], "cpu-upgrade");
  // This hub was told nothing is enforced (the server fills it in from its driver and builder).
  EXPECT_EQ(list[0]["enforced"], json({{"sandbox", false}, {"limits", false}, {"buildSandbox", false}, {"disk", false}}));
}

TEST_F(SpaceFeaturesTest, RequestingHardwareStoresItAndRestarts) {
  CreateWithCommit("demo");
  Reply r = Do("POST", "/api/spaces/alice/demo/hardware", alice_write_,
               R"({"flavor":"cpu-upgrade","sleepTimeSeconds":3600})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["hardware"]["requested"], "cpu-upgrade");
  EXPECT_EQ(r.json()["gcTimeout"], 3600);
  EXPECT_EQ(control_.restarts, std::vector<std::string>{"alice/demo"});
  r = Do("GET", "/api/spaces/alice/demo/runtime");
  EXPECT_EQ(r.json()["hardware"]["requested"], "cpu-upgrade");
  EXPECT_EQ(store_->GetSpace("alice", "demo")->sleep_time_seconds, 3600);
}

TEST_F(SpaceFeaturesTest, SleepTimeReachesTheControlPlaneAndTheRuntimeShowsTheRung) {
  CreateWithCommit("demo");
  Reply r = Do("POST", "/api/spaces/alice/demo/sleeptime", alice_write_, R"({"seconds":600})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["gcTimeout"], 600);
  EXPECT_EQ(control_.sleep_times, std::vector<std::string>{"alice/demo=600"});
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/sleeptime", alice_write_, R"({"seconds":-2})").status, 400);
  EXPECT_EQ(control_.sleep_times.size(), 1u);

  control_.info_stage = "RUNNING";
  control_.info_rung = "frozen";
  r = Do("GET", "/api/spaces/alice/demo/runtime");
  EXPECT_EQ(r.json()["rung"], "frozen");
  EXPECT_TRUE(r.json()["lastWakeMs"].is_null());
  control_.info_last_wake_ms = 4;
  r = Do("GET", "/api/spaces/alice/demo/runtime");
  EXPECT_EQ(r.json()["lastWakeMs"], 4);
}

TEST_F(SpaceFeaturesTest, HardwareRequestsAreChecked) {
  ASSERT_EQ(Create("empty", alice_write_).status, 200);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/empty/hardware", alice_write_, R"({"flavor":"a100-large"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/empty/hardware", alice_write_, R"({})").status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/empty/hardware", alice_read_, R"({"flavor":"cpu-upgrade"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/empty/hardware", bob_write_, R"({"flavor":"cpu-upgrade"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/empty/hardware", "", R"({"flavor":"cpu-upgrade"})").status, 401);
  EXPECT_EQ(store_->GetSpace("alice", "empty")->hardware, "cpu-basic");
  // No build yet: stored, nothing to restart.
  EXPECT_EQ(Do("POST", "/api/spaces/alice/empty/hardware", alice_write_, R"({"flavor":"cpu-upgrade"})").status, 200);
  EXPECT_EQ(store_->GetSpace("alice", "empty")->hardware, "cpu-upgrade");
  EXPECT_TRUE(control_.restarts.empty());
}

TEST_F(SpaceFeaturesTest, StorageTiersGrowRestartAndDeleteTheData) {
  CreateWithCommit("demo");
  EXPECT_TRUE(Do("GET", "/api/spaces/alice/demo/runtime").json()["storage"].is_null());
  Reply r = Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({"tier":"small"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["storage"], "small");
  EXPECT_EQ(store_->GetSpace("alice", "demo")->storage, "small");
  EXPECT_EQ(control_.storage_restarts, std::vector<std::string>{"alice/demo"});
  // The same tier again changes nothing; a bigger one restarts again.
  ASSERT_EQ(Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({"tier":"small"})").status, 200);
  EXPECT_EQ(control_.storage_restarts.size(), 1u);
  ASSERT_EQ(Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({"tier":"large"})").status, 200);
  EXPECT_EQ(control_.storage_restarts.size(), 2u);

  // No shrinking, no unknown tiers, only writers of the Space.
  r = Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({"tier":"medium"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("cannot shrink"), std::string::npos) << r.body;
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({"tier":"huge"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({"tier":5})").status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/storage", alice_write_, R"({})").status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/storage", bob_write_, R"({"tier":"large"})").status, 403);
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/demo/storage", alice_read_).status, 403);
  EXPECT_EQ(store_->GetSpace("alice", "demo")->storage, "large");
  EXPECT_EQ(control_.storage_restarts.size(), 2u);

  r = Do("DELETE", "/api/spaces/alice/demo/storage", alice_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["storage"].is_null());
  EXPECT_EQ(store_->GetSpace("alice", "demo")->storage, "");
  EXPECT_EQ(control_.storage_restarts.back(), "alice/demo deleting data");
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/demo/storage", alice_write_).status, 400);  // none left
}

TEST_F(SpaceFeaturesTest, LikesAreIdempotentAndCounted) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/like").status, 401);
  Reply r = Do("POST", "/api/spaces/alice/demo/like", bob_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["likes"], 1);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/like", bob_write_).json()["likes"], 1);
  clock_.Advance(Millis(1000));
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/like", alice_read_).json()["likes"], 2);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo").json()["likes"], 2);
  EXPECT_EQ(Do("GET", "/api/spaces").json()[0]["likes"], 2);

  r = Do("GET", "/api/spaces/alice/demo/likers");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"([{"user":"bob","fullname":"bob","type":"user"},
                                      {"user":"alice","fullname":"alice","type":"user"}])"));
  r = Do("GET", "/api/users/bob/likes");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json().size(), 1u);
  EXPECT_EQ(r.json()[0]["repo"], json::parse(R"({"name":"alice/demo","type":"space"})"));
  EXPECT_TRUE(r.json()[0]["createdAt"].is_string());

  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/demo/like", bob_write_).json()["likes"], 1);
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/demo/like", bob_write_).json()["likes"], 1);
  EXPECT_TRUE(Do("GET", "/api/users/bob/likes").json().empty());
  EXPECT_EQ(Do("GET", "/api/users/nobody/likes").status, 404);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/missing/like", bob_write_).status, 404);
}

TEST_F(SpaceFeaturesTest, ListingSortsByLikes) {
  ASSERT_EQ(Create("old", alice_write_).status, 200);
  clock_.Advance(Millis(1000));
  ASSERT_EQ(Create("new", alice_write_).status, 200);
  ASSERT_EQ(Do("POST", "/api/spaces/alice/old/like", bob_write_).status, 200);
  json list = Do("GET", "/api/spaces?sort=likes").json();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], "alice/old");
  list = Do("GET", "/api/spaces?sort=createdAt").json();
  EXPECT_EQ(list[0]["id"], "alice/new");
}

TEST_F(SpaceFeaturesTest, PrivateLikesStayPrivate) {
  ASSERT_EQ(Create("secret", alice_write_, R"(,"private":true)").status, 200);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/secret/like", bob_write_).status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/secret/likers", bob_write_).status, 404);
  ASSERT_EQ(Do("POST", "/api/spaces/alice/secret/like", alice_write_).status, 200);
  EXPECT_EQ(Do("GET", "/api/users/alice/likes", alice_write_).json().size(), 1u);
  EXPECT_TRUE(Do("GET", "/api/users/alice/likes", bob_write_).json().empty());
  EXPECT_TRUE(Do("GET", "/api/users/alice/likes").json().empty());
}

TEST_F(SpaceFeaturesTest, DuplicateCopiesHistoryAndVariablesButNotSecrets) {
  CreateWithCommit("demo");
  ASSERT_EQ(Do("POST", "/api/spaces/alice/demo/variables", alice_write_, R"({"key":"MODEL","value":"tiny"})").status,
            200);
  ASSERT_EQ(Do("POST", "/api/spaces/alice/demo/secrets", alice_write_, R"({"key":"API_KEY","value":"s3cret"})").status,
            200);
  ASSERT_EQ(Do("POST", "/api/spaces/alice/demo/secrets", alice_write_, R"({"key":"OTHER","value":"x"})").status, 200);
  repo::LfsStore lfs(&repos_);
  const std::string oid(64, 'a');
  std::filesystem::path object = lfs.ObjectPath("alice", "demo", oid);
  std::filesystem::create_directories(object.parent_path());
  std::ofstream(object) << "weights";
  store::Space original = *store_->GetSpace("alice", "demo");
  control_.created.clear();
  control_.pushes.clear();

  Reply r = Do("POST", "/api/spaces/alice/demo/duplicate", bob_write_,
               R"({"repository":"bob/copy","secrets":[{"key":"OTHER","value":"mine"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["id"], "bob/copy");
  EXPECT_EQ(r.json()["url"], "http://hub.test:8080/spaces/bob/copy");
  EXPECT_EQ(r.json()["missingSecrets"], json::parse(R"(["API_KEY"])"));

  auto fork = store_->GetSpace("bob", "copy");
  ASSERT_TRUE(fork.ok());
  EXPECT_EQ(fork->duplicated_from, original.id);
  EXPECT_EQ(fork->sha, original.sha);
  EXPECT_EQ(fork->subdomain, "bob-copy");
  EXPECT_EQ(fork->sdk, "gradio");
  EXPECT_EQ(*repos_.Resolve("bob", "copy", "main"), *repos_.Resolve("alice", "demo", "main"));
  auto copied = lfs.Size("bob", "copy", oid);
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(*copied, 7);
  EXPECT_EQ(control_.created, std::vector<std::string>{"bob/copy"});
  EXPECT_EQ(control_.pushes, std::vector<std::string>{"bob/copy@" + original.sha});

  auto env = store_->ListEnv(fork->id);
  ASSERT_TRUE(env.ok());
  ASSERT_EQ(env->size(), 2u);  // sorted by (secret, key)
  EXPECT_EQ((*env)[0].key, "MODEL");
  EXPECT_EQ((*env)[0].value, "tiny");
  EXPECT_EQ((*env)[1].key, "OTHER");
  EXPECT_EQ((*env)[1].value, "mine");

  // The original is untouched.
  store::Space after = *store_->GetSpace("alice", "demo");
  EXPECT_EQ(after.sha, original.sha);
  EXPECT_EQ(after.duplicated_from, 0);
  EXPECT_EQ(store_->ListEnv(original.id)->size(), 3u);

  r = Do("GET", "/api/spaces/alice/demo/forks");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json().size(), 1u);
  EXPECT_EQ(r.json()[0]["id"], "bob/copy");
  EXPECT_TRUE(Do("GET", "/api/spaces/bob/copy/forks").json().empty());
}

TEST_F(SpaceFeaturesTest, DuplicateTakesSettingsFromTheBody) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  Reply r = Do("POST", "/api/spaces/alice/demo/duplicate", alice_write_,
               R"({"repository":"alice/twin","private":true,"hardware":"cpu-upgrade","sleepTimeSeconds":600,)"
               R"("variables":[{"key":"MODE","value":"fork"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto twin = store_->GetSpace("alice", "twin");
  ASSERT_TRUE(twin.ok());
  EXPECT_TRUE(twin->is_private);
  EXPECT_EQ(twin->hardware, "cpu-upgrade");
  EXPECT_EQ(twin->sleep_time_seconds, 600);
  EXPECT_TRUE(twin->sha.empty());  // the source had no commit: nothing to build
  EXPECT_TRUE(control_.pushes.empty());
  EXPECT_EQ(store_->ListEnv(twin->id)->size(), 1u);
  // A private fork is listed only to its owner.
  EXPECT_TRUE(Do("GET", "/api/spaces/alice/demo/forks").json().empty());
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/forks", alice_read_).json().size(), 1u);

  // HF's `visibility` works as well as `private`, and wins over the source's privacy.
  r = Do("POST", "/api/spaces/alice/twin/duplicate", alice_write_, R"({"repository":"alice/open","visibility":"public"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(store_->GetSpace("alice", "open")->is_private);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", alice_write_,
               R"({"repository":"alice/x","visibility":"secret"})").status, 400);
}

TEST_F(SpaceFeaturesTest, DuplicateErrors) {
  CreateWithCommit("demo");
  ASSERT_EQ(Create("taken", bob_write_).status, 200);
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  const std::string to_bob = R"({"repository":"bob/copy"})";
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", "", to_bob).status, 401);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/missing/duplicate", bob_write_, to_bob).status, 404);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/hidden/duplicate", bob_write_, to_bob).status, 404);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", bob_write_, R"({"repository":"bob/taken"})").status, 409);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", alice_read_, R"({"repository":"alice/c"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", bob_write_, R"({"repository":"alice/c"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", bob_write_, R"({})").status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/duplicate", bob_write_,
               R"({"repository":"bob/c","hardware":"a100-large"})").status, 400);
  // None of these left a Space or a repository behind.
  EXPECT_FALSE(store_->GetSpace("bob", "copy").ok());
  EXPECT_FALSE(store_->GetSpace("alice", "c").ok());
  EXPECT_FALSE(repos_.Exists("bob", "copy"));
  EXPECT_FALSE(repos_.Exists("bob", "c"));
  EXPECT_EQ(store_->GetSpace("bob", "taken")->duplicated_from, 0);
}

}  // namespace
}  // namespace spaceport::hub::testing
