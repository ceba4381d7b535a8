#include "repo/git_http.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

#include "core/subprocess.h"
#include "repo/cgi.h"
#include "repo/testing_io.h"

namespace spaceport::repo {
namespace {
namespace fs = std::filesystem;
using spaceport::testing::RecordingWriter;
using spaceport::testing::StringBodyReader;

TEST(ClassifyGitRequest, KnowsTheSmartProtocol) {
  EXPECT_EQ(ClassifyGitRequest("GET", "/info/refs", "service=git-upload-pack"), GitOp::kFetch);
  EXPECT_EQ(ClassifyGitRequest("GET", "/info/refs", "service=git-receive-pack"), GitOp::kPush);
  EXPECT_EQ(ClassifyGitRequest("POST", "/git-upload-pack", ""), GitOp::kFetch);
  EXPECT_EQ(ClassifyGitRequest("POST", "/git-receive-pack", ""), GitOp::kPush);
  EXPECT_EQ(ClassifyGitRequest("GET", "/info/refs", ""), GitOp::kNone);
  EXPECT_EQ(ClassifyGitRequest("GET", "/git-receive-pack", ""), GitOp::kNone);
  EXPECT_EQ(ClassifyGitRequest("POST", "/info/refs", "service=git-receive-pack"), GitOp::kNone);
  EXPECT_EQ(ClassifyGitRequest("GET", "/objects/info/packs", ""), GitOp::kNone);
  EXPECT_EQ(ClassifyGitRequest("GET", "/HEAD", ""), GitOp::kNone);
}

TEST(CgiHead, ParsesStatusAndFields) {
  std::string raw = "Status: 404 Not Found\r\nContent-Type: text/plain\r\nExpires: never\r\n\r\nbody";
  auto end = FindCgiHeaderEnd(raw);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(raw.substr(*end), "body");
  auto head = ParseCgiHead(std::string_view(raw).substr(0, *end));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 404);
  EXPECT_EQ(head->headers.Get("Content-Type").value_or(""), "text/plain");
  EXPECT_EQ(head->headers.Get("expires").value_or(""), "never");
  EXPECT_FALSE(head->headers.Has("Status"));
}

TEST(CgiHead, BareNewlinesDefaultStatusAndErrors) {
  std::string raw = "Content-Type: a/b\n\nrest";
  auto end = FindCgiHeaderEnd(raw);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(raw.substr(*end), "rest");
  auto head = ParseCgiHead(std::string_view(raw).substr(0, *end));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_FALSE(FindCgiHeaderEnd("Content-Type: a/b\r\n").has_value());
  EXPECT_FALSE(ParseCgiHead("no colon here\n").ok());
  EXPECT_FALSE(ParseCgiHead("Status: abc\n").ok());
  EXPECT_FALSE(ParseCgiHead("Status: 99999\n").ok());
}

CgiRun ShellCgi(const std::string& script) {
  CgiRun run;
  run.argv = {"sh", "-c", script};
  run.env["PATH"] = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
  return run;
}

TEST(RunCgi, StreamsBothBodiesThrough) {
  // More than any pipe buffer in both directions at once.
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  StringBodyReader body(big, 10000);
  RecordingWriter out;
  auto status = RunCgi(ShellCgi("printf 'Status: 201 Created\\r\\nX-Test: yes\\r\\n\\r\\n'; cat"), body, out);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, 201);
  EXPECT_EQ(out.status(), 201);
  EXPECT_EQ(out.headers().Get("X-Test").value_or(""), "yes");
  EXPECT_EQ(out.body(), big);
}

TEST(RunCgi, ChildThatIgnoresStdinAndFailures) {
  StringBodyReader body(std::string(1 << 20, 'y'));
  RecordingWriter out;
  auto status = RunCgi(ShellCgi("printf 'Content-Type: text/plain\\n\\nhi'"), body, out);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(out.body(), "hi");

  StringBodyReader empty;
  RecordingWriter out2;
  EXPECT_FALSE(RunCgi(ShellCgi("echo oops >&2; exit 1"), empty, out2).ok());
  EXPECT_FALSE(out2.started());

  RecordingWriter out3;
  EXPECT_FALSE(RunCgi(ShellCgi("printf 'garbage without colon\\n\\n'"), empty, out3).ok());
  EXPECT_FALSE(out3.started());
}

