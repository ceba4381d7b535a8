// The HF file API: NDJSON parsing, commits (and their refusals), tree,
// resolve, preupload and the LFS batch/upload/verify/download endpoints.
#include "core/strings.h"
#include "hub/commit/commit_ndjson.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

std::string Line(const std::string& key, const json& value) { return json{{"key", key}, {"value", value}}.dump() + "\n"; }
std::string Header(const std::string& parent = "") {
  json h = {{"summary", "update"}, {"description", "more"}};
  if (!parent.empty()) h["parentCommit"] = parent;
  return Line("header", h);
}
std::string File(const std::string& path, const std::string& content) {
  return Line("file", {{"path", path}, {"content", Base64Encode(content)}, {"encoding", "base64"}});
}
std::string LfsLine(const std::string& path, const std::string& content) {
  return Line("lfsFile", {{"path", path}, {"algo", "sha256"}, {"oid", Sha256Hex(content)}, {"size", content.size()}});
}

TEST(CommitNdjson, ParsesEveryOperation) {
  std::string body = Header("abc") + File("a.txt", "hello") +
                     Line("file", {{"path", "b.txt"}, {"content", "plain"}}) + LfsLine("w.bin", "xyz") +
                     Line("deletedFile", {{"path", "old.txt"}}) + "\n" + Line("deletedFolder", {{"path", "dir"}});
  auto req = ParseCommitNdjson(body);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->summary, "update");
  EXPECT_EQ(req->description, "more");
  EXPECT_EQ(req->parent_commit, "abc");
  ASSERT_EQ(req->ops.size(), 5u);
  EXPECT_EQ(req->ops[0].content, "hello");
  EXPECT_EQ(req->ops[1].content, "plain");
  EXPECT_EQ(req->ops[2].kind, repo::CommitOpKind::kAddLfsFile);
  EXPECT_EQ(req->ops[2].lfs.oid, Sha256Hex("xyz"));
  EXPECT_EQ(req->ops[2].lfs.size, 3);
  EXPECT_EQ(req->ops[3].kind, repo::CommitOpKind::kDeleteFile);
  EXPECT_EQ(req->ops[4].kind, repo::CommitOpKind::kDeleteFolder);
}

TEST(CommitNdjson, RefusesMalformedInput) {
  std::string ok = Header() + File("a.txt", "x");
  EXPECT_TRUE(ParseCommitNdjson(ok).ok());
  std::vector<std::string> bad = {
      "",
      File("a.txt", "x"),                                          // no header
      Header(),                                                    // no operations
      ok.substr(0, ok.size() - 10),                                // truncated
      Header() + "{\"key\":\"file\"}\n",                           // no value
      Header() + Line("renamedFile", {{"path", "a"}}),             // unknown key
      Header() + Line("header", {{"summary", "again"}}) + File("a", "x"),
      Line("header", {{"description", "no summary"}}) + File("a", "x"),
      Header() + Line("file", {{"path", "a"}, {"content", "***"}, {"encoding", "base64"}}),
      Header() + Line("file", {{"path", "a"}, {"content", "x"}, {"encoding", "latin1"}}),
      Header() + Line("file", {{"path", "a"}, {"oldPath", "b"}, {"content", "x"}}),
      Header() + Line("lfsFile", {{"path", "a"}, {"oid", "nothex"}, {"size", 1}}),
      Header() + Line("lfsFile", {{"path", "a"}, {"oid", Sha256Hex("x")}, {"size", -1}}),
      Header() + Line("lfsFile", {{"path", "a"}, {"algo", "md5"}, {"oid", Sha256Hex("x")}, {"size", 1}}),
      Header() + File("../x", "x"),
      Header() + File("/etc/x", "x"),
      Header() + File(".git/config", "x"),
      Header() + File("a//b", "x"),
      Header() + File(std::string("a\0b", 3), "x"),
      Header() + Line("deletedFolder", {{"path", "a/../.."}}),
  };
  for (const std::string& body : bad) {
    EXPECT_EQ(ParseCommitNdjson(body).status().code(), StatusCode::kInvalidArgument) << body;
  }
}

