#include "hub/hub.h"

#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

TEST_F(HubTest, HealthzMetricsAndUnknownRoutes) {
  Reply r = Do("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["status"], "ok");
  hub_->AddMetricsSource([](std::string* out) { *out += "other_metric 7\n"; });
  EXPECT_EQ(Do("GET", "/api/nope").status, 404);
  r = Do("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("spaceport_hub_requests_total{route=\"GET /healthz\",code=\"200\"} 1"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("route=\"unmatched\",code=\"404\""), std::string::npos);
  EXPECT_NE(r.body.find("other_metric 7\n"), std::string::npos);

  r = Do("GET", "/api/nope");
  EXPECT_EQ(r.json()["error"].get<std::string>().find("no such page"), 0u);
  http::Headers html;
  html.Add("Accept", "text/html");
  r = Do("GET", "/nope/<b>", "", "", html);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<b>"), std::string::npos);
  EXPECT_EQ(Do("GET", "/api/spaces/%zz").status, 400);
}

TEST_F(HubTest, WhoamiNeedsAValidToken) {
  Reply r = Do("GET", "/api/whoami-v2");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate").value_or(""), "Basic realm=\"Spaceport\"");
  EXPECT_FALSE(r.json()["error"].get<std::string>().empty());
  EXPECT_EQ(Do("GET", "/api/whoami-v2", "sp_0000000000000000000000000000000000000000").status, 401);
  r = Do("GET", "/api/whoami-v2", alice_write_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["name"], "alice");
  EXPECT_EQ(r.json()["type"], "user");
  EXPECT_EQ(r.json()["auth"]["accessToken"]["role"], "write");
  EXPECT_EQ(Do("GET", "/api/whoami-v2", alice_read_).json()["auth"]["accessToken"]["role"], "read");
}

TEST_F(HubTest, CreateMakesRepoRowAndTellsTheControlPlane) {
  Reply r = Create("demo", alice_write_, R"(,"hardware":"cpu-upgrade","sleepTimeSeconds":600)");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["url"], "http://hub.test:8080/spaces/alice/demo");
  EXPECT_EQ(r.json()["id"], "alice/demo");
  EXPECT_TRUE(repos_.Exists("alice", "demo"));
  auto space = store_->GetSpace("alice", "demo");
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->stage, "NO_APP_FILE");
  EXPECT_EQ(space->subdomain, "alice-demo");
  EXPECT_EQ(space->hardware, "cpu-upgrade");
  EXPECT_EQ(space->sleep_time_seconds, 600);
  EXPECT_EQ(control_.created, std::vector<std::string>{"alice/demo"});

  EXPECT_EQ(Create("demo", alice_write_).status, 409);
  EXPECT_EQ(Create("alice/second", alice_write_).status, 200);
  EXPECT_TRUE(store_->GetSpace("alice", "second").ok());
}

TEST_F(HubTest, CreateRejectsBadInputAndOtherOwners) {
  EXPECT_EQ(Create("x", "").status, 401);
  EXPECT_EQ(Create("x", alice_read_).status, 403);
  EXPECT_EQ(Create("bob/x", alice_write_).status, 403);
  EXPECT_EQ(Create("x", alice_write_, R"(,"organization":"bob")").status, 403);
  EXPECT_EQ(Create("../etc", alice_write_).status, 400);
  EXPECT_EQ(Create(".hidden", alice_write_).status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_, R"({"type":"model","name":"m"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_, R"({"name":"m","sdk":"gradio"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_, R"({"type":"space","name":"m","sdk":"php"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_, R"({"type":"space","name":5,"sdk":"gradio"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_, "{not json").status, 400);
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_, "[1,2]").status, 400);
  EXPECT_EQ(Create("x", alice_write_, R"(,"secrets":[{"key":"1BAD","value":"v"}])").status, 400);
  EXPECT_EQ(Create("x", alice_write_, R"(,"private":"yes")").status, 400);
  EXPECT_TRUE(control_.created.empty());
  EXPECT_FALSE(repos_.Exists("alice", "x"));
}

TEST_F(HubTest, SubdomainCollisionsAreRejected) {
  ASSERT_EQ(Create("my_app", alice_write_).status, 200);
  Reply r = Create("my-app", alice_write_);
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.json()["error"].get<std::string>().find("alice-my-app"), std::string::npos) << r.body;
  EXPECT_FALSE(repos_.Exists("alice", "my-app"));
}

