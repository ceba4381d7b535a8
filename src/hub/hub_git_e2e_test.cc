// Real `git push` and `git clone` against the Hub behind a real EdgeServer.
#include "core/subprocess.h"
#include "edge/edge_server.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

class HubGitEndToEnd : public HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    edge::EdgeOptions options;
    options.listen_port = 0;
    options.threads = 1;
    options.apps_domain = "apps.test";
    auto started =
        edge::EdgeServer::Start(options, &routes_, hub_.get(), real_clock_.get(), edge::EdgeAccess::AllowAllForTests());
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    edge_ = std::move(started).value();
  }
  void TearDown() override {
    if (edge_) edge_->Stop();
    HubTest::TearDown();
  }

  CommandResult Git(const std::string& script) {
    CommandOptions o;
    o.argv = {"sh", "-c", script};
    o.cwd = dir_;
    o.env = {{"GIT_AUTHOR_NAME", "a"},     {"GIT_AUTHOR_EMAIL", "a@x"}, {"GIT_COMMITTER_NAME", "a"},
             {"GIT_COMMITTER_EMAIL", "a@x"}, {"HOME", dir_},            {"GIT_CONFIG_NOSYSTEM", "1"},
             {"GIT_TERMINAL_PROMPT", "0"}};
    o.timeout = Millis(60000);
    auto r = RunCommand(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  std::string Url(const std::string& user, const std::string& token, const std::string& space) {
    std::string auth = user.empty() ? "" : user + ":" + token + "@";
    return "http://" + auth + "127.0.0.1:" + std::to_string(edge_->port()) + "/spaces/" + space;
  }

  std::unique_ptr<Clock> real_clock_ = MakeRealClock();
  runtime::RouteTable routes_;
  std::unique_ptr<edge::EdgeServer> edge_;
};

TEST_F(HubGitEndToEnd, PushThenClone) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  CommandResult r = Git("git init -q -b main w && cd w && printf 'hello\\n' > app.py && git add . && "
                        "git commit -q -m first && git push -q " + Url("alice", alice_write_, "alice/demo") +
                        " main && git rev-parse HEAD");
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  std::string sha = r.stdout_data.substr(0, 40);
  EXPECT_EQ(control_.pushes, std::vector<std::string>{"alice/demo@" + sha});

  r = Git("git clone -q " + Url("", "", "alice/demo") + " c && cat c/app.py");
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "hello\n");

  r = Git("cd w && git commit -q --allow-empty -m second && git push -q " + Url("bob", bob_write_, "alice/demo") +
          " main");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.stderr_data.find("403"), std::string::npos) << r.stderr_data;
  r = Git("cd w && git push -q " + Url("", "", "alice/demo") + " main");
  EXPECT_NE(r.exit_code, 0);  // anonymous: asked for credentials, has none
  EXPECT_EQ(control_.pushes.size(), 1u);
}

}  // namespace
}  // namespace spaceport::hub::testing