class HubFilesTest : public HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    ASSERT_EQ(Create("demo", alice_write_).status, 200);
  }
  bool hub_lfs_has(const std::string& content) {
    const std::string oid = Sha256Hex(content);
    return std::filesystem::exists(repos_.PathOf("alice", "demo") + "/lfs/objects/" + oid.substr(0, 2) + "/" +
                                   oid.substr(2, 2) + "/" + oid);
  }
  Reply Commit(const std::string& body, const std::string& token = "", const std::string& rev = "main") {
    return Do("POST", "/api/spaces/alice/demo/commit/" + rev, token.empty() ? alice_write_ : token, body);
  }
  std::string Head() {
    auto sha = repos_.Resolve("alice", "demo", "main");
    return sha.ok() ? *sha : "";
  }
  // Batch-announces `content`, then PUTs `sent` to the returned link.
  Reply UploadLfs(const std::string& content, const std::string& sent) {
    json batch = {{"operation", "upload"}, {"transfers", {"basic"}},
                  {"objects", {{{"oid", Sha256Hex(content)}, {"size", content.size()}}}}};
    Reply r = Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", alice_write_, batch.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/vnd.git-lfs+json");
    std::string href = r.json()["objects"][0]["actions"]["upload"]["href"];
    EXPECT_EQ(href.rfind("http://hub.test:8080/spaces/alice/demo.git/info/lfs/objects/", 0), 0u) << href;
    return Do("PUT", href.substr(std::string("http://hub.test:8080").size()), "", sent);
  }
};

TEST_F(HubFilesTest, CommitThenReadTreeResolveAndCommits) {
  Reply r = Commit(Header() + File("README.md", "# demo\n") + File("src/app.py", "print(1)\n"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string sha = r.json()["commitOid"];
  EXPECT_EQ(sha, Head());
  EXPECT_EQ(r.json()["success"], true);
  EXPECT_EQ(r.json()["commitUrl"], "http://hub.test:8080/spaces/alice/demo/commit/" + sha);
  EXPECT_EQ(control_.pushes, std::vector<std::string>{"alice/demo@" + sha});
  EXPECT_EQ(store_->GetSpace("alice", "demo")->sha, sha);

  r = Do("GET", "/api/spaces/alice/demo/tree/main");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json().size(), 2u);
  EXPECT_EQ(r.json()[0]["path"], "README.md");
  EXPECT_EQ(r.json()[0]["type"], "file");
  EXPECT_EQ(r.json()[0]["size"], 7);
  EXPECT_EQ(r.json()[1]["type"], "directory");
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/tree/main?recursive=true").json().size(), 3u);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/tree/main/src").json()[0]["path"], "src/app.py");

  r = Do("GET", "/spaces/alice/demo/resolve/main/src/app.py");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "print(1)\n");
  EXPECT_EQ(r.headers.Get("X-Repo-Commit").value_or(""), sha);
  EXPECT_FALSE(r.headers.Get("ETag").value_or("").empty());
  http::Headers range;
  range.Add("Range", "bytes=0-0");
  r = Do("GET", "/spaces/alice/demo/resolve/main/src/app.py", "", "", range);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "p");
  EXPECT_EQ(r.headers.Get("Content-Range").value_or(""), "bytes 0-0/9");
  http::Headers suffix;
  suffix.Add("Range", "bytes=-3");
  EXPECT_EQ(Do("GET", "/spaces/alice/demo/resolve/main/src/app.py", "", "", suffix).body, "1)\n");
  http::Headers beyond;
  beyond.Add("Range", "bytes=100-");
  r = Do("GET", "/spaces/alice/demo/resolve/main/src/app.py", "", "", beyond);
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.headers.Get("Content-Range").value_or(""), "bytes */9");
  r = Do("HEAD", "/spaces/alice/demo/resolve/main/README.md");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Length").value_or(""), "7");
  EXPECT_EQ(r.body, "");
  r = Do("GET", "/spaces/alice/demo/resolve/main/nope.txt");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("X-Error-Code").value_or(""), "EntryNotFound");
  EXPECT_EQ(Do("GET", "/spaces/alice/demo/resolve/nobranch/README.md").status, 404);

  ASSERT_EQ(Commit(Header(sha) + Line("deletedFolder", {{"path", "src"}})).status, 200);
  r = Do("GET", "/api/spaces/alice/demo/commits/main?limit=1");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json().size(), 1u);
  EXPECT_EQ(r.json()[0]["title"], "update");
  EXPECT_EQ(r.json()[0]["message"], "update\n\nmore");
  EXPECT_EQ(r.json()[0]["authors"][0]["user"], "alice");
  EXPECT_NE(r.headers.Get("Link").value_or("").find("p=1"), std::string::npos);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo/commits/main?limit=1&p=1").json()[0]["id"], sha);
}

