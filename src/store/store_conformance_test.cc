// The store conformance suite: every backend must pass every test here.
// Add a backend with one line in testing::AllBackends() (store/testing/store_backends.h).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/testing/store_backends.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');
constexpr int64_t kT0 = 1'700'000'000'000;

// Every backend (store/testing/store_backends.h); add new ones there.
std::vector<BackendCase> AllStoreBackends() { return testing::AllBackends(); }

// The backends whose data outlives a Store object (reopen tests run on these).
std::vector<BackendCase> PersistentStoreBackends() {
  std::vector<BackendCase> out;
  for (BackendCase& c : AllStoreBackends()) {
    if (c.make()->persistent()) out.push_back(std::move(c));
  }
  return out;
}

class StoreConformanceTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    store_ = Open(kKeyA);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> Open(const std::string& key) {
    auto store = backend_->Open(key);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  User MakeUser(const std::string& name) {
    auto user = store_->CreateUser(name, false, kT0);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? *user : User{};
  }

  Space MakeSpace(const std::string& owner, const std::string& name, int64_t now = kT0, bool priv = false) {
    Space s;
    s.owner = owner;
    s.name = name;
    s.sdk = "gradio";
    s.is_private = priv;
    auto created = store_->CreateSpace(s, now);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Space{};
  }

  std::vector<std::string> Ids(const SpaceQuery& q) {
    auto spaces = store_->ListSpaces(q);
    EXPECT_TRUE(spaces.ok()) << spaces.status().ToString();
    std::vector<std::string> ids;
    if (spaces.ok()) {
      for (const Space& s : *spaces) ids.push_back(s.full_id());
    }
    return ids;
  }

  std::unique_ptr<testing::StoreBackend> backend_;
  std::unique_ptr<Store> store_;
};

// ---- Users ----

TEST_P(StoreConformanceTest, CreatesAndFindsUsers) {
  auto alice = store_->CreateUser("Alice", true, kT0);
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  EXPECT_GT(alice->id, 0);
  EXPECT_TRUE(alice->is_admin);
  EXPECT_EQ(alice->created_at, kT0);

  auto by_id = store_->GetUser(alice->id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "Alice");
  auto by_name = store_->GetUserByName("aLiCe");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->id, alice->id);
  EXPECT_EQ(by_name->name, "Alice");  // keeps the case it was created with

  MakeUser("bob");
  auto all = store_->ListUsers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "Alice");
  EXPECT_EQ((*all)[1].name, "bob");
}

TEST_P(StoreConformanceTest, UserNamesAreUniqueIgnoringCase) {
  MakeUser("alice");
  auto dup = store_->CreateUser("ALICE", false, kT0);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("ALICE"), std::string::npos);
  EXPECT_EQ(store_->ListUsers()->size(), 1u);
}

