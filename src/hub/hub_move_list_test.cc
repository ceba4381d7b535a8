// Hub tests for renaming Spaces (POST /api/repos/move), the listing's
// filters, expand fields and pagination, and the LFS locking answer.
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


// Once a 500: SQLite's "LIKE or GLOB pattern too complex".
TEST_F(MoveListTest, OverlongSearchIs400) {
  Reply r = Do("GET", "/api/spaces?search=" + std::string(60000, '%'));
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 200);
  EXPECT_EQ(Do("GET", "/api/spaces?search=" + std::string(300, 'a')).status, 400);
  EXPECT_EQ(Do("GET", "/api/spaces?search=" + std::string(200, 'a')).status, 200);
}

TEST_F(MoveListTest, ListFiltersByTagsAndSdk) {
  CreateWithCommit("vision");
  SetCard("vision", R"({"tags":["vision","demo"],"models":["m/one"]})");
  clock_.Advance(Millis(1000));
  CreateWithCommit("site");
  SetCard("site", R"({"tags":["demo"]})", "static");
  clock_.Advance(Millis(1000));
  CreateWithCommit("plain");

  EXPECT_EQ(Ids(Do("GET", "/api/spaces?filter=demo")), (std::vector<std::string>{"alice/site", "alice/vision"}));
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?filter=demo&filter=vision")), std::vector<std::string>{"alice/vision"});
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?filter=static")), std::vector<std::string>{"alice/site"});
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?filter=gradio&direction=1")),
            (std::vector<std::string>{"alice/vision", "alice/plain"}));
  EXPECT_TRUE(Do("GET", "/api/spaces?filter=nothing").json().empty());
  EXPECT_EQ(Do("GET", "/api/spaces?filter=vision").json()[0]["tags"], json::parse(R"(["gradio","vision","demo"])"));
}

TEST_F(MoveListTest, ExpandSelectsHfFieldsAndRefusesUnknownOnes) {
  CreateWithCommit("vision");
  SetCard("vision", R"({"tags":["vision"],"models":["m/one"],"datasets":"d/one"})");
  Reply r = Do("GET", "/api/spaces?expand[]=likes&expand[]=cardData&expand=models,datasets&expand=runtime");
  ASSERT_EQ(r.status, 200) << r.body;
  json e = r.json()[0];
  EXPECT_EQ(e.size(), 7u) << e.dump();  // _id, id and the five asked for
  EXPECT_EQ(e["id"], "alice/vision");
  EXPECT_TRUE(e.contains("_id"));
  EXPECT_EQ(e["likes"], 0);
  EXPECT_EQ(e["cardData"]["tags"][0], "vision");
  EXPECT_EQ(e["models"], json::parse(R"(["m/one"])"));
  EXPECT_EQ(e["datasets"], json::parse(R"(["d/one"])"));
  EXPECT_EQ(e["runtime"]["stage"], "NO_APP_FILE");
  EXPECT_FALSE(e.contains("sdk"));

  r = Do("GET", "/api/spaces/alice/vision?expand[]=sha&expand[]=siblings&expand[]=subdomain");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["sha"], store_->GetSpace("alice", "vision")->sha);
  EXPECT_EQ(r.json()["siblings"], json::parse(R"([{"rfilename":"app.py"}])"))
      << r.body;
  EXPECT_EQ(r.json()["subdomain"], "alice-vision");
  EXPECT_FALSE(r.json().contains("likes"));

  r = Do("GET", "/api/spaces?expand[]=gitalyUid");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.json()["error"].get<std::string>().find("must be one of"), std::string::npos) << r.body;
  EXPECT_EQ(Do("GET", "/api/spaces/alice/vision?expand=bogus").status, 400);
  EXPECT_EQ(Do("GET", "/api/spaces?full=true&expand=likes").status, 400);
  // full: the info shape for every entry.
  r = Do("GET", "/api/spaces?full=true");
  EXPECT_EQ(r.json()[0]["siblings"], json::parse(R"([{"rfilename":"app.py"}])")) << r.body;
  EXPECT_TRUE(r.json()[0]["cardData"].is_object());
  // A commit's files are listed by git once: with the repository moved
  // away, the listing still answers them from memory.
  std::string repo = repos_.PathOf("alice", "vision");
  std::filesystem::rename(repo, repo + ".away");
  r = Do("GET", "/api/spaces?full=true");
  EXPECT_EQ(r.json()[0]["siblings"], json::parse(R"([{"rfilename":"app.py"}])")) << r.body;
  std::filesystem::rename(repo + ".away", repo);
}