TEST_F(HubFilesTest, RefusedCommitsChangeNothing) {
  Reply first = Commit(Header() + File("app.py", "v1"));
  ASSERT_EQ(first.status, 200);
  std::string head = Head();
  std::string big(4096, 'b');
  EXPECT_EQ(Commit(Header() + File("x", "1"), alice_read_).status, 403);
  EXPECT_EQ(Commit(Header() + File("x", "1"), bob_write_).status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/commit/main", "", Header() + File("x", "1")).status, 401);
  EXPECT_EQ(Commit(Header() + File("x", "1") + File("../up", "1")).status, 400);
  EXPECT_EQ(Commit(Header() + File("ok", "1") + "{\"key\":\"file\",\"va").status, 400);
  EXPECT_EQ(Commit(Header() + LfsLine("big.bin", big)).status, 400);  // never uploaded
  EXPECT_EQ(Commit(Header(std::string(40, 'a')) + File("x", "1")).status, 409);
  EXPECT_EQ(Commit(Header() + Line("deletedFile", {{"path", "missing"}})).status, 404);
  EXPECT_EQ(Commit(Header() + File("x", "1"), "", "other-branch").status, 404);
  // A NUL in the message: git would refuse it after the hub accepted it (a 500 once).
  Reply nul = Commit(Line("header", {{"summary", std::string("up\0date", 7)}}) + File("x", "1"));
  EXPECT_EQ(nul.status, 400) << nul.body;
  EXPECT_NE(nul.body.find("NUL"), std::string::npos) << nul.body;
  EXPECT_EQ(Commit(Line("header", {{"summary", "ok"}, {"description", std::string("a\0b", 3)}}) + File("x", "1")).status,
            400);
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(control_.pushes.size(), 1u);
  EXPECT_EQ(*repos_.ReadFile("alice", "demo", "main", "app.py"), "v1");
  EXPECT_EQ(Commit(Header(head) + File("x", "1")).status, 200);  // the current parent is fine
}

TEST_F(HubFilesTest, LfsUploadCommitAndDownload) {
  std::string content(300000, 'w');
  content[5] = '\0';
  std::string oid = Sha256Hex(content);
  std::string wrong = content;
  wrong[100] = 'X';
  Reply r = UploadLfs(content, wrong);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_FALSE(r.json()["message"].get<std::string>().empty());
  EXPECT_EQ(UploadLfs(content, content.substr(1)).status, 422);
  EXPECT_FALSE(store_->GetSpace("alice", "demo").ok() && repos_.Exists("alice", "demo") &&
               std::filesystem::exists(repos_.PathOf("alice", "demo") + "/lfs/objects/" + oid.substr(0, 2) + "/" +
                                       oid.substr(2, 2) + "/" + oid));
  // A link for one object does not take another, nor forged signatures.
  Reply batch = Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", alice_write_,
                   json{{"operation", "upload"}, {"objects", {{{"oid", oid}, {"size", content.size()}}}}}.dump());
  std::string href = batch.json()["objects"][0]["actions"]["upload"]["href"];
  EXPECT_EQ(batch.json()["objects"][0]["actions"]["upload"]["header"]["Authorization"], "Bearer " + alice_write_);
  std::string path = href.substr(std::string("http://hub.test:8080").size());
  std::string forged = path.substr(0, path.find("&sig=")) + "&sig=" + std::string(64, '0');
  EXPECT_EQ(Do("PUT", forged, "", content).status, 403);
  ASSERT_EQ(Do("PUT", path, "", content).status, 200);

  EXPECT_EQ(Do("POST", "/spaces/alice/demo.git/info/lfs/verify", alice_write_,
               json{{"oid", oid}, {"size", content.size()}}.dump()).status, 200);
  EXPECT_EQ(Do("POST", "/spaces/alice/demo.git/info/lfs/verify", alice_write_,
               json{{"oid", oid}, {"size", 5}}.dump()).status, 422);
  batch = Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", alice_write_,
             json{{"operation", "upload"}, {"objects", {{{"oid", oid}, {"size", content.size()}}}}}.dump());
  EXPECT_FALSE(batch.json()["objects"][0].contains("actions"));  // already there

  r = Commit(Header() + LfsLine("models/w.bin", content));
  ASSERT_EQ(r.status, 200) << r.body;
  r = Do("GET", "/api/spaces/alice/demo/tree/main?recursive=true");
  json entry;
  json tree = r.json();
  for (const json& e : tree) {
    if (e["path"] == "models/w.bin") entry = e;
  }
  EXPECT_EQ(entry["size"], content.size());
  EXPECT_EQ(entry["lfs"]["oid"], oid);
  EXPECT_GT(entry["lfs"]["pointerSize"].get<int>(), 100);
  r = Do("GET", "/spaces/alice/demo/resolve/main/models/w.bin");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == content);
  EXPECT_EQ(r.headers.Get("ETag").value_or(""), "\"" + oid + "\"");
  http::Headers range;
  range.Add("Range", "bytes=299990-");
  r = Do("GET", "/spaces/alice/demo/resolve/main/models/w.bin", "", "", range);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, std::string(10, 'w'));
  EXPECT_NE(repos_.ReadFile("alice", "demo", "main", ".gitattributes")->find("models/w.bin filter=lfs"),
            std::string::npos);

  batch = Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", "",
             json{{"operation", "download"}, {"objects", {{{"oid", oid}, {"size", content.size()}}}}}.dump());
  ASSERT_EQ(batch.status, 200);
  std::string dl = batch.json()["objects"][0]["actions"]["download"]["href"];
  EXPECT_TRUE(Do("GET", dl.substr(std::string("http://hub.test:8080").size())).body == content);
  EXPECT_EQ(Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", "",
               json{{"operation", "upload"}, {"objects", json::array()}}.dump()).status, 401);
  EXPECT_EQ(Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", alice_read_,
               json{{"operation", "upload"}, {"objects", json::array()}}.dump()).status, 403);
}