TEST_P(StoreConformanceTest, RejectsBadUserNames) {
  for (std::string bad : std::vector<std::string>{"", "-lead", ".dot", "has space", "slash/name", std::string(40, 'x'), "ünï"}) {
    EXPECT_EQ(store_->CreateUser(bad, false, kT0).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(store_->CreateUser(std::string(39, 'x'), false, kT0).ok());
  EXPECT_TRUE(store_->CreateUser("a.b_c-9", false, kT0).ok());
}

TEST_P(StoreConformanceTest, MissingUsersAreNotFound) {
  EXPECT_EQ(store_->GetUser(42).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetUserByName("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetUserByName("").status().code(), StatusCode::kNotFound);
}

// ---- Tokens ----

TEST_P(StoreConformanceTest, UseTokenResolvesUserAndRecordsUse) {
  User u = MakeUser("alice");
  auto token = store_->CreateToken(u.id, "laptop", TokenScope::kRead, "hash-1", kT0);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->last_used_at, 0);

  auto used = store_->UseToken("hash-1", kT0 + 5000);
  ASSERT_TRUE(used.ok()) << used.status().ToString();
  EXPECT_EQ(used->first.id, token->id);
  EXPECT_EQ(used->first.scope, TokenScope::kRead);
  EXPECT_EQ(used->first.last_used_at, kT0 + 5000);
  EXPECT_EQ(used->second.name, "alice");

  auto listed = store_->ListTokens(u.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "laptop");
  EXPECT_EQ((*listed)[0].last_used_at, kT0 + 5000);
}

TEST_P(StoreConformanceTest, UnknownTokenHashIsNotFound) {
  User u = MakeUser("alice");
  ASSERT_TRUE(store_->CreateToken(u.id, "t", TokenScope::kWrite, "hash-1", kT0).ok());
  EXPECT_EQ(store_->UseToken("hash-2", kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->UseToken("", kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->UseToken("HASH-1", kT0).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, TokenHashesAreUniqueAndNeedAUser) {
  User u = MakeUser("alice");
  ASSERT_TRUE(store_->CreateToken(u.id, "a", TokenScope::kWrite, "h", kT0).ok());
  EXPECT_EQ(store_->CreateToken(u.id, "b", TokenScope::kWrite, "h", kT0).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateToken(u.id + 100, "c", TokenScope::kWrite, "h2", kT0).status().code(),
            StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, DeleteTokenOnlyForItsOwner) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  auto token = store_->CreateToken(alice.id, "t", TokenScope::kWrite, "h", kT0);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(store_->DeleteToken(bob.id, token->id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->UseToken("h", kT0).ok());
  EXPECT_TRUE(store_->DeleteToken(alice.id, token->id).ok());
  EXPECT_EQ(store_->UseToken("h", kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteToken(alice.id, token->id).code(), StatusCode::kNotFound);
}

// ---- Spaces ----

TEST_P(StoreConformanceTest, CreatesSpaceWithDefaults) {
  Space s = MakeSpace("Alice", "My.App", kT0 + 7);
  EXPECT_GT(s.id, 0);
  EXPECT_EQ(s.subdomain, "alice-my-app");
  EXPECT_EQ(s.created_at, kT0 + 7);
  EXPECT_EQ(s.last_modified, kT0 + 7);

  auto got = store_->GetSpace("alice", "my.app");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, s.id);
  EXPECT_EQ(got->full_id(), "Alice/My.App");
  EXPECT_EQ(got->sdk, "gradio");
  EXPECT_EQ(got->hardware, "cpu-basic");
  EXPECT_EQ(got->storage, "");
  EXPECT_EQ(got->sleep_time_seconds, 172800);
  EXPECT_EQ(got->card_json, "{}");
  EXPECT_EQ(got->stage, "NO_APP_FILE");
  EXPECT_EQ(store_->GetSpaceById(s.id)->name, "My.App");
  EXPECT_EQ(store_->GetSpaceBySubdomain("alice-my-app")->id, s.id);
  EXPECT_EQ(store_->GetSpaceBySubdomain("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSpace("alice", "other").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, SpaceNamesAreUniquePerOwnerIgnoringCase) {
  MakeSpace("alice", "demo");
  Space dup;
  dup.owner = "ALICE";
  dup.name = "Demo";
  dup.subdomain = "unique-subdomain";
  auto result = store_->CreateSpace(dup, kT0);
  EXPECT_EQ(result.status().code(), StatusCode::kAlreadyExists);
  MakeSpace("bob", "demo");  // another owner may reuse the name
}

TEST_P(StoreConformanceTest, SubdomainCollisionsAreRejected) {
  MakeSpace("a-b", "c");
  Space clash;
  clash.owner = "a";
  clash.name = "b-c";  // also "a-b-c"
  auto result = store_->CreateSpace(clash, kT0);
  EXPECT_EQ(result.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(result.status().message().find("a-b-c"), std::string::npos) << result.status().message();
  clash.subdomain = "a-bc";
  EXPECT_TRUE(store_->CreateSpace(clash, kT0).ok());
}

TEST_P(StoreConformanceTest, RejectsBadSpaceNames) {
  for (auto [owner, name, sub] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"alice", "", ""}, {"alice", "a/b", ""}, {"", "x", ""}, {"al ice", "x", ""},
           {"alice", "x", "UPPER"}, {"alice", "x", "-lead"}, {"alice", "x", "a.b"}}) {
    Space s;
    s.owner = owner;
    s.name = name;
    s.subdomain = sub;
    EXPECT_EQ(store_->CreateSpace(s, kT0).status().code(), StatusCode::kInvalidArgument) << owner << "/" << name;
  }
}

TEST_P(StoreConformanceTest, UpdatesMutableFieldsAndStage) {
  Space s = MakeSpace("alice", "demo");
  s.sdk = "static";
  s.is_private = true;
  s.hardware = "cpu-upgrade";
  s.storage = "medium";
  s.sleep_time_seconds = 300;
  s.sha = "abc123";
  s.card_json = R"({"title":"Demo"})";
  s.last_modified = kT0 + 99;
  s.owner = "mallory";  // not a mutable field
  ASSERT_TRUE(store_->UpdateSpace(s).ok());
  ASSERT_TRUE(store_->SetSpaceStage(s.id, "BUILD_ERROR", "pip failed").ok());

  auto got = store_->GetSpaceById(s.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->owner, "alice");
  EXPECT_EQ(got->sdk, "static");
  EXPECT_TRUE(got->is_private);
  EXPECT_EQ(got->hardware, "cpu-upgrade");
  EXPECT_EQ(got->storage, "medium");
  EXPECT_EQ(got->sleep_time_seconds, 300);
  EXPECT_EQ(got->sha, "abc123");
  EXPECT_EQ(got->card_json, R"({"title":"Demo"})");
  EXPECT_EQ(got->last_modified, kT0 + 99);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_EQ(got->stage, "BUILD_ERROR");
  EXPECT_EQ(got->error_message, "pip failed");

  // The visibility alone: the rest of the row stays.
  ASSERT_TRUE(store_->SetSpaceVisibility(s.id, Visibility::kProtected).ok());
  got = store_->GetSpaceById(s.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->is_private);
  EXPECT_EQ(got->visibility, Visibility::kProtected);
  EXPECT_EQ(got->sha, "abc123");
  EXPECT_EQ(got->stage, "BUILD_ERROR");
  ASSERT_TRUE(store_->SetSpaceVisibility(s.id, Visibility::kPrivate).ok());
  EXPECT_TRUE(store_->GetSpaceById(s.id)->is_private);
  EXPECT_EQ(store_->GetSpaceById(s.id)->effective_visibility(), Visibility::kPrivate);

  s.id = 9999;
  EXPECT_EQ(store_->UpdateSpace(s).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetSpaceStage(9999, "RUNNING", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetSpaceVisibility(9999, Visibility::kPublic).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ListsByAuthorAndSearch) {
  MakeSpace("alice", "image-gen", kT0 + 1);
  MakeSpace("alice", "chat", kT0 + 2);
  MakeSpace("bob", "Image_Classifier", kT0 + 3);
  MakeSpace("carol", "100pct", kT0 + 4);

  EXPECT_EQ(Ids({.author = "ALICE"}), (std::vector<std::string>{"alice/chat", "alice/image-gen"}));
  EXPECT_EQ(Ids({.search = "IMAGE"}), (std::vector<std::string>{"bob/Image_Classifier", "alice/image-gen"}));
  EXPECT_EQ(Ids({.search = "e/c"}), (std::vector<std::string>{"alice/chat"}));
  // LIKE wildcards in the search are literal characters.
  EXPECT_TRUE(Ids({.search = "%"}).empty());
  EXPECT_EQ(Ids({.search = "_"}), (std::vector<std::string>{"bob/Image_Classifier"}));
  EXPECT_EQ(Ids({.author = "alice", .search = "chat"}), (std::vector<std::string>{"alice/chat"}));
  EXPECT_EQ(*store_->CountSpaces({.search = "image"}), 2);
  EXPECT_EQ(*store_->CountSpaces({}), 4);
}

TEST_P(StoreConformanceTest, ForEachSpaceVisitsEveryPageOldestFirst) {
  for (int i = 0; i < 5; ++i) MakeSpace("u", "s" + std::to_string(i), kT0 + i, /*priv=*/i % 2 == 1);
  std::vector<std::string> seen;
  auto collect = [&](const Space& s) {
    seen.push_back(s.name);
    return Status::Ok();
  };
  ASSERT_TRUE(ForEachSpace(*store_, {.include_all_private = true, .limit = 2}, collect).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"s0", "s1", "s2", "s3", "s4"}));

  seen.clear();  // an error from the callback stops the walk and comes back
  Status stop = ForEachSpace(*store_, {.include_all_private = true, .limit = 2}, [&](const Space& s) {
    seen.push_back(s.name);
    return s.name == "s2" ? Status::Internal("enough") : Status::Ok();
  });
  EXPECT_EQ(stop.code(), StatusCode::kInternal);
  EXPECT_EQ(seen.size(), 3u);
}

TEST_P(StoreConformanceTest, SortsAndPages) {
  Space a = MakeSpace("u", "a", kT0 + 1);
  MakeSpace("u", "b", kT0 + 2);
  MakeSpace("u", "c", kT0 + 3);
  a.last_modified = kT0 + 10;
  ASSERT_TRUE(store_->UpdateSpace(a).ok());

  EXPECT_EQ(Ids({}), (std::vector<std::string>{"u/c", "u/b", "u/a"}));
  EXPECT_EQ(Ids({.descending = false}), (std::vector<std::string>{"u/a", "u/b", "u/c"}));
  EXPECT_EQ(Ids({.sort = "lastModified"}), (std::vector<std::string>{"u/a", "u/c", "u/b"}));
  EXPECT_EQ(Ids({.limit = 2}), (std::vector<std::string>{"u/c", "u/b"}));
  EXPECT_EQ(Ids({.limit = 2, .offset = 2}), (std::vector<std::string>{"u/a"}));
  EXPECT_TRUE(Ids({.limit = 0}).empty());
  EXPECT_EQ(store_->ListSpaces({.sort = "likes; DROP TABLE spaces"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListSpaces({.limit = -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->CountSpaces({}), 3);
}

TEST_P(StoreConformanceTest, PrivateSpacesAreListedOnlyToTheirOwner) {
  User alice = MakeUser("Alice");
  User bob = MakeUser("bob");
  MakeSpace("alice", "public", kT0 + 1);
  MakeSpace("alice", "secret", kT0 + 2, /*priv=*/true);

  EXPECT_EQ(Ids({}), (std::vector<std::string>{"alice/public"}));
  EXPECT_EQ(Ids({.viewer_user_id = alice.id}), (std::vector<std::string>{"alice/public"}));
  EXPECT_EQ(Ids({.include_private_of_user = true, .viewer_user_id = bob.id}),
            (std::vector<std::string>{"alice/public"}));
  EXPECT_EQ(Ids({.include_private_of_user = true, .viewer_user_id = alice.id}),
            (std::vector<std::string>{"alice/secret", "alice/public"}));
  EXPECT_EQ(*store_->CountSpaces({.include_private_of_user = true, .viewer_user_id = alice.id}), 2);
  EXPECT_EQ(*store_->CountSpaces({.include_private_of_user = true, .viewer_user_id = bob.id}), 1);
  // Direct lookups are not filtered: access checks belong to the caller.
  EXPECT_TRUE(store_->GetSpace("alice", "secret").ok());
}

// ---- Builds ----

TEST_P(StoreConformanceTest, RecordsBuilds) {
  Space s = MakeSpace("alice", "demo");
  auto b1 = store_->CreateBuild(s.id, "sha1", kT0 + 1);
  auto b2 = store_->CreateBuild(s.id, "sha2", kT0 + 2);
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_EQ(b1->status, BuildStatus::kQueued);
  EXPECT_EQ(b1->finished_at, 0);

  ASSERT_TRUE(store_->SetBuildStatus(b1->id, BuildStatus::kRunning).ok());
  ASSERT_TRUE(store_->FinishBuild(b1->id, BuildStatus::kFailed, "no app.py", kT0 + 50).ok());
  ASSERT_TRUE(store_->SetBuildStatus(b2->id, BuildStatus::kRunning).ok());

  auto builds = store_->ListBuilds(s.id, 10);
  ASSERT_TRUE(builds.ok());
  ASSERT_EQ(builds->size(), 2u);
  EXPECT_EQ((*builds)[0].commit_sha, "sha2");  // newest first
  EXPECT_EQ((*builds)[0].status, BuildStatus::kRunning);
  EXPECT_EQ((*builds)[1].status, BuildStatus::kFailed);
  EXPECT_EQ((*builds)[1].error, "no app.py");
  EXPECT_EQ((*builds)[1].finished_at, kT0 + 50);
  EXPECT_EQ(store_->ListBuilds(s.id, 1)->size(), 1u);

  EXPECT_EQ(store_->CreateBuild(s.id + 100, "x", kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FinishBuild(9999, BuildStatus::kSucceeded, "", kT0).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetBuildStatus(9999, BuildStatus::kCancelled).code(), StatusCode::kNotFound);
}

// ---- Env ----

TEST_P(StoreConformanceTest, UpsertsListsAndDeletesEnv) {
  Space s = MakeSpace("alice", "demo");
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "MODEL", .value = "gpt2", .updated_at = kT0}).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "A_FIRST", .value = "1", .updated_at = kT0}).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "HF_TOKEN", .value = "hf_s3cret", .secret = true, .updated_at = kT0}).ok());
  // Same key, other kind: a separate entry.
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "MODEL", .value = "hidden", .secret = true, .updated_at = kT0}).ok());
  // Upsert.
  ASSERT_TRUE(
      store_->SetEnv(s.id, {.key = "MODEL", .value = "gpt3", .description = "d", .updated_at = kT0 + 9}).ok());

  auto env = store_->ListEnv(s.id);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->size(), 4u);
  EXPECT_EQ((*env)[0].key, "A_FIRST");
  EXPECT_EQ((*env)[1].key, "MODEL");
  EXPECT_EQ((*env)[1].value, "gpt3");
  EXPECT_EQ((*env)[1].description, "d");
  EXPECT_EQ((*env)[1].updated_at, kT0 + 9);
  EXPECT_FALSE((*env)[1].secret);
  EXPECT_EQ((*env)[2].key, "HF_TOKEN");
  EXPECT_TRUE((*env)[2].secret);
  EXPECT_EQ((*env)[2].value, "hf_s3cret");  // callers see plaintext
  EXPECT_EQ((*env)[3].key, "MODEL");
  EXPECT_EQ((*env)[3].value, "hidden");

  EXPECT_TRUE(store_->DeleteEnv(s.id, "MODEL", /*secret=*/true).ok());
  EXPECT_EQ(store_->DeleteEnv(s.id, "MODEL", true).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListEnv(s.id)->size(), 3u);
  EXPECT_EQ(store_->SetEnv(s.id + 100, {.key = "X", .value = "1"}).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, RejectsBadEnvKeys) {
  Space s = MakeSpace("alice", "demo");
  for (std::string bad : std::vector<std::string>{"", "1ABC", "A-B", "A B", "A=B", "ÄPFEL"}) {
    EXPECT_EQ(store_->SetEnv(s.id, {.key = bad, .value = "v"}).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(store_->SetEnv(s.id, {.key = "_ok_9", .value = "v"}).ok());
}

TEST_P(StoreConformanceTest, EmptyAndBinarySecretValuesRoundTrip) {
  Space s = MakeSpace("alice", "demo");
  std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "EMPTY", .value = "", .secret = true}).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "BIN", .value = binary, .secret = true}).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "EMPTYVAR", .value = ""}).ok());
  auto env = store_->ListEnv(s.id);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->size(), 3u);
  EXPECT_EQ((*env)[0].value, "");
  EXPECT_EQ((*env)[1].value, binary);
  EXPECT_EQ((*env)[2].value, "");
}