TEST(RunCgi, ClientGoneKillsTheProgram) {
  StringBodyReader body;
  RecordingWriter out;
  out.set_gone_after_writes(1);
  // Would write forever if not killed.
  auto status = RunCgi(ShellCgi("printf 'Content-Type: a/b\\n\\n'; yes"), body, out);
  EXPECT_FALSE(status.ok());
}

class GitServeTest : public ::testing::Test {
 protected:
  static std::string MakeTempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sp_git_http_XXXXXX").string();
    return mkdtemp(tmpl.data());
  }
  void SetUp() override { ASSERT_TRUE(repos_.Create("alice", "demo").ok()); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Run(const std::string& script) {
    CommandOptions o;
    o.argv = {"sh", "-c", script};
    o.cwd = dir_;
    o.env = {{"GIT_AUTHOR_NAME", "a"}, {"GIT_AUTHOR_EMAIL", "a@x"}, {"GIT_COMMITTER_NAME", "a"},
             {"GIT_COMMITTER_EMAIL", "a@x"}, {"HOME", dir_}, {"GIT_CONFIG_NOSYSTEM", "1"}};
    auto r = RunCommand(o);
    EXPECT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->stderr_data : r.status().ToString());
    return r.ok() ? r->stdout_data : "";
  }

  std::string dir_ = MakeTempDir();
  RepoStore repos_{dir_ + "/repos"};
  GitHttpService git_{&repos_};
};

std::string PktLine(const std::string& payload) {
  char len[5];
  snprintf(len, sizeof len, "%04zx", payload.size() + 4);
  return len + payload;
}

TEST_F(GitServeTest, ReceivePackMovesMainAndReportsThePush) {
  std::string sha = Run("git init -q -b main w && cd w && echo hi > a.txt && git add a.txt && "
                        "git commit -q -m one && git rev-parse HEAD");
  sha = sha.substr(0, 40);
  std::string pack = Run("cd w && echo " + sha + " | git pack-objects -q --revs --stdout");
  std::string body = PktLine(std::string(40, '0') + " " + sha + " refs/heads/main" + std::string(1, '\0') +
                             "report-status\n") + "0000" + pack;
  http::Request req;
  req.method = "POST";
  req.path = "/spaces/alice/demo/git-receive-pack";
  req.headers.Add("Content-Type", "application/x-git-receive-pack-request");
  req.headers.Add("Content-Length", std::to_string(body.size()));
  StringBodyReader reader(body, 1000);
  RecordingWriter out;
  std::string pushed;
  git_.Serve("alice", "demo", "/git-receive-pack", "alice", req, reader, out,
             [&](const std::string& s) { pushed = s; });
  EXPECT_EQ(out.status(), 200);
  EXPECT_NE(out.body().find("unpack ok"), std::string::npos) << out.body();
  EXPECT_EQ(pushed, sha);
  EXPECT_EQ(*repos_.Resolve("alice", "demo", "main"), sha);

  // The ref advertisement for fetch now lists main.
  http::Request adv;
  adv.method = "GET";
  adv.query = "service=git-upload-pack";
  StringBodyReader none;
  RecordingWriter out2;
  git_.Serve("alice", "demo", "/info/refs", "", adv, none, out2, nullptr);
  EXPECT_EQ(out2.status(), 200);
  EXPECT_EQ(out2.headers().Get("Content-Type").value_or(""), "application/x-git-upload-pack-advertisement");
  EXPECT_NE(out2.body().find(sha + " refs/heads/main"), std::string::npos);
}

TEST_F(GitServeTest, UnknownRepoAndNonGitPaths) {
  http::Request req;
  req.method = "GET";
  req.query = "service=git-upload-pack";
  StringBodyReader none;
  RecordingWriter out;
  git_.Serve("alice", "missing", "/info/refs", "", req, none, out, nullptr);
  EXPECT_EQ(out.status(), 404);
  RecordingWriter out2;
  git_.Serve("alice", "demo", "/objects/info/packs", "", req, none, out2, nullptr);
  EXPECT_EQ(out2.status(), 404);
  RecordingWriter out3;
  git_.Serve("..", "demo", "/info/refs", "", req, none, out3, nullptr);
  EXPECT_EQ(out3.status(), 404);
}

}  // namespace
}  // namespace spaceport::repo