TEST_F(MoveListTest, LinkHeaderCarriesTheQueryToTheNextPage) {
  for (const char* n : {"a1", "a2", "a3", "b1"}) {
    CreateWithCommit(n);
    SetCard(n, R"({"tags":["t"]})");
    clock_.Advance(Millis(1000));
  }
  std::string url = "/api/spaces?limit=2&filter=t&search=e%2Fa&expand[]=likes&direction=-1";
  std::vector<std::string> seen;
  for (int page = 0; page < 5 && !url.empty(); ++page) {
    Reply r = Do("GET", url);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const std::string& id : Ids(r)) seen.push_back(id);
    std::string link = std::string(r.headers.Get("Link").value_or(""));
    url.clear();
    if (!link.empty()) {
      std::string prefix = "<http://hub.test:8080";
      ASSERT_EQ(link.rfind(prefix, 0), 0u) << link;
      EXPECT_NE(link.find("rel=\"next\""), std::string::npos);
      url = link.substr(prefix.size(), link.find('>') - prefix.size());
      EXPECT_NE(url.find("expand[]=likes"), std::string::npos) << url;
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"alice/a3", "alice/a2", "alice/a1"}));
}

TEST_F(MoveListTest, RevisionInfoReportsThatRevisionsCommit) {
  CreateWithCommit("demo");
  std::string first = store_->GetSpace("alice", "demo")->sha;
  Reply r = Do("POST", "/api/spaces/alice/demo/commit/main", alice_write_,
               R"({"key":"header","value":{"summary":"two"}})"
               "\n"
               R"({"key":"file","value":{"path":"b.txt","content":"Yg==","encoding":"base64"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/revision/" + first + "?expand[]=sha").json()["sha"], first);
  EXPECT_NE(Do("GET", "/api/spaces/alice/demo/revision/HEAD").json()["sha"], first);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/revision/nope").status, 404);
  ASSERT_EQ(Create("empty", alice_write_).status, 200);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/empty/revision/HEAD").status, 200);  // nothing pushed yet
}

TEST_F(MoveListTest, LfsLockingAnswersNotImplemented) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  for (const char* path : {"/locks/verify", "/locks", "/locks/7/unlock"}) {
    Reply r = Do("POST", std::string("/spaces/alice/demo.git/info/lfs") + path, alice_write_, R"({"ref":{"name":"x"}})");
    EXPECT_EQ(r.status, 501) << path;
    EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/vnd.git-lfs+json");
    EXPECT_NE(r.json()["message"].get<std::string>().find("not supported"), std::string::npos);
  }
  EXPECT_EQ(Do("GET", "/spaces/alice/demo/info/lfs/locks").status, 501);
  EXPECT_EQ(Do("POST", "/spaces/alice/hidden.git/info/lfs/locks/verify", bob_write_, "{}").status, 404);
  EXPECT_EQ(Do("POST", "/spaces/alice/hidden.git/info/lfs/locks/verify", "", "{}").status, 401);
}