TEST_P(StoreConformanceTest, RefusesSecretsWithoutAKey) {
  backend_ = GetParam().make();
  store_ = Open("");
  ASSERT_NE(store_, nullptr);
  Space s = MakeSpace("alice", "demo");
  EXPECT_EQ(store_->SetEnv(s.id, {.key = "TOKEN", .value = "x", .secret = true}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->SetEnv(s.id, {.key = "PLAIN", .value = "x"}).ok());
  EXPECT_EQ(store_->ListEnv(s.id)->size(), 1u);
}

TEST_P(StoreConformanceTest, RejectsMalformedSecretsKey) {
  EXPECT_EQ(backend_->Open(std::string(31, 'k')).status().code(), StatusCode::kInvalidArgument);
}

// ---- Cascades and atomicity ----

TEST_P(StoreConformanceTest, DeletingASpaceCascades) {
  Space s = MakeSpace("alice", "demo");
  Space other = MakeSpace("alice", "other");
  ASSERT_TRUE(store_->CreateBuild(s.id, "sha", kT0).ok());
  ASSERT_TRUE(store_->CreateBuild(other.id, "sha", kT0).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "A", .value = "1"}).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "B", .value = "2", .secret = true}).ok());

  ASSERT_TRUE(store_->DeleteSpace(s.id).ok());
  EXPECT_EQ(store_->GetSpaceById(s.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListBuilds(s.id, 0)->empty());
  EXPECT_TRUE(store_->ListEnv(s.id)->empty());
  EXPECT_EQ(store_->ListBuilds(other.id, 0)->size(), 1u);
  EXPECT_EQ(store_->DeleteSpace(s.id).code(), StatusCode::kNotFound);

  // The name and subdomain are free again, with nothing left over.
  Space again = MakeSpace("alice", "demo");
  EXPECT_EQ(again.subdomain, "alice-demo");
  EXPECT_TRUE(store_->ListEnv(again.id)->empty());
}

