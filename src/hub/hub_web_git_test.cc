// Hub tests for the log streams, git smart HTTP and the web UI.
#include <cstdio>

#include "core/strings.h"
#include "core/subprocess.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

runtime::LogLine Line(uint64_t seq, std::string text) { return runtime::LogLine{seq, 1'700'000'000'000, text}; }

TEST_F(HubTest, LogsStreamTailThenFollowAsServerSentEvents) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  logs_.tail = {Line(1, "installing"), Line(2, "say \"hi\"")};
  logs_.later = {Line(3, "ready")};
  gone_after_writes_ = 4;  // tail batch, connected comment, one line, one keep-alive
  Reply r = Do("GET", "/api/spaces/alice/demo/logs/build");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "text/event-stream");
  EXPECT_EQ(r.headers.Get("Cache-Control").value_or(""), "no-cache");
  EXPECT_EQ(logs_.last_kind, runtime::LogKind::kBuild);
  EXPECT_NE(r.body.find("data: {\"data\":\"installing\\n\",\"timestamp\":\"2023-11-14T22:13:20.000Z\"}\n\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"(say \"hi\"\n)"), std::string::npos);
  size_t ready = r.body.find("\"data\":\"ready\\n\"");
  size_t keep_alive = r.body.find(": keep-alive\n\n");
  EXPECT_NE(ready, std::string::npos);
  EXPECT_NE(keep_alive, std::string::npos);
  EXPECT_LT(ready, keep_alive);
  ASSERT_GE(logs_.waits_after.size(), 2u);
  EXPECT_EQ(logs_.waits_after[0], 2u);  // follows after the tail
  EXPECT_EQ(logs_.waits_after[1], 3u);
}

std::string PktLine(const std::string& payload) {
  char len[5];
  snprintf(len, sizeof len, "%04zx", payload.size() + 4);
  return len + payload;
}

http::Headers Basic(const std::string& user, const std::string& token) {
  http::Headers h;
  h.Add("Authorization", "Basic " + Base64Encode(user + ":" + token));
  return h;
}

TEST_F(HubTest, GitAccessRules) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  ASSERT_EQ(Create("secret", alice_write_, R"(,"private":true)").status, 200);
  const std::string push = "/spaces/alice/demo.git/info/refs?service=git-receive-pack";
  const std::string fetch = "/spaces/alice/demo/info/refs?service=git-upload-pack";
  Reply r = Do("GET", push);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate").value_or(""), "Basic realm=\"Spaceport\"");
  EXPECT_EQ(Do("GET", push, "", "", Basic("bob", bob_write_)).status, 403);
  EXPECT_EQ(Do("GET", push, "", "", Basic("alice", alice_read_)).status, 403);
  EXPECT_EQ(Do("GET", push, "", "", Basic("alice", "sp_bad")).status, 401);
  r = Do("GET", push, "", "", Basic("alice", alice_write_));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/x-git-receive-pack-advertisement");

  r = Do("GET", fetch);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("# service=git-upload-pack"), std::string::npos);
  EXPECT_EQ(Do("GET", "/spaces/alice/secret/info/refs?service=git-upload-pack").status, 401);
  EXPECT_EQ(Do("GET", "/spaces/alice/secret/info/refs?service=git-upload-pack", "", "", Basic("bob", bob_write_))
                .status,
            404);
  EXPECT_EQ(Do("GET", "/spaces/alice/secret/info/refs?service=git-upload-pack", "", "", Basic("alice", alice_read_))
                .status,
            200);
  EXPECT_EQ(Do("GET", "/spaces/alice/demo/info/refs").status, 404);  // dumb protocol
  EXPECT_EQ(Do("GET", "/spaces/alice/nope/info/refs?service=git-upload-pack", bob_write_).status, 404);
}

