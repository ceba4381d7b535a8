#include "repo/repo_store.h"

#include <poll.h>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/subprocess.h"
#include "core/testing/temp_dir.h"

namespace spaceport::repo {
namespace {
namespace fs = std::filesystem;

using spaceport::testing::TempDir;

void Sh(const std::string& script, const std::string& cwd) {
  CommandOptions o;
  o.argv = {"sh", "-c", script};
  o.cwd = cwd;
  o.env = {{"GIT_AUTHOR_NAME", "alice"},     {"GIT_AUTHOR_EMAIL", "alice@example.com"},
           {"GIT_COMMITTER_NAME", "alice"},  {"GIT_COMMITTER_EMAIL", "alice@example.com"},
           {"GIT_CONFIG_NOSYSTEM", "1"},     {"HOME", cwd}};
  auto r = RunCommand(o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->stderr_data;
}

// Pushes two commits to alice/demo: README.md + app.py, then src/lib/util.py.
class RepoStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(repos_.Create("alice", "demo").ok());
    std::string work = tmp_.path() + "/work";
    fs::create_directories(work);
    Sh("git init -q -b main . && printf '# Demo\\n' > README.md && printf 'print(1)\\n' > app.py && "
       "git add . && git commit -q -m 'first commit' && mkdir -p src/lib && printf 'x = 2\\n' > src/lib/util.py && "
       "git add . && git commit -q -m 'second commit' -m 'with a body' && "
       "git push -q " + repos_.PathOf("alice", "demo") + " main",
       work);
  }

  TempDir tmp_;
  RepoStore repos_{tmp_.path() + "/repos"};
};

TEST(RepoNames, ValidAndHostile) {
  EXPECT_TRUE(IsValidRepoName("demo"));
  EXPECT_TRUE(IsValidRepoName("My_App-2.0"));
  EXPECT_FALSE(IsValidRepoName(""));
  EXPECT_FALSE(IsValidRepoName(".."));
  EXPECT_FALSE(IsValidRepoName(".hidden"));
  EXPECT_FALSE(IsValidRepoName("-rf"));
  EXPECT_FALSE(IsValidRepoName("a/b"));
  EXPECT_FALSE(IsValidRepoName("a..b"));
  EXPECT_FALSE(IsValidRepoName("a b"));
  EXPECT_FALSE(IsValidRepoName("x.git"));
  EXPECT_FALSE(IsValidRepoName(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidRepoName(std::string(200, 'a')));
}

TEST(RepoStoreBasics, CreateIsBareOnMainAndRefusesDuplicates) {
  TempDir tmp;
  RepoStore repos(tmp.path());
  ASSERT_TRUE(repos.Create("bob", "space").ok());
  EXPECT_TRUE(repos.Exists("bob", "space"));
  EXPECT_EQ(repos.Create("bob", "space").code(), StatusCode::kAlreadyExists);
  std::string path = repos.PathOf("bob", "space");
  auto head = RunSimple({"git", "--git-dir=" + path, "symbolic-ref", "HEAD"});
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, "refs/heads/main\n");
  auto rp = RunSimple({"git", "--git-dir=" + path, "config", "http.receivepack"});
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(*rp, "true\n");
  EXPECT_EQ(repos.Resolve("bob", "space", "main").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repos.Create("..", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repos.Create("bob", "../../etc").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(tmp.path() + "/etc.git"));
}

TEST_F(RepoStoreTest, ResolveReadAndTree) {
  auto sha = repos_.Resolve("alice", "demo", "main");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(sha->size(), 40u);
  EXPECT_EQ(*repos_.Resolve("alice", "demo", *sha), *sha);
  EXPECT_EQ(repos_.Resolve("alice", "demo", "nope").status().code(), StatusCode::kNotFound);

  auto readme = repos_.ReadFile("alice", "demo", "main", "README.md");
  ASSERT_TRUE(readme.ok());
  EXPECT_EQ(*readme, "# Demo\n");
  EXPECT_EQ(*repos_.ReadFile("alice", "demo", "main", "src/lib/util.py"), "x = 2\n");
  EXPECT_EQ(repos_.ReadFile("alice", "demo", "main", "missing.txt").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repos_.ReadFile("alice", "demo", "main", "src").status().code(), StatusCode::kNotFound);

  auto top = repos_.ListTree("alice", "demo", "main", "", false);
  ASSERT_TRUE(top.ok());
  ASSERT_EQ(top->size(), 3u);
  EXPECT_EQ((*top)[0].path, "README.md");
  EXPECT_EQ((*top)[0].type, "file");
  EXPECT_EQ((*top)[0].size, 7);
  EXPECT_EQ((*top)[2].path, "src");
  EXPECT_EQ((*top)[2].type, "directory");

  auto all = repos_.ListTree("alice", "demo", "main", "", true);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> paths;
  for (const auto& e : *all) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"README.md", "app.py", "src", "src/lib", "src/lib/util.py"}));

  auto sub = repos_.ListTree("alice", "demo", "main", "src/lib/", false);
  ASSERT_TRUE(sub.ok());
  ASSERT_EQ(sub->size(), 1u);
  EXPECT_EQ((*sub)[0].path, "src/lib/util.py");
  EXPECT_EQ(repos_.ListTree("alice", "demo", "main", "nope", false).status().code(), StatusCode::kNotFound);
}