TEST_P(StoreConformanceTest, LikesAreIdempotentAndCounted) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  Space s = MakeSpace("alice", "demo");
  Space other = MakeSpace("alice", "other", kT0 + 1);
  EXPECT_EQ(*store_->CountLikes(s.id), 0);
  ASSERT_TRUE(store_->Like(bob.id, s.id, kT0 + 5).ok());
  ASSERT_TRUE(store_->Like(bob.id, s.id, kT0 + 9).ok());  // again: keeps the first time
  ASSERT_TRUE(store_->Like(alice.id, s.id, kT0 + 6).ok());
  ASSERT_TRUE(store_->Like(bob.id, other.id, kT0 + 7).ok());
  EXPECT_EQ(*store_->CountLikes(s.id), 2);
  EXPECT_EQ(store_->GetSpaceById(s.id)->likes, 2);
  EXPECT_EQ(store_->GetSpace("alice", "other")->likes, 1);

  auto likers = store_->ListLikers(s.id);
  ASSERT_TRUE(likers.ok());
  ASSERT_EQ(likers->size(), 2u);
  EXPECT_EQ((*likers)[0].name, "bob");
  EXPECT_EQ((*likers)[1].name, "alice");

  auto liked = store_->ListLikedSpaces(bob.id);
  ASSERT_TRUE(liked.ok());
  ASSERT_EQ(liked->size(), 2u);
  EXPECT_EQ((*liked)[0].space.full_id(), "alice/other");
  EXPECT_EQ((*liked)[0].liked_at, kT0 + 7);
  EXPECT_EQ((*liked)[1].space.full_id(), "alice/demo");
  EXPECT_EQ((*liked)[1].liked_at, kT0 + 5);
  EXPECT_EQ((*liked)[1].space.likes, 2);

  ASSERT_TRUE(store_->Unlike(bob.id, s.id).ok());
  ASSERT_TRUE(store_->Unlike(bob.id, s.id).ok());
  EXPECT_EQ(*store_->CountLikes(s.id), 1);
  EXPECT_EQ(store_->ListLikedSpaces(bob.id)->size(), 1u);
  EXPECT_EQ(store_->Like(bob.id, 9999, kT0).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Like(9999, s.id, kT0).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, SortsByLikesAndDropsLikesWithTheSpace) {
  User a = MakeUser("a");
  User b = MakeUser("b");
  Space one = MakeSpace("u", "one", kT0 + 1);
  Space two = MakeSpace("u", "two", kT0 + 2);
  MakeSpace("u", "three", kT0 + 3);
  ASSERT_TRUE(store_->Like(a.id, one.id, kT0).ok());
  ASSERT_TRUE(store_->Like(b.id, one.id, kT0).ok());
  ASSERT_TRUE(store_->Like(a.id, two.id, kT0).ok());
  EXPECT_EQ(Ids({.sort = "likes"}), (std::vector<std::string>{"u/one", "u/two", "u/three"}));
  EXPECT_EQ(Ids({.sort = "likes", .descending = false}), (std::vector<std::string>{"u/three", "u/two", "u/one"}));
  EXPECT_EQ(Ids({.sort = "likes", .limit = 1, .offset = 1}), (std::vector<std::string>{"u/two"}));

  ASSERT_TRUE(store_->DeleteSpace(one.id).ok());
  EXPECT_EQ(*store_->CountLikes(one.id), 0);
  EXPECT_EQ(store_->ListLikedSpaces(b.id)->size(), 0u);
  EXPECT_EQ(store_->ListLikedSpaces(a.id)->size(), 1u);
}

