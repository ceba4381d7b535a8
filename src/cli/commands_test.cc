// End-to-end tests of the client commands against FakeHub: the exact
// requests sent and the output for people (default) and scripts (--json).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/fake_hub.h"
#include "cli/test_support.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;
using testing::FakeHub;
using testing::RunCli;
using testing::TempDir;

class CommandsTest : public testing::FakeHubTest {
 protected:
  static json Body(const testing::RecordedRequest& r) { return json::parse(r.body, nullptr, false); }
};

TEST_F(CommandsTest, LoginVerifiesSavesPrivatelyThenWhoamiAndLogout) {
  hub_.Route("GET", "/api/whoami-v2", 200, R"({"name":"alice","orgs":[{"name":"lab"}]})");
  auto login = RunCli({"login"}, Env(false), "sp_tok123\n");
  ASSERT_EQ(login.code, 0) << login.err;
  EXPECT_EQ(login.out, "Logged in as alice at " + hub_.url() + "\n");
  auto reqs = hub_.RequestsTo("GET", "/api/whoami-v2");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer sp_tok123");
  struct stat st;
  ASSERT_EQ(stat((dir_.path() + "/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // whoami now uses the saved token, even with SPACEPORT_URL unset.
  auto env = Env(false);
  env.erase("SPACEPORT_URL");
  auto who = RunCli({"whoami"}, env);
  ASSERT_EQ(who.code, 0) << who.err;
  EXPECT_EQ(who.out, "alice at " + hub_.url() + "\norgs: lab\n");
  EXPECT_EQ(hub_.RequestsTo("GET", "/api/whoami-v2").back().Header("Authorization"), "Bearer sp_tok123");

  auto out = RunCli({"logout"}, env);
  EXPECT_EQ(out.code, 0);
  EXPECT_EQ(out.out, "Logged out of " + hub_.url() + "\n");
  std::ifstream f(dir_.path() + "/config.json");
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_EQ(text.str().find("sp_tok123"), std::string::npos);
  auto after = RunCli({"whoami"}, Env(false));
  EXPECT_EQ(after.code, 1);
  EXPECT_NE(after.err.find("not logged in"), std::string::npos);
}

TEST_F(CommandsTest, LoginWithRejectedTokenSavesNothing) {
  hub_.Route("GET", "/api/whoami-v2", 401, R"({"error":"invalid token"})");
  auto r = RunCli({"login", "--token", "bad"}, Env(false));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: token not accepted: invalid token (HTTP 401)\n");
  struct stat st;
  EXPECT_NE(stat((dir_.path() + "/config.json").c_str(), &st), 0);
}

TEST_F(CommandsTest, CreateSendsRepoBodyAndPrintsUrls) {
  hub_.Route("POST", "/api/repos/create", 200, R"({"url":")" + hub_.url() + R"(/spaces/alice/demo","id":"alice/demo"})");
  auto r = RunCli({"create", "alice/demo", "--sdk", "gradio", "--private", "--hardware", "cpu-basic"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = hub_.RequestsTo("POST", "/api/repos/create");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer sp_test");
  EXPECT_EQ(reqs[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(Body(reqs[0]), json({{"type", "space"}, {"name", "demo"}, {"organization", "alice"}, {"sdk", "gradio"},
                                 {"private", true}, {"hardware", "cpu-basic"}}));
  EXPECT_NE(r.out.find("git remote: " + hub_.url() + "/spaces/alice/demo\n"), std::string::npos) << r.out;

  auto j = RunCli({"create", "alice/demo", "--sdk", "static", "--json"}, Env());
  ASSERT_EQ(j.code, 0);
  EXPECT_EQ(json::parse(j.out)["id"], "alice/demo");
  EXPECT_EQ(Body(hub_.RequestsTo("POST", "/api/repos/create").back())["private"], false);
}

TEST_F(CommandsTest, ServerErrorsBecomeOneLine) {
  hub_.Route("GET", "/api/spaces/alice/gone/runtime", 404, R"({"error":"Space alice/gone not found"})");
  auto r = RunCli({"status", "alice/gone"}, Env());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: Space alice/gone not found (HTTP 404)\n");
  hub_.Route("POST", "/api/spaces/alice/x/pause", 500, "not json");
  auto p = RunCli({"pause", "alice/x"}, Env());
  EXPECT_EQ(p.code, 1);
  EXPECT_NE(p.err.find("(HTTP 500)"), std::string::npos) << p.err;
}

TEST_F(CommandsTest, StatusHumanAndJson) {
  std::string runtime = R"({"stage":"RUNNING","hardware":{"current":"cpu-basic","requested":"cpu-basic"},)"
                        R"("sha":"abc123","domains":[{"domain":"alice-demo.localhost","stage":"READY"}],)"
                        R"("rung":"frozen","lastWakeMs":4})";
  hub_.Route("GET", "/api/spaces/alice/demo/runtime", 200, runtime);
  auto r = RunCli({"status", "alice/demo"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  std::string port = hub_.url().substr(hub_.url().rfind(':') + 1);
  EXPECT_NE(r.out.find("stage:    RUNNING\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hardware: cpu-basic\n"), std::string::npos);
  EXPECT_NE(r.out.find("sha:      abc123\n"), std::string::npos);
  EXPECT_NE(r.out.find("rung:     frozen (last wake 4 ms)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(hub_.url() + "/spaces/alice/demo/app/"), std::string::npos);
  EXPECT_NE(r.out.find("http://alice-demo.localhost:" + port + "/"), std::string::npos);
  auto j = RunCli({"status", "alice/demo", "--json"}, Env());
  ASSERT_EQ(j.code, 0);
  EXPECT_EQ(json::parse(j.out), json::parse(runtime));
}

TEST_F(CommandsTest, SecretsSetReadsValueFromStdin) {
  hub_.Route("POST", "/api/spaces/alice/demo/secrets", 200, "{}");
  auto r = RunCli({"secrets", "set", "alice/demo", "API_KEY"}, Env(), "s3cret-value\n");
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = hub_.RequestsTo("POST", "/api/spaces/alice/demo/secrets");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer sp_test");
  EXPECT_EQ(Body(reqs[0]), json({{"key", "API_KEY"}, {"value", "s3cret-value"}}));
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos);

  auto multi = RunCli({"secrets", "set", "alice/demo", "PEM"}, Env(), "line1\nline2\n");
  ASSERT_EQ(multi.code, 0);
  EXPECT_EQ(Body(hub_.RequestsTo("POST", "/api/spaces/alice/demo/secrets").back())["value"], "line1\nline2");
}

TEST_F(CommandsTest, SecretsListHidesValuesVarsShowThem) {
  hub_.Route("GET", "/api/spaces/alice/demo/secrets", 200, R"({"API_KEY":{"updatedAt":"x"}})");
  hub_.Route("GET", "/api/spaces/alice/demo/variables", 200, R"({"MODEL":{"value":"tiny","description":""}})");
  auto s = RunCli({"secrets", "list", "alice/demo"}, Env());
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(s.out, "API_KEY\n");
  auto v = RunCli({"vars", "list", "alice/demo"}, Env());
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(v.out, "MODEL=tiny\n");
}

TEST_F(CommandsTest, RemoveSendsDeleteWithKeyBody) {
  hub_.Route("DELETE", "/api/spaces/alice/demo/variables", 200, "{}");
  auto r = RunCli({"vars", "rm", "alice/demo", "MODEL"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = hub_.RequestsTo("DELETE", "/api/spaces/alice/demo/variables");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(Body(reqs[0]), json({{"key", "MODEL"}}));
}

TEST_F(CommandsTest, VarsSetTakesValueArgument) {
  hub_.Route("POST", "/api/spaces/alice/demo/variables", 200, "{}");
  auto r = RunCli({"vars", "set", "alice/demo", "MODEL", "big"}, Env(), "ignored");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Body(hub_.RequestsTo("POST", "/api/spaces/alice/demo/variables")[0]),
            json({{"key", "MODEL"}, {"value", "big"}}));
}

TEST_F(CommandsTest, DeleteAsksForTheName) {
  hub_.Route("DELETE", "/api/repos/delete", 200, "{}");
  auto no = RunCli({"delete", "alice/demo"}, Env(), "alice/other\n");
  EXPECT_EQ(no.code, 1);
  EXPECT_NE(no.err.find("nothing was deleted"), std::string::npos);
  EXPECT_TRUE(hub_.RequestsTo("DELETE", "/api/repos/delete").empty());
  auto yes = RunCli({"delete", "alice/demo"}, Env(), "alice/demo\n");
  ASSERT_EQ(yes.code, 0) << yes.err;
  auto reqs = hub_.RequestsTo("DELETE", "/api/repos/delete");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(Body(reqs[0]), json({{"type", "space"}, {"name", "demo"}, {"organization", "alice"}}));
  EXPECT_EQ(RunCli({"delete", "alice/demo", "--yes"}, Env()).code, 0);
  EXPECT_EQ(hub_.RequestsTo("DELETE", "/api/repos/delete").size(), 2u);
}

TEST_F(CommandsTest, RestartFactoryAndPause) {
  hub_.Route("POST", "/api/spaces/alice/demo/restart?factory=true", 200, "{}");
  hub_.Route("POST", "/api/spaces/alice/demo/pause", 200, R"({"stage":"PAUSED"})");
  EXPECT_EQ(RunCli({"restart", "alice/demo", "--factory"}, Env()).code, 0);
  EXPECT_EQ(hub_.RequestsTo("POST", "/api/spaces/alice/demo/restart?factory=true").size(), 1u);
  auto p = RunCli({"pause", "alice/demo", "--json"}, Env());
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(json::parse(p.out)["stage"], "PAUSED");
}

TEST_F(CommandsTest, SpacesListingQueryAndTable) {
  hub_.Route("GET", "/api/spaces?author=alice&search=hello%20world&limit=5", 200,
             R"([{"id":"alice/demo","sdk":"gradio","likes":3,"private":"odd"}])");
  auto r = RunCli({"spaces", "--author", "alice", "--search", "hello world", "--limit", "5"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("alice/demo"), std::string::npos);
  EXPECT_NE(r.out.find("3 likes"), std::string::npos);
  hub_.Route("GET", "/api/spaces", 200, "[]");
  EXPECT_EQ(RunCli({"spaces"}, Env()).out, "No Spaces found.\n");
}

TEST_F(CommandsTest, LogsPrintsTailAndStopsWhenQuiet) {
  std::string sse = "data: {\"data\":\"booting\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"}\n\n"
                    ": keepalive\n\n"
                    "data: {\"data\":\"listening on 7860\\n\",\"timestamp\":\"2026-01-01T00:00:01.000Z\"}\n\n";
  hub_.Route("GET", "/api/spaces/alice/demo/logs/run", {{200, sse, "text/event-stream", 1500}});
  auto r = RunCli({"logs", "alice/demo"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "booting\nlistening on 7860\n");
  auto reqs = hub_.RequestsTo("GET", "/api/spaces/alice/demo/logs/run");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Accept"), "text/event-stream");

  hub_.Route("GET", "/api/spaces/alice/demo/logs/build", {{200, sse, "text/event-stream"}});
  auto j = RunCli({"logs", "alice/demo", "--build", "--json"}, Env());
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out.substr(0, j.out.find('\n')))["data"], "booting");
}

}  // namespace
}  // namespace spaceport::cli

namespace spaceport::cli {
namespace {

// Whatever the server sends, every command ends with 0, 1 or 2 and an
// "error: " line on failure; nothing throws or crashes.
TEST(HostileServerTest, OddBodiesNeverCrash) {
  const std::vector<std::string> bodies = {"", "[1,2", "null", "7", R"("str")", R"([{"id":5},3,null])",
                                           R"({"stage":5,"hardware":7,"domains":"x","sha":[],"orgs":{}})",
                                           R"({"domains":[{"domain":9},{}],"hardware":{"current":1}})",
                                           R"({"A":null,"B":[1],"C":{"value":3}})",
                                           "\xff\xfe invalid utf8"};
  const std::vector<std::vector<std::string>> commands = {
      {"whoami"}, {"status", "a/b"}, {"spaces"}, {"secrets", "list", "a/b"}, {"vars", "list", "a/b"},
      {"create", "a/b", "--sdk", "static"}, {"restart", "a/b"}, {"logs", "a/b"}, {"login", "--token", "t"}};
  for (int status : {200, 500}) {
    for (const std::string& body : bodies) {
      FakeHub hub;
      hub.SetDefault({status, body});
      testing::TempDir dir;
      std::map<std::string, std::string> env = {{"SPACEPORT_URL", hub.url()}, {"SPACEPORT_TOKEN", "t"},
                                                {"SPACEPORT_CONFIG", dir.path() + "/c.json"}};
      for (const auto& cmd : commands) {
        for (bool json : {false, true}) {
          auto args = cmd;
          if (json) args.push_back("--json");
          auto r = testing::RunCli(args, env);
          EXPECT_TRUE(r.code == 0 || r.code == 1) << cmd[0] << " " << body << " -> " << r.code << r.err;
          if (r.code != 0) {
            EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
          }
          EXPECT_EQ(r.err.find("internal error"), std::string::npos) << cmd[0] << " " << body << ": " << r.err;
        }
      }
    }
  }
}

}  // namespace
}  // namespace spaceport::cli
