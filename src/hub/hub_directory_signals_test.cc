// Hub tests for the directory's signals in the API: near-copies pushed by
// others are marked duplicateOf and collapsed while declared forks are not;
// archiving; health in the Space's info, GET .../health and an owner's probe;
// trendingScore from likes.
#include "hub/hub.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

std::string AppPy(const std::string& tail = "") {
  std::string s = "import gradio as gr\\n";
  for (int i = 0; i < 30; ++i) s += "def step_" + std::to_string(i) + "(x):\\n    return x + " + std::to_string(i) + "\\n";
  return s + tail;
}

class SignalsApiTest : public HubTest {
 protected:
  Reply CreateApp(const std::string& name, const std::string& token, const std::string& app, const std::string& title) {
    std::string files = R"(,"files":[{"path":"app.py","content":")" + app + R"(","encoding":"utf-8"},)" +
                        R"({"path":"README.md","content":"---\ntitle: )" + title + R"(\nsdk: gradio\n---\n","encoding":"utf-8"}])";
    return Create(name, token, files);
  }
  json Info(const std::string& id) { return Do("GET", "/api/spaces/" + id).json(); }
};

TEST_F(SignalsApiTest, ANearCopyIsMarkedAndCollapsedWhileADeclaredForkIsNot) {
  ASSERT_EQ(CreateApp("counter", alice_write_, AppPy(), "Counter").status, 200);
  clock_.Advance(Millis(1000));
  ASSERT_EQ(CreateApp("my-counter", bob_write_, AppPy("# mine\\n"), "My counter").status, 200);
  clock_.Advance(Millis(1000));
  Reply fork = Do("POST", "/api/spaces/alice/counter/duplicate", bob_write_, R"({"repository":"bob/counter-fork"})");
  ASSERT_EQ(fork.status, 200) << fork.body;

  EXPECT_EQ(Info("bob/my-counter")["duplicateOf"], "alice/counter");
  EXPECT_EQ(Info("bob/counter-fork")["duplicateOf"], nullptr);
  EXPECT_EQ(Info("alice/counter")["duplicateOf"], nullptr);

  Reply r = Do("GET", "/api/spaces/search?search=counter");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids;
  const json body = r.json();
  for (const json& s : body["spaces"]) {
    ids.push_back(s["id"]);
    if (s["id"] == "alice/counter") {
      EXPECT_EQ(s["similar"], 1);
    }
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"alice/counter", "bob/counter-fork"}));
  r = Do("GET", "/api/spaces/search?search=counter&include=duplicates");
  EXPECT_EQ(r.json()["spaces"].size(), 3u);
}

TEST_F(SignalsApiTest, TheOwnerArchivesAndTheSpaceLeavesDefaultResults) {
  ASSERT_EQ(CreateApp("tool", alice_write_, AppPy(), "Tool").status, 200);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/tool/archive", bob_write_).status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/tool/archive", alice_read_).status, 403);
  Reply r = Do("POST", "/api/spaces/alice/tool/archive", alice_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["archived"], true);
  EXPECT_EQ(r.json()["abandoned"], true);
  EXPECT_EQ(Info("alice/tool")["archived"], true);
  EXPECT_EQ(Do("GET", "/api/spaces/search?search=tool").json()["total"], 0);
  EXPECT_EQ(Do("GET", "/api/spaces/search?search=tool&include=abandoned").json()["total"], 1);
  ASSERT_EQ(Do("DELETE", "/api/spaces/alice/tool/archive", alice_write_).status, 200);
  EXPECT_EQ(Do("GET", "/api/spaces/search?search=tool").json()["total"], 1);
}

TEST_F(SignalsApiTest, HealthIsInTheInfoAndAnOwnerMayProbeOnceAMinute) {
  int status = 200;
  prober_ = std::make_unique<directory::Prober>(
      signals_.get(), store_.get(),
      directory::ProberDeps{.target = [](const store::Space&) -> Result<directory::ProbeTarget> {
                              return directory::ProbeTarget{.stage = "RUNNING", .sha = "x", .serving = true};
                            },
                            .send = [&](const store::Space&, const card::ProbeSpec&) {
                              return directory::ProbeAnswer{.status = status, .body = "", .error = ""};
                            }},
      &clock_);
  RemakeHub({});
  ASSERT_EQ(CreateApp("app", alice_write_, AppPy(), "App").status, 200);
  json health = Info("alice/app")["health"];
  EXPECT_EQ(health, json::parse(R"({"verified":false,"lastProbeAt":null,"lastProbeOk":null,"uptime30d":null})"));

  EXPECT_EQ(Do("POST", "/api/spaces/alice/app/health/probe", bob_write_).status, 403);
  Reply r = Do("POST", "/api/spaces/alice/app/health/probe", alice_write_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["verified"], true);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/app/health/probe", alice_write_).status, 429);
  json info = Info("alice/app");
  EXPECT_EQ(info["verified"], true);
  EXPECT_EQ(info["health"]["lastProbeOk"], true);
  EXPECT_EQ(info["health"]["uptime30d"], 1.0);
  EXPECT_EQ(info["health"]["lastProbeAt"], FormatIsoTime(clock_.UnixMillis()));

  status = 503;
  clock_.Advance(Millis(61'000));
  ASSERT_EQ(Do("POST", "/api/spaces/alice/app/health/probe", alice_write_).status, 200);
  r = Do("GET", "/api/spaces/alice/app/health");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["verified"], false);
  EXPECT_EQ(r.json()["lastProbeStatus"], 503);
  EXPECT_EQ(r.json()["lastProbeDetail"], "status 503");
  EXPECT_EQ(r.json()["uptime30d"], 0.5);
}

TEST_F(SignalsApiTest, LikesMakeTheTrendingScore) {
  ASSERT_EQ(CreateApp("liked", alice_write_, AppPy(), "Liked").status, 200);
  EXPECT_EQ(Info("alice/liked")["trendingScore"], 0);
  clock_.Advance(Millis(40LL * 86400 * 1000));  // bob's account is old enough to count fully
  ASSERT_EQ(Do("POST", "/api/spaces/alice/liked/like", bob_write_).status, 200);
  EXPECT_EQ(Info("alice/liked")["trendingScore"], 1);
  Reply list = Do("GET", "/api/spaces?sort=trendingScore&limit=1");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json()[0]["id"], "alice/liked");
  EXPECT_EQ(list.json()[0]["trendingScore"], 1);
}

}  // namespace
}  // namespace spaceport::hub::testing
