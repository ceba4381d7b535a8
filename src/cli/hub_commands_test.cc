// Tests of duplicate, move, like, unlike, hardware and sleeptime against
// FakeHub: the exact requests sent and the output for people and --json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/fake_hub.h"
#include "cli/test_support.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;
using testing::FakeHub;
using testing::RunCli;
using testing::TempDir;

class HubCommandsTest : public testing::FakeHubTest {
 protected:
  json LastBody(const std::string& method, const std::string& target) {
    auto reqs = hub_.RequestsTo(method, target);
    EXPECT_FALSE(reqs.empty()) << method << " " << target;
    return reqs.empty() ? json() : json::parse(reqs.back().body, nullptr, false);
  }
};

constexpr char kRuntime[] = R"({"stage":"RUNNING","hardware":{"current":"cpu-basic","requested":"cpu-upgrade"},)"
                            R"("gcTimeout":3600})";

TEST_F(HubCommandsTest, DuplicateSendsTheHfShapeAndNamesTheMissingSecrets) {
  hub_.Route("POST", "/api/spaces/alice/demo/duplicate", 200,
             R"({"url":"u","id":"bob/copy","missingSecrets":["API_KEY","OTHER"]})");
  auto r = RunCli({"duplicate", "alice/demo", "bob/copy", "--private", "--hardware", "cpu-upgrade", "--sleep-time",
                   "600"},
                  Env());
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = hub_.RequestsTo("POST", "/api/spaces/alice/demo/duplicate");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer sp_test");
  EXPECT_EQ(json::parse(reqs[0].body), json({{"repository", "bob/copy"}, {"private", true},
                                             {"hardware", "cpu-upgrade"}, {"sleepTimeSeconds", 600}}));
  EXPECT_NE(r.out.find("Duplicated alice/demo to bob/copy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spaceport secrets set bob/copy API_KEY\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spaceport secrets set bob/copy OTHER\n"), std::string::npos) << r.out;

  auto j = RunCli({"duplicate", "alice/demo", "bob/copy", "--public", "--sleep-time", "never", "--json"}, Env());
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)["missingSecrets"][0], "API_KEY");
  EXPECT_EQ(LastBody("POST", "/api/spaces/alice/demo/duplicate"),
            json({{"repository", "bob/copy"}, {"private", false}, {"sleepTimeSeconds", -1}}));
}

TEST_F(HubCommandsTest, DuplicateChecksItsArgumentsBeforeCallingTheServer) {
  EXPECT_EQ(RunCli({"duplicate", "alice/demo"}, Env()).code, 2);
  EXPECT_EQ(RunCli({"duplicate", "alice/demo", "not-an-id"}, Env()).code, 2);
  EXPECT_EQ(RunCli({"duplicate", "alice/demo", "bob/x", "--sleep-time", "soon"}, Env()).code, 2);
  auto anon = RunCli({"duplicate", "alice/demo", "bob/x"}, Env(false));
  EXPECT_EQ(anon.code, 1);
  EXPECT_TRUE(hub_.Requests().empty());
  hub_.Route("POST", "/api/spaces/alice/demo/duplicate", 409, R"({"error":"You already created the Space bob/x"})");
  auto clash = RunCli({"duplicate", "alice/demo", "bob/x"}, Env());
  EXPECT_EQ(clash.code, 1);
  EXPECT_EQ(clash.err, "error: You already created the Space bob/x (HTTP 409)\n");
}

