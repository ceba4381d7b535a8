#include "repo/repo_commit.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "core/subprocess.h"
#include "repo/testing_io.h"

namespace spaceport::repo {
namespace {
namespace fs = std::filesystem;
using spaceport::testing::StringBodyReader;

TEST(ValidateRepoPath, RefusesHostilePaths) {
  EXPECT_TRUE(ValidateRepoPath("app.py").ok());
  EXPECT_TRUE(ValidateRepoPath("src/lib/util.py").ok());
  EXPECT_TRUE(ValidateRepoPath(".gitattributes").ok());
  EXPECT_TRUE(ValidateRepoPath("a b/c.txt").ok());
  for (const char* fine : {".github/workflows/ci.yml", ".gitx", "a.git", "git~2", "git", ".git-blame-ignore-revs"}) {
    EXPECT_TRUE(ValidateRepoPath(fine).ok()) << fine;
  }
  // Names git itself reads as .git and skips (a commit would store nothing).
  for (const char* dotgit : {".git /config", ".git./config", ".git. . /x", "git~1/config", "GIT~1", ".git::$INDEX_ALLOCATION/x",
                             ".g\u200cit/config", "\xef\xbb\xbf.git/config", "x/.GiT\u206a/hooks"}) {
    EXPECT_EQ(ValidateRepoPath(dotgit).code(), StatusCode::kInvalidArgument) << "accepted: " << dotgit;
  }
  for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", ".git/config", "x/.GIT/hooks",
                          std::string("a\0b", 3), "a\nb", "a\\b", std::string(5000, 'a')}) {
    Status st = ValidateRepoPath(bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << "accepted: " << bad;
  }
}

TEST(LfsPointer, FormatsAndParses) {
  LfsPointer p{std::string(64, 'a'), 12345};
  std::string text = FormatLfsPointer(p);
  EXPECT_EQ(text, "version https://git-lfs.github.com/spec/v1\noid sha256:" + std::string(64, 'a') + "\nsize 12345\n");
  auto back = ParseLfsPointer(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->oid, p.oid);
  EXPECT_EQ(back->size, 12345);
  EXPECT_FALSE(ParseLfsPointer("hello").has_value());
  EXPECT_FALSE(ParseLfsPointer("version https://git-lfs.github.com/spec/v1\noid sha256:xyz\nsize 1\n").has_value());
  EXPECT_FALSE(IsValidLfsOid(std::string(64, 'A')));
  EXPECT_FALSE(IsValidLfsOid("abc"));
}

class RepoWriterTest : public ::testing::Test {
 protected:
  static std::string MakeTempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sp_commit_test_XXXXXX").string();
    return mkdtemp(tmpl.data());
  }
  void SetUp() override {
    ASSERT_TRUE(repos_.Create("alice", "demo").ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static CommitOp Add(std::string path, std::string content) {
    return CommitOp{CommitOpKind::kAddFile, std::move(path), std::move(content), {}, ""};
  }
  static CommitOp Lfs(std::string path, const std::string& content) {
    return CommitOp{CommitOpKind::kAddLfsFile, std::move(path), "",
                    LfsPointer{Sha256Hex(content), static_cast<int64_t>(content.size())}, ""};
  }
  Result<std::string> Commit(std::vector<CommitOp> ops, std::string parent = "") {
    CommitRequest req;
    req.summary = "change";
    req.description = "details";
    req.author = "alice";
    req.parent_commit = std::move(parent);
    req.ops = std::move(ops);
    return writer_.Commit("alice", "demo", req);
  }
  Status Upload(const std::string& content, LfsPointer want) {
    StringBodyReader body(content, 1000);
    return lfs_.Put("alice", "demo", want, body);
  }
  std::string Head() {
    auto sha = repos_.Resolve("alice", "demo", "main");
    return sha.ok() ? *sha : "none";
  }
  std::string Read(const std::string& path) {
    auto r = repos_.ReadFile("alice", "demo", "main", path);
    return r.ok() ? *r : "<" + r.status().message() + ">";
  }

  std::string dir_ = MakeTempDir();
  int uploads_ = 0;
  RepoStore repos_{dir_ + "/repos"};
  LfsStore lfs_{&repos_};
  RepoWriter writer_{&repos_, &lfs_};
};

TEST_F(RepoWriterTest, CommitsFilesOnAnEmptyRepoThenOnTopOfIt) {
  auto first = Commit({Add("README.md", "# hi\n"), Add("src/a.py", "a = 1\n"), Add("src/b.py", "b\n")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(Head(), *first);
  EXPECT_EQ(Read("src/a.py"), "a = 1\n");
  auto commits = repos_.ListCommits("alice", "demo", "main", 10);
  ASSERT_TRUE(commits.ok());
  ASSERT_EQ(commits->size(), 1u);
  EXPECT_EQ((*commits)[0].title, "change");
  EXPECT_EQ((*commits)[0].message, "change\n\ndetails");
  EXPECT_EQ((*commits)[0].authors[0], "alice");

  auto second = Commit({CommitOp{CommitOpKind::kDeleteFolder, "src", "", {}, ""}, Add("README.md", "# v2\n")}, *first);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(Read("README.md"), "# v2\n");
  EXPECT_FALSE(repos_.ReadFile("alice", "demo", "main", "src/a.py").ok());
  auto third = Commit({CommitOp{CommitOpKind::kDeleteFile, "README.md", "", {}, ""}, Add("x", "1")});
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(repos_.ReadFile("alice", "demo", "main", "README.md").ok());
  EXPECT_EQ(repos_.ListCommits("alice", "demo", "main", 10, 1)->size(), 2u);
}

// Big uploads arrive as files (hub/commit/commit_stream.h): stored from the
// file, on the first commit (fast-import) and on later ones (the index).
TEST_F(RepoWriterTest, ContentFromFilesOnTheFirstCommitAndLater) {
  auto from_file = [this](const std::string& path, const std::string& bytes) {
    std::string file = dir_ + "/upload-" + std::to_string(uploads_++);
    std::ofstream(file, std::ios::binary) << bytes;
    CommitOp op = Add(path, "");
    op.content_file = file;
    return op;
  };
  std::string big(300000, 'x');
  big[1234] = '\0';
  auto first = Commit({from_file("big.bin", big), Add("README.md", "# hi\n")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(Read("big.bin") == big);
  EXPECT_EQ(Read("README.md"), "# hi\n");
  // The last op on a path wins, memory or file.
  auto second = Commit({Add("big.bin", "small now"), from_file("README.md", "from a file\n"), from_file("new.txt", "n")});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(Read("big.bin"), "small now");
  EXPECT_EQ(Read("README.md"), "from a file\n");
  EXPECT_EQ(Read("new.txt"), "n");
}

TEST_F(RepoWriterTest, RefusalsLeaveTheBranchUnchanged) {
  auto first = Commit({Add("app.py", "v1")});
  ASSERT_TRUE(first.ok());
  std::string big(5000, 'z');
  EXPECT_EQ(Commit({Add("ok.txt", "x"), Add("../evil", "x")}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Commit({Add(".git/hooks/post-update", "x")}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Commit({Add(".git /config", "x")}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Commit({Add("git~1/config", "x")}).status().code(), StatusCode::kInvalidArgument);
  // A file and a folder of one name: git would keep only one of them.
  auto both = Commit({Add("q", "file"), Add("q.txt", "x"), Add("q/r", "in the folder")});
  EXPECT_EQ(both.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(both.status().message().find("'q'"), std::string::npos) << both.status().message();
  EXPECT_EQ(Commit({Add("ok.txt", "x"), Lfs("big.bin", big)}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Commit({CommitOp{CommitOpKind::kDeleteFile, "nope.txt", "", {}, ""}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Commit({CommitOp{CommitOpKind::kDeleteFolder, "nope", "", {}, ""}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Commit({Add("ok.txt", "x")}, std::string(40, '1')).status().code(), StatusCode::kFailedPrecondition);
  CommitRequest no_summary;
  no_summary.ops = {Add("ok.txt", "x")};
  EXPECT_EQ(writer_.Commit("alice", "demo", no_summary).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Head(), *first);
  EXPECT_EQ(Read("app.py"), "v1");
  EXPECT_FALSE(repos_.ReadFile("alice", "demo", "main", "ok.txt").ok());
  EXPECT_EQ(repos_.ListCommits("alice", "demo", "main", 10)->size(), 1u);
  // A stored object whose size differs from the pointer's is refused too.
  ASSERT_TRUE(Upload(big, LfsPointer{Sha256Hex(big), 5000}).ok());
  EXPECT_EQ(Commit({CommitOp{CommitOpKind::kAddLfsFile, "big.bin", "", LfsPointer{Sha256Hex(big), 4999}, ""}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Head(), *first);
}

TEST_F(RepoWriterTest, LfsUploadChecksSizeAndHashAndKeepsNothingOnMismatch) {
  std::string content = "binary\x01\x02" + std::string(20000, 'q');
  LfsPointer p{Sha256Hex(content), static_cast<int64_t>(content.size())};
  EXPECT_EQ(Upload(content, LfsPointer{Sha256Hex("other"), p.size}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Upload(content, LfsPointer{p.oid, p.size + 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Upload(content, LfsPointer{p.oid, p.size - 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Upload(content, LfsPointer{"../../x", p.size}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(lfs_.Size("alice", "demo", p.oid).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs::is_empty(repos_.PathOf("alice", "demo") + "/lfs/tmp"));
  ASSERT_TRUE(Upload(content, p).ok());
  EXPECT_EQ(*lfs_.Size("alice", "demo", p.oid), p.size);
  EXPECT_TRUE(fs::exists(repos_.PathOf("alice", "demo") + "/lfs/objects/" + p.oid.substr(0, 2) + "/" +
                         p.oid.substr(2, 2) + "/" + p.oid));
}

TEST_F(RepoWriterTest, LfsFilesArePointersInTheTreeAndContentInExports) {
  std::string content(3 << 20, 'L');
  content[7] = '\0';
  LfsPointer p{Sha256Hex(content), static_cast<int64_t>(content.size())};
  ASSERT_TRUE(Upload(content, p).ok());
  auto sha = Commit({Add("README.md", "hi"), Lfs("models/w eights.bin", content)});
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(Read("models/w eights.bin"), FormatLfsPointer(p));
  EXPECT_EQ(Read(".gitattributes"), "models/w[[:space:]]eights.bin filter=lfs diff=lfs merge=lfs -text\n");
  auto info = repos_.Stat("alice", "demo", "main", "models/w eights.bin");
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(info->lfs.has_value());
  EXPECT_EQ(info->lfs->oid, p.oid);
  EXPECT_EQ(info->commit, *sha);
  auto tree = repos_.ListTree("alice", "demo", "main", "", true);
  ASSERT_TRUE(tree.ok());
  int lfs_entries = 0;
  for (const TreeEntry& e : *tree) lfs_entries += e.lfs.has_value() ? 1 : 0;
  EXPECT_EQ(lfs_entries, 1);
  // The builder exports with `git archive`: the smudge filter puts the content back.
  std::string out = dir_ + "/export";
  ASSERT_TRUE(repos_.Export("alice", "demo", *sha, out).ok());
  std::ifstream in(out + "/models/w eights.bin", std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str().size(), content.size());
  EXPECT_TRUE(got.str() == content);
}

}  // namespace
}  // namespace spaceport::repo