TEST_F(MoveListTest, SleepTimeIsReportedAsStoredNotAsTheControlPlanesOldCopy) {
  ASSERT_EQ(Create("demo", alice_write_, R"(,"sleepTimeSeconds":900)").status, 200);
  control_.info_stage = "RUNNING";
  control_.info_gc_timeout = 900;  // what the running instance was deployed with
  Reply r = Do("POST", "/api/spaces/alice/demo/sleeptime", alice_write_, R"({"seconds":-1})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["gcTimeout"].is_null()) << r.body;
  r = Do("POST", "/api/spaces/alice/demo/sleeptime", alice_write_, R"({"seconds":60})");
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/runtime").json()["gcTimeout"], 60);
}


// The directory behind GET /api/spaces?search= and /api/spaces/search.
TEST_F(MoveListTest, SearchFindsPushedWordsWithPrefixesCountsAndFacets) {
  CreateWithCommit("asr", "---\ntitle: Whisper large\nsdk: gradio\ntags: [audio]\n---\nTranscribes speech.");
  CreateWithCommit("paint", "---\ntitle: Painter\nsdk: gradio\n---\nMentions whisper once, deep down.");
  CreateWithCommit("other", "---\ntitle: Other\nsdk: gradio\n---\nNothing here.");
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?search=whisp")), (std::vector<std::string>{"alice/asr", "alice/paint"}));
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?search=transcribes%20")), std::vector<std::string>{"alice/asr"});
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?search=whisper&filter=audio")), std::vector<std::string>{"alice/asr"});
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?search=whisper%20-painter")), std::vector<std::string>{"alice/asr"});

  Reply r = Do("GET", "/api/spaces/search?search=whisper&limit=1");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(j["exact"], true);
  EXPECT_EQ(j["spaces"].size(), 1u);
  EXPECT_EQ(j["spaces"][0]["id"], "alice/asr");
  EXPECT_EQ(j["facets"]["sdk"]["gradio"], 2);
  EXPECT_NE(j["next"].get<std::string>().find("offset=1"), std::string::npos);

  // A new push re-indexes the words.
  Reply commit = Do("POST", "/api/spaces/alice/other/commit/main", alice_write_,
                    R"({"key":"header","value":{"summary":"words"}})" "\n"
                    R"({"key":"file","value":{"path":"README.md","content":"---\ntitle: Whisper tiny\n---\n"}})");
  ASSERT_EQ(commit.status, 200) << commit.body;
  EXPECT_EQ(Do("GET", "/api/spaces/search?search=whisper").json()["total"], 3);
}

TEST_F(MoveListTest, SearchHidesPrivateSpacesFromStrangersInResultsCountsAndFacets) {
  CreateWithCommit("open", "---\ntitle: Secret sauce\n---\n");
  ASSERT_EQ(Create("closed", alice_write_, R"(,"private":true)").status, 200);
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?search=closed", bob_write_)), std::vector<std::string>{});
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?search=closed", alice_read_)), std::vector<std::string>{"alice/closed"});
  json stranger = Do("GET", "/api/spaces/search?search=alice", bob_write_).json();
  EXPECT_EQ(stranger["total"], 1);
  json owner = Do("GET", "/api/spaces/search?search=alice", alice_read_).json();
  EXPECT_EQ(owner["total"], 2);
}

TEST_F(MoveListTest, ListFiltersBySdkStageAndRefusesBadParameters) {
  CreateWithCommit("g1");
  CreateWithCommit("s1");
  SetCard("s1", "{}", "streamlit");
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?sdk=streamlit")), std::vector<std::string>{"alice/s1"});
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?sdk=streamlit,gradio&direction=1")),
            (std::vector<std::string>{"alice/g1", "alice/s1"}));
  EXPECT_EQ(Ids(Do("GET", "/api/spaces?stage=RUNNING")), std::vector<std::string>{});
  EXPECT_EQ(Do("GET", "/api/spaces?sort=random").status, 400);
  EXPECT_EQ(Do("GET", "/api/spaces?include=everything").status, 400);
  EXPECT_EQ(Do("GET", "/api/spaces?verified=yes").status, 400);
  EXPECT_EQ(Do("GET", "/api/spaces?direction=up").status, 400);
  EXPECT_EQ(Do("GET", "/api/spaces?search=%21%21%21").status, 400);  // nothing to look for
  EXPECT_EQ(Do("GET", "/api/spaces/search").json()["total"], 2);     // a plain listing counts too
}

}  // namespace
}  // namespace spaceport::hub::testing
