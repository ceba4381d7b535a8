// `spaceport push` against FakeHub with a real git work tree. The git push
// itself is observed through the injected command runner (FakeHub does not
// speak git), except in RealGitSendsTheTokenAsBasicAuth.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/build_watch.h"
#include "cli/fake_hub.h"
#include "cli/git_push.h"
#include "cli/test_support.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

using testing::CannedResponse;
using testing::RunCliWith;

std::string Git(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir, "-c", "user.name=T", "-c", "user.email=t@example.com"};
  argv.insert(argv.end(), args.begin(), args.end());
  Result<std::string> r = RunSimple(argv);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::string(Trim(*r)) : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class PushTest : public testing::FakeHubTest {
 protected:
  void SetUp() override {
    repo_ = dir_.path() + "/app";
    Git(dir_.path(), {"init", "-q", "-b", "main", repo_});
    std::ofstream(repo_ + "/README.md") << "---\nsdk: static\n---\n";
    Git(repo_, {"add", "."});
    Git(repo_, {"commit", "-q", "-m", "first"});
    sha_ = Git(repo_, {"rev-parse", "HEAD"});
    hub_.Route("GET", "/api/whoami-v2", 200, R"({"name":"alice"})");
    deps_.clock = &clock_;
    deps_.sleep = [this](Millis d) { clock_.Advance(d); };
    deps_.run_command = [this](const CommandOptions& o) -> Result<CommandResult> {
      if (std::find(o.argv.begin(), o.argv.end(), "push") == o.argv.end()) return RunCommand(o);
      pushes_.push_back(o);
      if (o.on_output) o.on_output("To " + o.argv[4] + "\n");
      CommandResult ok;
      ok.exit_code = push_exit_code_;
      return ok;
    };
  }
  std::string Runtime(const std::string& stage, const std::string& sha, const std::string& extra = "") {
    return R"({"stage":")" + stage + R"(","sha":")" + sha + "\"" + extra + "}";
  }

  std::string repo_;
  std::string sha_;
  FakeClock clock_;
  ClientDeps deps_;
  std::vector<CommandOptions> pushes_;
  int push_exit_code_ = 0;
};

TEST_F(PushTest, PushesHeadWithBasicAuthAndWaitsForTheNewBuild) {
  std::string ok_extra = R"(,"domains":[{"domain":"alice-demo.localhost","stage":"READY"}])";
  hub_.Route("GET", "/api/spaces/alice/demo/runtime",
             std::vector<CannedResponse>{{200, Runtime("RUNNING", "oldsha")},  // the previous deploy
                                         {200, Runtime("BUILDING", "oldsha")},
                                         {200, Runtime("RUNNING", sha_, ok_extra)}});
  hub_.Route("GET", "/api/spaces/alice/demo/logs/build",
             {{200, "data: {\"data\":\"copying files\",\"timestamp\":\"t1\"}\n\n", "text/event-stream"}});
  auto r = RunCliWith({"push", repo_, "--space", "alice/demo"}, Env(), deps_);
  ASSERT_EQ(r.code, 0) << r.err << r.out;

  ASSERT_EQ(pushes_.size(), 1u);
  EXPECT_EQ(pushes_[0].argv, (std::vector<std::string>{"git", "-C", repo_, "push", hub_.url() + "/spaces/alice/demo",
                                                       "HEAD:refs/heads/main"}));
  EXPECT_EQ(pushes_[0].env.at("GIT_CONFIG_KEY_0"), "http.extraHeader");
  EXPECT_EQ(pushes_[0].env.at("GIT_CONFIG_VALUE_0"), "Authorization: Basic " + Base64Encode("alice:sp_test"));
  EXPECT_EQ(ReadFile(repo_ + "/.git/config").find("sp_test"), std::string::npos);
  EXPECT_EQ(r.out.find("sp_test"), std::string::npos);
  EXPECT_EQ(r.err.find("sp_test"), std::string::npos);

  EXPECT_NE(r.err.find("To " + hub_.url() + "/spaces/alice/demo"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("copying files\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stage: BUILDING\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stage: RUNNING\n"), std::string::npos) << r.out;
  std::string port = hub_.url().substr(hub_.url().rfind(':') + 1);
  EXPECT_NE(r.out.find("  " + hub_.url() + "/spaces/alice/demo/app/\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  http://alice-demo.localhost:" + port + "/\n"), std::string::npos) << r.out;
  EXPECT_GE(hub_.RequestsTo("GET", "/api/spaces/alice/demo/runtime").size(), 3u);
}

TEST_F(PushTest, BuildErrorExitsOneWithTheMessage) {
  hub_.Route("GET", "/api/spaces/alice/demo/runtime",
             std::vector<CannedResponse>{{200, Runtime("BUILDING", "")},
                                         {200, Runtime("BUILD_ERROR", sha_, R"(,"errorMessage":"pip failed")")}});
  hub_.Route("GET", "/api/spaces/alice/demo/logs/build", 404, R"({"error":"no build log"})");
  auto env = Env();
  env["SPACEPORT_TTY"] = "1";
  auto r = RunCliWith({"push", repo_, "--space", "alice/demo"}, env, deps_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: alice/demo is BUILD_ERROR:\npip failed"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\r\033[K[BUILDING 0s]"), std::string::npos) << r.out;
}