TEST_F(HubFilesTest, RepoSizeLimitRefusesUploadsAndCommitsPastIt) {
  const int64_t room = 200000;
  RemakeHub([&](HubOptions& o) { o.max_repo_bytes = repos_.DiskBytes("alice", "demo") + room; });
  auto batch = [&](const std::string& content) {
    return Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", alice_write_,
              json{{"operation", "upload"}, {"objects", {{{"oid", Sha256Hex(content)}, {"size", content.size()}}}}}.dump());
  };
  const std::string big(room + 1, 'b');
  Reply r = batch(big);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("limit"), std::string::npos) << r.body;
  // A huge announced size does not overflow the sum into "fits".
  r = Do("POST", "/spaces/alice/demo.git/info/lfs/objects/batch", alice_write_,
         json{{"operation", "upload"},
              {"objects", {{{"oid", Sha256Hex("a")}, {"size", INT64_MAX}}, {{"oid", Sha256Hex("b")}, {"size", INT64_MAX}}}}}
             .dump());
  EXPECT_EQ(r.status, 413) << r.body;

  // What fits is taken; a link signed while there was room is refused once there is none.
  const std::string first(room / 2, 'f'), second(room / 2 - 1000, 's');
  ASSERT_EQ(UploadLfs(first, first).status, 200);
  r = batch(second);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string href = r.json()["objects"][0]["actions"]["upload"]["href"];
  const std::string head = Head();
  // Bytes git cannot compress, so what the commit announces is what it costs.
  auto noise = [](size_t n) {
    std::string out(n, '\0');
    uint32_t x = 12345;
    for (char& c : out) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
    return out;
  };
  r = Commit(Header() + File("filler.bin", noise(room / 2 + 10000)));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(Head(), head);
  ASSERT_EQ(Commit(Header() + File("small.bin", noise(room / 4))).status, 200);
  EXPECT_EQ(Do("PUT", href.substr(std::string("http://hub.test:8080").size()), "", second).status, 413);
  EXPECT_FALSE(hub_lfs_has(second));
}

