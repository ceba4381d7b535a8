#include "edge/static_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace spaceport::edge {
namespace {

namespace fs = std::filesystem;

class CapturingWriter : public http::ResponseWriter {
 public:
  Status Start(int s, const http::Headers& h) override {
    status = s;
    headers = h;
    started_ = true;
    return Status::Ok();
  }
  Status Write(std::string_view d) override {
    body.append(d);
    return Status::Ok();
  }
  Status Finish() override { return Status::Ok(); }
  bool started() const override { return started_; }
  bool ClientGone() override { return false; }
  int status = 0;
  http::Headers headers;
  std::string body;
  bool started_ = false;
};

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path("/tmp") / ("sp-static-" + std::to_string(::getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "root";
    fs::create_directories(root_ / "sub");
    Write(root_ / "index.html", "<h1>home</h1>");
    Write(root_ / "app.js", "console.log(1)");
    Write(root_ / "sub" / "index.html", "sub");
    Write(base_ / "secret.txt", "top secret");
    fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
    fs::create_directory_symlink(base_, root_ / "up");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void Write(const fs::path& p, std::string_view s) { std::ofstream(p) << s; }

  CapturingWriter Serve(std::string path, http::Headers extra = {}, std::string method = "GET") {
    http::Request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.headers = std::move(extra);
    CapturingWriter w;
    ServeStaticFile(root_.string(), r, w);
    return w;
  }

  fs::path base_, root_;
};

TEST_F(StaticFilesTest, ServesFilesAndIndexes) {
  auto w = Serve("/");
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(w.body, "<h1>home</h1>");
  EXPECT_EQ(w.headers.Get("Content-Type").value(), "text/html; charset=utf-8");
  auto js = Serve("/app.js");
  EXPECT_EQ(js.headers.Get("Content-Type").value(), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers.Get("Content-Length").value(), "14");
  auto dir = Serve("/sub");
  EXPECT_EQ(dir.status, 301);
  EXPECT_EQ(dir.headers.Get("Location").value(), "./sub/");
  // Not "//sub/" (another host to a browser), whatever the slashes.
  for (const char* path : {"//sub", "///sub", "/./sub"}) {
    auto twice = Serve(path);
    EXPECT_EQ(twice.status, 301) << path;
    EXPECT_EQ(twice.headers.Get("Location").value_or(""), "./sub/") << path;
  }
  EXPECT_EQ(Serve("/sub/").body, "sub");
  EXPECT_EQ(Serve("/missing").status, 404);
  auto head = Serve("/app.js", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.headers.Get("Content-Length").value(), "14");
  EXPECT_EQ(Serve("/app.js", {}, "POST").status, 405);
}

TEST_F(StaticFilesTest, NeverEscapesTheRoot) {
  EXPECT_EQ(Serve("/leak.txt").status, 404);
  EXPECT_EQ(Serve("/up/secret.txt").status, 404);
  EXPECT_EQ(Serve("/../secret.txt").status, 400);
  EXPECT_EQ(Serve("/%2e%2e/secret.txt").status, 400);
  EXPECT_EQ(Serve("/sub/..%2f..%2fsecret.txt").status, 400);
  for (auto* p : {"/leak.txt", "/up/secret.txt", "/../secret.txt"}) {
    EXPECT_EQ(Serve(p).body.find("top secret"), std::string::npos) << p;
  }
}

TEST_F(StaticFilesTest, EtagAndRanges) {
  auto first = Serve("/app.js");
  std::string etag(first.headers.Get("ETag").value());
  http::Headers inm;
  inm.Add("If-None-Match", etag);
  EXPECT_EQ(Serve("/app.js", inm).status, 304);
  auto range = [&](std::string spec) {
    http::Headers h;
    h.Add("Range", spec);
    return Serve("/app.js", h);
  };
  auto r = range("bytes=0-6");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "console");
  EXPECT_EQ(r.headers.Get("Content-Range").value(), "bytes 0-6/14");
  EXPECT_EQ(range("bytes=-3").body, "(1)");
  EXPECT_EQ(range("bytes=8-").body, "log(1)");
  EXPECT_EQ(range("bytes=8-999").body, "log(1)");
  auto bad = range("bytes=50-60");
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.headers.Get("Content-Range").value(), "bytes */14");
  EXPECT_EQ(range("bytes=0-1,3-4").status, 200);  // multi-range: whole file
}

}  // namespace
}  // namespace spaceport::edge