// A revision's files through one git process: stat, ranges, a big file in
// bounded chunks, LFS pointers recognised, missing things NotFound.
TEST_F(RepoStoreTest, RevisionReaderStreamsFilesInChunks) {
  std::string work = tmp_.path() + "/work";
  Sh("head -c 3000000 /dev/urandom > 'big file.bin' && "
     "printf 'version https://git-lfs.github.com/spec/v1\\noid sha256:%s\\nsize 42\\n' "
     "$(printf x | sha256sum | cut -c1-64) > pointer.bin && git add . && git commit -q -m big && "
     "git push -q " + repos_.PathOf("alice", "demo") + " main",
     work);
  std::ifstream in(work + "/big file.bin", std::ios::binary);
  std::string big((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(big.size(), 3000000u);

  auto reader = repos_.OpenRevision("alice", "demo", "main");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->commit(), *repos_.Resolve("alice", "demo", "main"));
  auto stat = (*reader)->Stat("big file.bin");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_EQ(stat->size, 3000000);
  EXPECT_FALSE(stat->lfs);
  std::string got;
  size_t largest = 0;
  auto sink = [&](std::string_view piece) {
    got.append(piece);
    largest = std::max(largest, piece.size());
    return Status::Ok();
  };
  ASSERT_TRUE((*reader)->Read(*stat, 0, 3000000, sink).ok());
  EXPECT_TRUE(got == big);
  EXPECT_LE(largest, 64u << 10);
  // A range to the end, then more reads through the same process.
  got.clear();
  ASSERT_TRUE((*reader)->Read(*stat, 2930000, 70000, sink).ok());
  EXPECT_TRUE(got == big.substr(2930000));
  auto readme = (*reader)->Stat("README.md");
  ASSERT_TRUE(readme.ok());
  got.clear();
  ASSERT_TRUE((*reader)->Read(*readme, 0, 100, sink).ok());
  EXPECT_EQ(got, "# Demo\n");
  auto pointer = (*reader)->Stat("pointer.bin");
  ASSERT_TRUE(pointer.ok());
  ASSERT_TRUE(pointer->lfs);
  EXPECT_EQ(pointer->lfs->size, 42);
  EXPECT_EQ((*reader)->Stat("missing.txt").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*reader)->Stat("src").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*reader)->Stat("../x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*reader)->Stat("a\nb").status().code(), StatusCode::kInvalidArgument);
  // A range that ends before the file does is the reader's last read: git
  // is stopped there rather than read through to the end.
  got.clear();
  ASSERT_TRUE((*reader)->Read(*stat, 1000000, 70000, sink).ok());
  EXPECT_TRUE(got == big.substr(1000000, 70000));
  EXPECT_EQ((*reader)->Stat("README.md").status().code(), StatusCode::kFailedPrecondition);
  // As a body source the event loop reads without blocking: a range, and
  // the reader's git process goes with the source.
  reader = repos_.OpenRevision("alice", "demo", "main");
  ASSERT_TRUE(reader.ok());
  auto source = RevisionReader::Stream(std::move(reader).value(), *stat, 1234567, 1500000);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  ASSERT_GE((*source)->wait_fd(), 0);
  got.clear();
  while ((*source)->remaining() > 0) {
    char buf[10000];
    bool would_block = false;
    auto n = (*source)->Read(buf, sizeof buf, &would_block);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) {
      ASSERT_TRUE(would_block);
      pollfd p{(*source)->wait_fd(), POLLIN, 0};
      ASSERT_EQ(poll(&p, 1, 10000), 1);
      continue;
    }
    got.append(buf, *n);
  }
  EXPECT_TRUE(got == big.substr(1234567, 1500000));
  source->reset();  // ends git mid-blob, without hanging
  // A sink that fails stops the read and leaves the reader broken, not hung.
  reader = repos_.OpenRevision("alice", "demo", "main");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->Read(*stat, 0, 3000000, [](std::string_view) { return Status::Unavailable("client gone"); }).code(),
            StatusCode::kUnavailable);
  EXPECT_FALSE((*reader)->Stat("README.md").ok());
  EXPECT_EQ(repos_.OpenRevision("alice", "demo", "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repos_.OpenRevision("alice", "demo", "--output=/tmp/x").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepoStoreTest, HostilePathsAndRevisions) {
  EXPECT_EQ(repos_.ReadFile("alice", "demo", "main", "../x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.ReadFile("alice", "demo", "main", "/etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.ReadFile("alice", "demo", "main", std::string("a\0b", 3)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.Resolve("alice", "demo", "--output=/tmp/x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.Resolve("alice", "demo", "main:README.md").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.Resolve("alice", "demo", "main..main").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.ListTree("alice", "demo", "main", "src/../..", true).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(repos_.ReadFile("alice", "../alice", "main", "README.md").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepoStoreTest, CommitsNewestFirst) {
  auto commits = repos_.ListCommits("alice", "demo", "main", 10);
  ASSERT_TRUE(commits.ok());
  ASSERT_EQ(commits->size(), 2u);
  EXPECT_EQ((*commits)[0].title, "second commit");
  EXPECT_EQ((*commits)[0].message, "second commit\n\nwith a body");
  EXPECT_EQ((*commits)[0].authors, std::vector<std::string>{"alice"});
  EXPECT_GT((*commits)[0].unix_millis, 0);
  EXPECT_EQ((*commits)[1].title, "first commit");
  EXPECT_EQ(repos_.ListCommits("alice", "demo", "main", 1)->size(), 1u);
}

TEST_F(RepoStoreTest, ExportCopyMoveRemove) {
  std::string dest = tmp_.path() + "/export";
  ASSERT_TRUE(repos_.Export("alice", "demo", "main", dest).ok());
  std::ifstream util(dest + "/src/lib/util.py");
  std::string line;
  std::getline(util, line);
  EXPECT_EQ(line, "x = 2");

  ASSERT_TRUE(repos_.CopyFrom("alice", "demo", "bob", "fork").ok());
  EXPECT_EQ(*repos_.Resolve("bob", "fork", "main"), *repos_.Resolve("alice", "demo", "main"));
  EXPECT_EQ(repos_.ListCommits("bob", "fork", "main", 10)->size(), 2u);
  EXPECT_EQ(repos_.CopyFrom("alice", "demo", "bob", "fork").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(repos_.CopyFrom("alice", "nope", "bob", "x").code(), StatusCode::kNotFound);

  ASSERT_TRUE(repos_.Move("bob", "fork", "carol", "renamed").ok());
  EXPECT_FALSE(repos_.Exists("bob", "fork"));
  EXPECT_EQ(*repos_.ReadFile("carol", "renamed", "main", "app.py"), "print(1)\n");

  ASSERT_TRUE(repos_.Remove("carol", "renamed").ok());
  EXPECT_FALSE(repos_.Exists("carol", "renamed"));
  EXPECT_EQ(repos_.Remove("carol", "renamed").code(), StatusCode::kNotFound);
}

TEST(GitVersionTest, NeedsGit236) {
  EXPECT_TRUE(CheckGitVersionText("git version 2.39.5\n").ok());
  EXPECT_TRUE(CheckGitVersionText("git version 2.36.0").ok());
  EXPECT_TRUE(CheckGitVersionText("git version 3.0.1").ok());
  Status old = CheckGitVersionText("git version 2.35.8\n");
  EXPECT_EQ(old.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(old.message().find("2.35 is too old"), std::string::npos) << old.message();
  EXPECT_EQ(CheckGitVersionText("git version 1.9.1").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckGitVersionText("hg 6.3").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckGitVersionText("").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckGitVersion().ok());  // the machine's own git
}

}  // namespace
}  // namespace spaceport::repo