TEST_F(HubFilesTest, PreuploadSendsBigAndBinaryFilesToLfs) {
  json files = {{"files",
                 {{{"path", "app.py"}, {"size", 10}, {"sample", Base64Encode("print(1)\n")}},
                  {{"path", "big.txt"}, {"size", 10 * 1000 * 1000}, {"sample", Base64Encode("aaaa")}},
                  {{"path", "img.png"}, {"size", 10}, {"sample", Base64Encode(std::string("\x89PNG\0\0", 6))}},
                  {{"path", "w.safetensors"}, {"size", 10}, {"sample", Base64Encode("text")}}}},
                {"gitAttributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}};
  Reply r = Do("POST", "/api/spaces/alice/demo/preupload/main", alice_write_, files.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> modes;
  json answer = r.json();
  for (const json& f : answer["files"]) modes.push_back(f["uploadMode"]);
  EXPECT_EQ(modes, (std::vector<std::string>{"regular", "lfs", "lfs", "lfs"})) << r.body;
  EXPECT_TRUE(r.json()["commitOid"].is_null());
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/preupload/main", alice_write_,
               json{{"files", {{{"path", "../x"}, {"size", 1}}}}}.dump()).status, 400);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/demo/preupload/main", alice_read_, files.dump()).status, 403);
}

TEST_F(HubFilesTest, CreateWithFilesAndHfStyleTokens) {
  std::string hf_token = "hf_" + alice_write_.substr(3);
  Reply r = Do("POST", "/api/repos/create", hf_token,
               json{{"type", "space"}, {"name", "withfiles"}, {"organization", "alice"}, {"sdk", "static"},
                    {"files", {{{"path", "index.html"}, {"content", Base64Encode("<h1>hi</h1>")},
                                {"encoding", "base64"}}}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*repos_.ReadFile("alice", "withfiles", "main", "index.html"), "<h1>hi</h1>");
  EXPECT_EQ(control_.pushes.size(), 1u);
  EXPECT_EQ(Do("GET", "/api/whoami-v2", "hf_" + std::string(40, '0')).status, 401);
  r = Do("GET", "/api/spaces/alice/withfiles/revision/HEAD", hf_token);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["siblings"][0]["rfilename"], "index.html");
  EXPECT_EQ(Do("POST", "/api/repos/create", alice_write_,
               json{{"type", "space"}, {"name", "badfiles"}, {"sdk", "static"},
                    {"files", {{{"path", "../x"}, {"content", "x"}}}}}.dump()).status, 400);
  EXPECT_FALSE(store_->GetSpace("alice", "badfiles").ok());
}

}  // namespace
}  // namespace spaceport::hub::testing