TEST_F(PushTest, JsonGivesOneObject) {
  hub_.Route("GET", "/api/spaces/alice/demo/runtime", 200, Runtime("RUNNING", sha_));
  auto r = RunCliWith({"push", repo_, "--space", "alice/demo", "--json"}, Env(), deps_);
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["sha"], sha_);
  EXPECT_EQ(j["stage"], "RUNNING");
  EXPECT_EQ(j["urls"][0], hub_.url() + "/spaces/alice/demo/app/");
}

TEST_F(PushTest, TimesOut) {
  hub_.Route("GET", "/api/spaces/alice/demo/runtime", 200, Runtime("BUILDING", ""));
  hub_.Route("GET", "/api/spaces/alice/demo/logs/build", 404, "{}");
  auto r = RunCliWith({"push", repo_, "--space", "alice/demo", "--timeout", "3"}, Env(), deps_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: timed out after 3s waiting for alice/demo (stage BUILDING)"), std::string::npos)
      << r.err;
}

TEST_F(PushTest, SpaceFromRemoteAndNoWait) {
  Git(repo_, {"remote", "add", "spaceport", "http://elsewhere:8080/spaces/bob/app.git"});
  auto r = RunCliWith({"push", repo_, "--no-wait"}, Env(), deps_);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(pushes_.size(), 1u);
  // The token goes to the configured server, whatever the remote's host.
  EXPECT_EQ(pushes_[0].argv[4], hub_.url() + "/spaces/bob/app");
  EXPECT_NE(r.out.find("Pushed " + sha_.substr(0, 12) + " to bob/app"), std::string::npos) << r.out;
  EXPECT_TRUE(hub_.RequestsTo("GET", "/api/spaces/bob/app/runtime").empty());
}

TEST_F(PushTest, ExplainsMissingSpaceRepoAndCommits) {
  auto none = RunCliWith({"push", repo_}, Env(), deps_);
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("no Space given"), std::string::npos) << none.err;

  auto plain = RunCliWith({"push", dir_.path(), "--space", "a/b"}, Env(), deps_);
  EXPECT_EQ(plain.code, 1);
  EXPECT_NE(plain.err.find("is not a git repository"), std::string::npos) << plain.err;

  std::string empty = dir_.path() + "/empty";
  Git(dir_.path(), {"init", "-q", empty});
  auto fresh = RunCliWith({"push", empty, "--space", "a/b"}, Env(), deps_);
  EXPECT_EQ(fresh.code, 1);
  EXPECT_NE(fresh.err.find("has no commits yet"), std::string::npos) << fresh.err;

  auto missing = RunCliWith({"push", dir_.path() + "/nope", "--space", "a/b"}, Env(), deps_);
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(pushes_.empty());
}

TEST_F(PushTest, GitFailureIsReported) {
  push_exit_code_ = 128;
  auto r = RunCliWith({"push", repo_, "--space", "alice/demo"}, Env(), deps_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("git push to " + hub_.url() + "/spaces/alice/demo failed (exit 128)"), std::string::npos)
      << r.err;
}

// Real git against FakeHub: the first smart-HTTP request must carry the token.
TEST_F(PushTest, RealGitSendsTheTokenAsBasicAuth) {
  hub_.Route("GET", "/spaces/alice/demo/info/refs?service=git-receive-pack", 403, "forbidden");
  deps_.run_command = [](const CommandOptions& o) { return RunCommand(o); };
  auto r = RunCliWith({"push", repo_, "--space", "alice/demo", "--no-wait"}, Env(), deps_);
  EXPECT_EQ(r.code, 1);
  auto reqs = hub_.RequestsTo("GET", "/spaces/alice/demo/info/refs?service=git-receive-pack");
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].Header("Authorization"), "Basic " + Base64Encode("alice:sp_test"));
  EXPECT_EQ(ReadFile(repo_ + "/.git/config").find("Authorization"), std::string::npos);
}

TEST(SpaceIdFromUrlTest, Forms) {
  EXPECT_EQ(SpaceIdFromUrl("http://h:1/spaces/a/b"), "a/b");
  EXPECT_EQ(SpaceIdFromUrl("http://h:1/spaces/a/b.git/"), "a/b");
  EXPECT_EQ(SpaceIdFromUrl("http://h:1/other/a/b"), std::nullopt);
  EXPECT_EQ(SpaceIdFromUrl("http://h:1/spaces/a"), std::nullopt);
}

TEST(ClassifyStageTest, Kinds) {
  EXPECT_EQ(ClassifyStage("RUNNING_BUILDING"), StageKind::kBuilding);
  EXPECT_EQ(ClassifyStage("NO_APP_FILE"), StageKind::kFailed);
  EXPECT_EQ(ClassifyStage("RUNNING"), StageKind::kSucceeded);
  EXPECT_EQ(ClassifyStage("PAUSED"), StageKind::kStopped);
  EXPECT_EQ(ClassifyStage(""), StageKind::kWaiting);
}

}  // namespace
}  // namespace spaceport::cli