TEST_F(HubTest, PushThroughTheHubStartsADeploy) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  CommandOptions o;
  o.argv = {"sh", "-c",
            "git init -q -b main w && cd w && echo '# hi' > README.md && git add . && git commit -q -m one && "
            "git rev-parse HEAD && git rev-parse HEAD | git pack-objects -q --revs --stdout"};
  o.cwd = dir_;
  o.env = {{"GIT_AUTHOR_NAME", "a"}, {"GIT_AUTHOR_EMAIL", "a@x"}, {"GIT_COMMITTER_NAME", "a"},
           {"GIT_COMMITTER_EMAIL", "a@x"}, {"HOME", dir_}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  auto made = RunCommand(o);
  ASSERT_TRUE(made.ok() && made->ok()) << (made.ok() ? made->stderr_data : "");
  std::string sha = made->stdout_data.substr(0, 40);
  std::string pack = made->stdout_data.substr(41);
  std::string body = PktLine(std::string(40, '0') + " " + sha + " refs/heads/main" + std::string(1, '\0') +
                             "report-status\n") + "0000" + pack;
  http::Headers h = Basic("alice", alice_write_);
  h.Add("Content-Type", "application/x-git-receive-pack-request");
  EXPECT_EQ(Do("POST", "/spaces/alice/demo/git-receive-pack", "", body, Basic("bob", bob_write_)).status, 403);
  EXPECT_TRUE(control_.pushes.empty());
  Reply r = Do("POST", "/spaces/alice/demo/git-receive-pack", "", body, h);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("unpack ok"), std::string::npos);
  EXPECT_EQ(control_.pushes, std::vector<std::string>{"alice/demo@" + sha});
  EXPECT_EQ(store_->GetSpace("alice", "demo")->sha, sha);
  nlohmann::json info = Do("GET", "/api/spaces/alice/demo").json();
  EXPECT_EQ(info["sha"], sha);
  EXPECT_EQ(info["siblings"][0]["rfilename"], "README.md");
}

TEST_F(HubTest, WebUiListsSpacesAndEscapesUserContent) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  auto space = store_->GetSpace("alice", "demo").value();
  space.card_json = R"({"title":"<script>alert(1)</script>","emoji":"🦊","short_description":"a & b",)"
                    R"j("colorFrom":"red;background:url(x)","colorTo":"blue"})j";
  ASSERT_TRUE(store_->UpdateSpace(space).ok());
  Reply r = Do("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers.Get("Content-Type").value_or("").find("text/html"), std::string::npos);
  EXPECT_EQ(r.body.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(r.body.find("a &amp; b"), std::string::npos);
  EXPECT_NE(r.body.find("🦊"), std::string::npos);
  EXPECT_EQ(r.body.find("url(x)"), std::string::npos);
  EXPECT_NE(r.body.find("alice/demo"), std::string::npos);
  EXPECT_EQ(r.body.find("alice/hidden"), std::string::npos);

  r = Do("GET", "/?search=%22%3E%3Cimg");
  EXPECT_EQ(r.body.find("\"><img"), std::string::npos);
  EXPECT_NE(r.body.find("&quot;&gt;&lt;img"), std::string::npos);
  EXPECT_NE(r.body.find("No Space matches"), std::string::npos);
}

TEST_F(HubTest, SpacePageShowsTheAppOrItsStage) {
  ASSERT_EQ(Create("demo", alice_write_).status, 200);
  control_.info_stage = "BUILD_ERROR";
  control_.info_error = "pip failed: <oops>";
  Reply r = Do("GET", "/spaces/alice/demo");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("BUILD_ERROR"), std::string::npos);
  EXPECT_NE(r.body.find("pip failed: &lt;oops&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<iframe"), std::string::npos);
  EXPECT_NE(r.body.find("git clone http://hub.test:8080/spaces/alice/demo"), std::string::npos);
  EXPECT_NE(r.body.find("/api/spaces/alice/demo/logs/"), std::string::npos);

  control_.info_stage = "RUNNING";
  control_.info_error = "";
  r = Do("GET", "/spaces/alice/demo");
  // Framed from the app's own host, never the hub's origin.
  EXPECT_NE(r.body.find("<iframe class=\"app\" src=\"http://alice-demo.apps.test:8080/\""), std::string::npos);

  r = Do("GET", "/spaces/alice/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("<!doctype html>"), std::string::npos);
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  EXPECT_EQ(Do("GET", "/spaces/alice/hidden").status, 404);
  EXPECT_EQ(Do("GET", "/spaces/alice/hidden", alice_read_).status, 200);
}

}  // namespace
}  // namespace spaceport::hub::testing
