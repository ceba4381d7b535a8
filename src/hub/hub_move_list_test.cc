// Hub tests for renaming Spaces (POST /api/repos/move) and the listing's
// filters, expand fields and pagination.
#include <fstream>

#include "hub/hub.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

class MoveListTest : public HubTest {
 protected:
  void CreateWithCommit(const std::string& name, const std::string& readme = "") {
    std::string files = R"(,"files":[{"path":"app.py","content":"print(1)\n","encoding":"utf-8"})";
    if (!readme.empty()) {
      files += R"(,{"path":"README.md","content":)" + json(readme).dump() + R"(,"encoding":"utf-8"})";
    }
    Reply r = Create(name, alice_write_, files + "]");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  Reply Move(const std::string& from, const std::string& to, const std::string& token) {
    return Do("POST", "/api/repos/move", token,
              json{{"fromRepo", from}, {"toRepo", to}, {"type", "space"}}.dump());
  }
  // Sets the stored card (what a build would record) and sdk.
  void SetCard(const std::string& name, const std::string& card_json, const std::string& sdk = "gradio") {
    store::Space s = store_->GetSpace("alice", name).value();
    s.card_json = card_json;
    s.sdk = sdk;
    ASSERT_TRUE(store_->UpdateSpace(s).ok());
  }
  std::vector<std::string> Ids(const Reply& r) {
    std::vector<std::string> ids;
    for (const json& e : r.json()) ids.push_back(e["id"]);
    return ids;
  }
};

TEST_F(MoveListTest, MoveRenamesRowRepoAndAppHost) {
  CreateWithCommit("demo");
  ASSERT_EQ(Do("POST", "/api/spaces/alice/demo/variables", alice_write_, R"({"key":"MODE","value":"x"})").status,
            200);
  std::string sha = store_->GetSpace("alice", "demo")->sha;
  int64_t id = store_->GetSpace("alice", "demo")->id;

  Reply r = Move("alice/demo", "alice/renamed", alice_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["id"], "alice/renamed");
  EXPECT_EQ(r.json()["url"], "http://hub.test:8080/spaces/alice/renamed");
  EXPECT_EQ(control_.renames, std::vector<std::string>{"alice/demo -> alice/renamed (alice-renamed)"});

  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo").status, 404);
  r = Do("GET", "/api/spaces/alice/renamed");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["sha"], sha);
  EXPECT_EQ(r.json()["subdomain"], "alice-renamed");
  EXPECT_EQ(store_->GetSpace("alice", "renamed")->id, id);
  EXPECT_FALSE(repos_.Exists("alice", "demo"));
  EXPECT_EQ(repos_.Resolve("alice", "renamed", "main").value(), sha);
  EXPECT_EQ(Do("GET", "/spaces/alice/renamed/resolve/main/app.py").body, "print(1)\n");
  EXPECT_EQ(Do("GET", "/api/spaces/alice/renamed/variables", alice_write_).json()["MODE"]["value"], "x");
  // The old name is free again.
  EXPECT_EQ(Create("demo", alice_write_).status, 200);
}

TEST_F(MoveListTest, MoveRefusesClashesBadNamesAndOthers) {
  CreateWithCommit("demo");
  ASSERT_EQ(Create("taken", alice_write_).status, 200);
  ASSERT_EQ(Create("a-b", alice_write_).status, 200);
  std::string sha = store_->GetSpace("alice", "demo")->sha;
  auto unchanged = [&] {
    EXPECT_TRUE(store_->GetSpace("alice", "demo").ok());
    EXPECT_EQ(repos_.Resolve("alice", "demo", "main").value(), sha);
    EXPECT_TRUE(control_.renames.empty());
  };
  EXPECT_EQ(Move("alice/demo", "alice/taken", alice_write_).status, 409);
  EXPECT_EQ(Move("alice/demo", "alice/TAKEN", alice_write_).status, 409);
  EXPECT_EQ(Move("alice/demo", "alice/a.b", alice_write_).status, 409);  // app host alice-a-b is taken
  EXPECT_EQ(Move("alice/demo", "alice/../x", alice_write_).status, 400);
  EXPECT_EQ(Move("alice/demo", "alice/", alice_write_).status, 400);
  EXPECT_EQ(Move("alice/demo", "justaname", alice_write_).status, 400);
  EXPECT_EQ(Move("alice/demo", "alice/demo", alice_write_).status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/move", alice_write_, R"({"fromRepo":"alice/demo","toRepo":"alice/x"})").status,
            400);  // no type
  EXPECT_EQ(Move("alice/demo", "bob/demo", alice_write_).status, 403);
  EXPECT_EQ(Move("alice/demo", "alice/x", alice_read_).status, 403);
  EXPECT_EQ(Move("alice/demo", "bob/x", bob_write_).status, 403);
  EXPECT_EQ(Move("alice/demo", "alice/x", "").status, 401);
  EXPECT_EQ(Move("alice/nothing", "alice/x", alice_write_).status, 404);
  unchanged();
  // Private Spaces of others do not exist for the caller.
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  EXPECT_EQ(Move("alice/hidden", "bob/hidden", bob_write_).status, 404);
  // A change of case only is a rename too.
  Reply r = Move("alice/demo", "alice/Demo", alice_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_->GetSpace("alice", "demo")->name, "Demo");
}

}  // namespace
}  // namespace spaceport::hub::testing