TEST_P(StoreConformanceTest, RecordsWhatASpaceWasDuplicatedFrom) {
  Space original = MakeSpace("alice", "demo");
  EXPECT_EQ(original.duplicated_from, 0);
  Space fork;
  fork.owner = "bob";
  fork.name = "demo";
  fork.sdk = "gradio";
  fork.duplicated_from = original.id;
  auto created = store_->CreateSpace(fork, kT0 + 1);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(store_->GetSpace("bob", "demo")->duplicated_from, original.id);
  MakeSpace("carol", "unrelated", kT0 + 2);
  EXPECT_EQ(Ids({.duplicated_from = original.id}), (std::vector<std::string>{"bob/demo"}));
  EXPECT_EQ(*store_->CountSpaces({.duplicated_from = original.id}), 1);

  fork.name = "ghost";
  fork.duplicated_from = 9999;
  EXPECT_EQ(store_->CreateSpace(fork, kT0).status().code(), StatusCode::kNotFound);

  // The fork outlives its source and forgets it.
  ASSERT_TRUE(store_->DeleteSpace(original.id).ok());
  EXPECT_EQ(store_->GetSpace("bob", "demo")->duplicated_from, 0);
}

TEST_P(StoreConformanceTest, FiltersByCardTagsAndSdk) {
  Space a = MakeSpace("u", "a", kT0 + 1);
  a.card_json = R"({"tags":["vision","demo"]})";
  ASSERT_TRUE(store_->UpdateSpace(a).ok());
  Space b = MakeSpace("u", "b", kT0 + 2);
  b.sdk = "static";
  b.card_json = R"({"tags":"vision"})";  // a bare string: still one tag
  ASSERT_TRUE(store_->UpdateSpace(b).ok());
  MakeSpace("u", "c", kT0 + 3);  // gradio, no tags

  EXPECT_EQ(Ids({.tags = {"vision"}}), (std::vector<std::string>{"u/b", "u/a"}));
  EXPECT_EQ(Ids({.tags = {"vision", "demo"}}), (std::vector<std::string>{"u/a"}));
  EXPECT_EQ(Ids({.tags = {"gradio"}}), (std::vector<std::string>{"u/c", "u/a"}));
  EXPECT_EQ(Ids({.tags = {"static", "vision"}}), (std::vector<std::string>{"u/b"}));
  EXPECT_TRUE(Ids({.tags = {"VISION"}}).empty());  // tags match exactly
  EXPECT_TRUE(Ids({.tags = {"%"}}).empty());
  EXPECT_EQ(*store_->CountSpaces({.tags = {"demo"}}), 1);
}