TEST_F(HubCommandsTest, MoveSendsFromAndToRepo) {
  hub_.Route("POST", "/api/repos/move", 200, R"({"url":"u","id":"alice/new"})");
  auto r = RunCli({"move", "alice/old", "alice/new"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(LastBody("POST", "/api/repos/move"),
            json({{"fromRepo", "alice/old"}, {"toRepo", "alice/new"}, {"type", "space"}}));
  EXPECT_NE(r.out.find("Moved alice/old to alice/new"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(hub_.url() + "/spaces/alice/new"), std::string::npos) << r.out;
  auto j = RunCli({"move", "alice/old", "alice/new", "--json"}, Env());
  ASSERT_EQ(j.code, 0);
  EXPECT_EQ(json::parse(j.out)["id"], "alice/new");
  EXPECT_EQ(RunCli({"move", "alice/old"}, Env()).code, 2);
}

TEST_F(HubCommandsTest, LikeAndUnlike) {
  hub_.Route("POST", "/api/spaces/alice/demo/like", 200, R"({"likes":3})");
  hub_.Route("DELETE", "/api/spaces/alice/demo/like", 200, R"({"likes":2})");
  auto like = RunCli({"like", "alice/demo"}, Env());
  ASSERT_EQ(like.code, 0) << like.err;
  EXPECT_EQ(like.out, "Liked alice/demo (3 likes)\n");
  auto unlike = RunCli({"unlike", "alice/demo", "--json"}, Env());
  ASSERT_EQ(unlike.code, 0) << unlike.err;
  EXPECT_EQ(json::parse(unlike.out), json({{"likes", 2}}));
  EXPECT_EQ(hub_.RequestsTo("DELETE", "/api/spaces/alice/demo/like").size(), 1u);
}

TEST_F(HubCommandsTest, HardwareShowsOrRequests) {
  hub_.Route("GET", "/api/spaces/alice/demo/runtime", 200, kRuntime);
  hub_.Route("GET", "/api/spaces/hardware", 200, R"([{"name":"cpu-basic"},{"name":"cpu-upgrade"}])");
  auto show = RunCli({"hardware", "alice/demo"}, Env());
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(show.out, "alice/demo: hardware cpu-upgrade, sleeps after 3600 s idle\noffered: cpu-basic cpu-upgrade\n");
  auto show_json = RunCli({"hardware", "alice/demo", "--json"}, Env());
  EXPECT_EQ(json::parse(show_json.out), json::parse(kRuntime));

  hub_.Route("POST", "/api/spaces/alice/demo/hardware", 200, kRuntime);
  auto set = RunCli({"hardware", "alice/demo", "cpu-upgrade", "--sleep-time", "3600"}, Env());
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(LastBody("POST", "/api/spaces/alice/demo/hardware"),
            json({{"flavor", "cpu-upgrade"}, {"sleepTimeSeconds", 3600}}));
  EXPECT_EQ(set.out, "Requested. alice/demo: hardware cpu-upgrade, sleeps after 3600 s idle\n");
  hub_.Route("POST", "/api/spaces/alice/demo/hardware", 400, R"({"error":"unknown flavor"})");
  EXPECT_EQ(RunCli({"hardware", "alice/demo", "a100"}, Env()).code, 1);
}

TEST_F(HubCommandsTest, SleepTimeTakesSecondsOrNever) {
  hub_.Route("POST", "/api/spaces/alice/demo/sleeptime", 200, R"({"stage":"RUNNING","gcTimeout":null})");
  auto r = RunCli({"sleeptime", "alice/demo", "never"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(LastBody("POST", "/api/spaces/alice/demo/sleeptime"), json({{"seconds", -1}}));
  EXPECT_EQ(r.out, "alice/demo: hardware ?, sleeps after never idle\n");
  ASSERT_EQ(RunCli({"sleeptime", "alice/demo", "--", "-1"}, Env()).code, 0);
  ASSERT_EQ(RunCli({"sleeptime", "alice/demo", "300", "--json"}, Env()).code, 0);
  EXPECT_EQ(LastBody("POST", "/api/spaces/alice/demo/sleeptime"), json({{"seconds", 300}}));
  EXPECT_EQ(RunCli({"sleeptime", "alice/demo", "-5"}, Env()).code, 2);
  EXPECT_EQ(RunCli({"sleeptime", "alice/demo", "later"}, Env()).code, 2);
  EXPECT_EQ(hub_.RequestsTo("POST", "/api/spaces/alice/demo/sleeptime").size(), 3u);
}

TEST_F(HubCommandsTest, SpacesFiltersByTagAndSorts) {
  hub_.Route("GET", "/api/spaces?sort=likes&filter=vision", 200, R"([{"id":"alice/demo","sdk":"gradio","likes":3}])");
  auto r = RunCli({"spaces", "--tag", "vision", "--sort", "likes"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("alice/demo"), std::string::npos) << r.out;
  EXPECT_EQ(hub_.RequestsTo("GET", "/api/spaces?sort=likes&filter=vision").size(), 1u);
}

}  // namespace
}  // namespace spaceport::cli
