#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/log_store.h"
#include "runtime/testing/test_util.h"

namespace spaceport::runtime {
namespace {

using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Texts(const std::vector<LogLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.text);
  return out;
}

TEST(FileLogStoreTest, SplitsLinesNumbersThemAndKeepsPartialUntilFlush) {
  TempDir dir;
  FakeClock clock;
  auto logs = MakeFileLogStore(dir.path(), &clock);
  logs->Append("alice/demo", LogKind::kRun, "one\ntwo\r\nthr");
  logs->Append("alice/demo", LogKind::kRun, "ee\nfour");
  auto tail = logs->Tail("alice/demo", LogKind::kRun, 10);
  EXPECT_EQ(Texts(tail), (std::vector<std::string>{"one", "two", "three"}));
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].seq, 1u);
  EXPECT_EQ(tail[2].seq, 3u);
  EXPECT_EQ(tail[0].unix_millis, clock.UnixMillis());
  logs->Flush("alice/demo", LogKind::kRun);
  tail = logs->Tail("alice/demo", LogKind::kRun, 2);
  EXPECT_EQ(Texts(tail), (std::vector<std::string>{"three", "four"}));
  EXPECT_EQ(tail[1].seq, 4u);
  EXPECT_EQ(ReadFile(dir.path() + "/alice/demo/run.log"), "one\ntwo\nthree\nfour\n");
  // Kinds are separate streams.
  EXPECT_TRUE(logs->Tail("alice/demo", LogKind::kBuild, 10).empty());
}

TEST(FileLogStoreTest, WaitReturnsLinesAfterSeqAndWakesOnAppend) {
  TempDir dir;
  FakeClock clock;
  auto logs = MakeFileLogStore(dir.path(), &clock);
  logs->Append("a/b", LogKind::kBuild, "first\n");
  auto got = logs->Wait("a/b", LogKind::kBuild, 0, Millis(0));
  EXPECT_EQ(Texts(got), std::vector<std::string>{"first"});
  EXPECT_TRUE(logs->Wait("a/b", LogKind::kBuild, 1, Millis(1)).empty());

  std::vector<LogLine> woken;
  auto start = std::chrono::steady_clock::now();
  std::thread follower([&] { woken = logs->Wait("a/b", LogKind::kBuild, 1, Millis(30000)); });
  logs->Append("a/b", LogKind::kBuild, "second\n");
  follower.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0].text, "second");
  EXPECT_EQ(woken[0].seq, 2u);
}

TEST(FileLogStoreTest, ResetClearsBuildLogButSeqKeepsGrowing) {
  TempDir dir;
  FakeClock clock;
  auto logs = MakeFileLogStore(dir.path(), &clock);
  logs->Append("a/b", LogKind::kBuild, "old 1\nold 2\n");
  logs->Reset("a/b", LogKind::kBuild);
  EXPECT_TRUE(logs->Tail("a/b", LogKind::kBuild, 10).empty());
  // A follower that had seen seq 1 must not spin on lines Reset dropped.
  EXPECT_TRUE(logs->Wait("a/b", LogKind::kBuild, 1, Millis(1)).empty());
  logs->Append("a/b", LogKind::kBuild, "new\n");
  auto tail = logs->Tail("a/b", LogKind::kBuild, 10);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].seq, 3u);
  EXPECT_EQ(ReadFile(dir.path() + "/a/b/build.log"), "new\n");
}

TEST(FileLogStoreTest, RotatesPastMaxBytesKeepingOneOldFile) {
  TempDir dir;
  FakeClock clock;
  auto logs = MakeFileLogStore(dir.path(), &clock, /*max_bytes=*/100);
  for (int i = 0; i < 50; ++i) logs->Append("a/b", LogKind::kRun, "line number " + std::to_string(i) + "\n");
  std::string run = dir.path() + "/a/b/run.log";
  ASSERT_TRUE(std::filesystem::exists(run + ".1"));
  EXPECT_FALSE(std::filesystem::exists(run + ".2"));
  EXPECT_LE(std::filesystem::file_size(run), 100u);
  EXPECT_LE(std::filesystem::file_size(run + ".1"), 100u);
  EXPECT_NE(ReadFile(run).find("line number 49\n"), std::string::npos);
  // The in-memory ring is not affected by rotation.
  EXPECT_EQ(logs->Tail("a/b", LogKind::kRun, 100).size(), 50u);
}

TEST(FileLogStoreTest, HostileSpaceIdsStayInMemory) {
  TempDir dir;
  FakeClock clock;
  std::string inner = dir.path() + "/logs";
  auto logs = MakeFileLogStore(inner, &clock);
  logs->Append("../escape", LogKind::kRun, "x\n");
  logs->Append("a/../../b", LogKind::kRun, "x\n");
  EXPECT_EQ(logs->Tail("../escape", LogKind::kRun, 5).size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/escape"));
  EXPECT_FALSE(std::filesystem::exists(inner));
}

TEST(FileLogStoreTest, VeryLongLinesAreCutAndForgetDropsEverything) {
  TempDir dir;
  FakeClock clock;
  auto logs = MakeFileLogStore(dir.path(), &clock);
  logs->Append("a/b", LogKind::kRun, std::string(40000, 'x'));
  EXPECT_GE(logs->Tail("a/b", LogKind::kRun, 10).size(), 2u);
  logs->Forget("a/b");
  EXPECT_TRUE(logs->Tail("a/b", LogKind::kRun, 10).empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/a/b"));
}

}  // namespace
}  // namespace spaceport::runtime