TEST_F(HubTest, SecretsAreWriteOnlyVariablesAreNot) {
  ASSERT_EQ(Create("demo", alice_write_,
                   R"(,"secrets":[{"key":"API_KEY","value":"s3cret"}],"variables":[{"key":"MODE","value":"fast"}])")
                .status,
            200);
  Reply r = Do("GET", "/api/spaces/alice/demo/secrets", alice_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().contains("API_KEY"));
  EXPECT_EQ(r.body.find("s3cret"), std::string::npos);
  r = Do("GET", "/api/spaces/alice/demo/variables", alice_write_);
  EXPECT_EQ(r.json()["MODE"]["value"], "fast");

  r = Do("POST", "/api/spaces/alice/demo/secrets", alice_write_, R"({"key":"TOKEN","value":"hidden-value"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("hidden-value"), std::string::npos);
  EXPECT_TRUE(r.json().contains("TOKEN"));
  EXPECT_TRUE(control_.restarts.empty());  // nothing built yet: no restart

  auto space = store_->GetSpace("alice", "demo").value();
  space.sha = std::string(40, 'a');
  ASSERT_TRUE(store_->UpdateSpace(space).ok());
  r = Do("DELETE", "/api/spaces/alice/demo/variables", alice_write_, R"({"key":"MODE"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.json().contains("MODE"));
  EXPECT_EQ(control_.restarts, std::vector<std::string>{"alice/demo"});
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/demo/variables", alice_write_, R"({"key":"MODE"})").status, 404);

  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/secrets").status, 401);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/secrets", bob_write_).status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/secrets", alice_read_, R"({"key":"K","value":"v"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/secrets", alice_write_, R"({"key":"a-b","value":"v"})").status, 400);
}

TEST_F(HubTest, PrivateSpacesAreInvisibleToOthers) {
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  ASSERT_EQ(Create("open", alice_write_).status, 200);
  auto ids = [](const Reply& r) {
    std::vector<std::string> out;
    for (const auto& s : r.json()) out.push_back(s["id"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(ids(Do("GET", "/api/spaces")), std::vector<std::string>{"alice/open"});
  EXPECT_EQ(ids(Do("GET", "/api/spaces", bob_write_)), std::vector<std::string>{"alice/open"});
  EXPECT_EQ(ids(Do("GET", "/api/spaces", alice_read_)), (std::vector<std::string>{"alice/hidden", "alice/open"}));
  EXPECT_EQ(Do("GET", "/api/spaces/alice/hidden").status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/hidden", bob_write_).status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/hidden/runtime", bob_write_).status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/hidden/logs/run", bob_write_).status, 404);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/hidden/restart", bob_write_).status, 404);
  Reply r = Do("GET", "/api/spaces/alice/hidden", alice_read_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["private"], true);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/nothing", alice_read_).status, 404);
}

TEST_F(HubTest, ListFiltersAndPaginates) {
  for (const char* n : {"alpha", "beta", "gamma"}) {
    ASSERT_EQ(Create(n, alice_write_).status, 200);
    clock_.Advance(Millis(1000));
  }
  Reply r = Do("GET", "/api/spaces?search=alp");
  ASSERT_EQ(r.json().size(), 1u);
  EXPECT_EQ(r.json()[0]["id"], "alice/alpha");
  EXPECT_EQ(Do("GET", "/api/spaces?author=bob").json().size(), 0u);
  r = Do("GET", "/api/spaces?limit=2&sort=createdAt&direction=-1");
  ASSERT_EQ(r.json().size(), 2u);
  EXPECT_EQ(r.json()[0]["id"], "alice/gamma");
  EXPECT_NE(r.headers.Get("Link").value_or("").find("offset=2"), std::string::npos);
  EXPECT_EQ(Do("GET", "/api/spaces?limit=abc").status, 400);
}

TEST_F(HubTest, InfoAndRuntimeShapes) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  Reply r = Do("GET", "/api/spaces/alice/demo");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = r.json();
  EXPECT_EQ(j["id"], "alice/demo");
  EXPECT_EQ(j["author"], "alice");
  EXPECT_EQ(j["sdk"], "gradio");
  EXPECT_EQ(j["likes"], 0);
  EXPECT_EQ(j["subdomain"], "alice-demo");
  EXPECT_TRUE(j["siblings"].is_array());
  EXPECT_TRUE(j["cardData"].is_object());
  EXPECT_EQ(j["runtime"]["stage"], "NO_APP_FILE");

  control_.info_stage = "RUNTIME_ERROR";
  control_.info_error = "crashed: <boom>";
  r = Do("GET", "/api/spaces/alice/demo/runtime");
  j = r.json();
  EXPECT_EQ(j["stage"], "RUNTIME_ERROR");
  EXPECT_EQ(j["errorMessage"], "crashed: <boom>");
  EXPECT_EQ(j["hardware"]["requested"], "cpu-basic");
  EXPECT_EQ(j["domains"][0]["domain"], "alice-demo.apps.test");
  EXPECT_EQ(j["domains"][0]["stage"], "READY");
  EXPECT_EQ(j["replicas"]["current"], 1);
}

TEST_F(HubTest, RestartPauseNeedTheOwnerWithAWriteToken) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/restart").status, 401);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/restart", bob_write_).status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/restart", alice_read_).status, 403);
  EXPECT_TRUE(control_.restarts.empty());
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/restart?factory=true", alice_write_).status, 200);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/pause", alice_write_).status, 200);
  EXPECT_EQ(control_.restarts, std::vector<std::string>{"alice/demo factory"});
  EXPECT_EQ(control_.pauses, std::vector<std::string>{"alice/demo"});
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/restart", alice_write_).status, 404);  // wrong method
}

TEST_F(HubTest, DeleteRemovesEverything) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  const std::string body = R"({"type":"space","name":"alice/demo"})";
  EXPECT_EQ(Do("DELETE", "/api/repos/delete", bob_write_, body).status, 403);
  EXPECT_EQ(Do("DELETE", "/api/repos/delete", alice_read_, body).status, 403);
  ASSERT_EQ(Do("DELETE", "/api/repos/delete", alice_write_, body).status, 200);
  EXPECT_EQ(control_.removed, std::vector<std::string>{"alice/demo"});
  EXPECT_EQ(logs_.forgotten, std::vector<std::string>{"alice/demo"});
  EXPECT_FALSE(repos_.Exists("alice", "demo"));
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo").status, 404);
  EXPECT_EQ(Do("DELETE", "/api/repos/delete", alice_write_, body).status, 404);
  EXPECT_EQ(Create("demo", alice_write_).status, 200);  // the name is free again
}

}  // namespace
}  // namespace spaceport::hub::testing