TEST_P(StoreConformanceTest, RenamesASpaceKeepingItsRowsAndRefusingClashes) {
  User alice = MakeUser("alice");
  Space s = MakeSpace("alice", "demo");
  MakeSpace("alice", "taken", kT0 + 1);
  ASSERT_TRUE(store_->SetEnv(s.id, EnvVar{"MODE", "fast", "", false, kT0}).ok());
  ASSERT_TRUE(store_->Like(alice.id, s.id, kT0).ok());

  ASSERT_TRUE(store_->RenameSpace(s.id, "alice", "renamed", "alice-renamed").ok());
  EXPECT_EQ(store_->GetSpace("alice", "demo").status().code(), StatusCode::kNotFound);
  auto moved = store_->GetSpace("alice", "renamed");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->id, s.id);
  EXPECT_EQ(moved->subdomain, "alice-renamed");
  EXPECT_EQ(moved->likes, 1);
  EXPECT_EQ(store_->ListEnv(s.id)->size(), 1u);
  EXPECT_TRUE(store_->GetSpaceBySubdomain("alice-renamed").ok());
  EXPECT_EQ(store_->GetSpaceBySubdomain("alice-demo").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(store_->RenameSpace(s.id, "alice", "TAKEN", "alice-other").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->RenameSpace(s.id, "alice", "other", "alice-taken").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->RenameSpace(s.id, "alice", "../x", "alice-x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RenameSpace(s.id, "alice", "x", "Bad_Sub").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RenameSpace(9999, "alice", "x", "alice-x").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSpace("alice", "renamed")->subdomain, "alice-renamed");  // refusals changed nothing
}

TEST_P(StoreConformanceTest, FailedWritesChangeNothing) {
  MakeSpace("alice", "demo");
  Space dup;
  dup.owner = "alice";
  dup.name = "demo";
  dup.subdomain = "fresh";
  EXPECT_FALSE(store_->CreateSpace(dup, kT0).ok());
  EXPECT_EQ(store_->GetSpaceBySubdomain("fresh").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->CountSpaces({}), 1);
}

// ---- Concurrency ----

TEST_P(StoreConformanceTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "u" + std::to_string(t) + "x" + std::to_string(i);
        auto user = store_->CreateUser(name, false, kT0);
        if (!user.ok()) { ++failures; continue; }
        Space s;
        s.owner = name;
        s.name = "app";
        auto space = store_->CreateSpace(s, kT0 + i);
        if (!space.ok()) { ++failures; continue; }
        if (!store_->SetEnv(space->id, {.key = "K", .value = name, .secret = true}).ok()) ++failures;
        if (!store_->CreateBuild(space->id, "sha", kT0).ok()) ++failures;
        if (!store_->ListSpaces({.limit = 5}).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->ListUsers()->size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*store_->CountSpaces({}), kThreads * kPerThread);
}

TEST_P(StoreConformanceTest, ConcurrentCreatesOfOneNameHaveOneWinner) {
  constexpr int kThreads = 6;
  std::atomic<int> created{0};
  std::atomic<int> clashed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto user = store_->CreateUser(t % 2 ? "Same" : "same", false, kT0);
      if (user.ok()) ++created;
      if (user.status().code() == StatusCode::kAlreadyExists) ++clashed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(clashed.load(), kThreads - 1);
}

// ---- Persistence (persistent backends only) ----

class PersistentStoreTest : public StoreConformanceTest {};

TEST_P(PersistentStoreTest, ReopeningKeepsData) {
  ASSERT_TRUE(backend_->persistent());
  User u = MakeUser("alice");
  Space s = MakeSpace("alice", "demo");
  ASSERT_TRUE(store_->CreateToken(u.id, "t", TokenScope::kRead, "hash", kT0).ok());
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "S", .value = "v", .secret = true}).ok());
  store_.reset();

  store_ = Open(kKeyA);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->GetUserByName("alice")->id, u.id);
  EXPECT_EQ(store_->GetSpace("alice", "demo")->id, s.id);
  EXPECT_TRUE(store_->UseToken("hash", kT0).ok());
  auto env = store_->ListEnv(s.id);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->size(), 1u);
  EXPECT_EQ((*env)[0].value, "v");
}

TEST_P(PersistentStoreTest, WrongSecretsKeyIsAnErrorNotGarbage) {
  ASSERT_TRUE(backend_->persistent());
  Space s = MakeSpace("alice", "demo");
  ASSERT_TRUE(store_->SetEnv(s.id, {.key = "HF_TOKEN", .value = "v", .secret = true}).ok());
  store_.reset();

  store_ = Open(kKeyB);
  ASSERT_NE(store_, nullptr);
  auto env = store_->ListEnv(s.id);
  EXPECT_EQ(env.status().code(), StatusCode::kInternal);
  EXPECT_NE(env.status().message().find("HF_TOKEN"), std::string::npos) << env.status().message();
  EXPECT_NE(env.status().message().find("secrets key"), std::string::npos) << env.status().message();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(AllStoreBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Backends, PersistentStoreTest, ::testing::ValuesIn(PersistentStoreBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
