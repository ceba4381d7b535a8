#include "hub/commit/commit_stream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/strings.h"
#include "core/testing/temp_dir.h"
#include "hub/commit/commit_ndjson.h"
#include "hub/commit/commit_slots.h"
#include "repo/testing_io.h"

namespace spaceport::hub {
namespace {

namespace fs = std::filesystem;
using spaceport::testing::StringBodyReader;
using spaceport::testing::TempDir;

std::string Line(const Json& j) { return j.dump() + "\n"; }
std::string Header() { return Line({{"key", "header"}, {"value", {{"summary", "s"}}}}); }

std::string RandomBytes(size_t n, unsigned seed = 7) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class CommitStreamTest : public ::testing::Test {
 protected:
  Result<repo::CommitRequest> Read(const std::string& body, size_t chunk = 1000, uint64_t max = 256u << 20) {
    StringBodyReader reader(body, chunk);
    return ReadCommitNdjson(reader, max, spill_);
  }
  size_t FilesInDir() const { return static_cast<size_t>(std::distance(fs::directory_iterator(dir_.path()), {})); }

  TempDir dir_;
  SpillFiles spill_{dir_.path()};
};

// A big base64 file arrives in small reads: its bytes end up in a file, not
// in memory, whatever the chunk boundaries cut.
TEST_F(CommitStreamTest, BigBase64ContentGoesToAFile) {
  const std::string bytes = RandomBytes(3 << 20);
  std::string body = Header() +
                     Line({{"key", "file"}, {"value", {{"content", Base64Encode(bytes)}, {"path", "big.bin"}, {"encoding", "base64"}}}}) +
                     Line({{"key", "file"}, {"value", {{"path", "small.txt"}, {"content", "hi"}}}});
  for (size_t chunk : {size_t{997}, size_t{65536}}) {
    auto req = Read(body, chunk);
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    ASSERT_EQ(req->ops.size(), 2u);
    EXPECT_EQ(req->ops[0].path, "big.bin");
    EXPECT_TRUE(req->ops[0].content.empty());
    ASSERT_FALSE(req->ops[0].content_file.empty());
    EXPECT_TRUE(ReadFileBytes(req->ops[0].content_file) == bytes);
    EXPECT_EQ(req->ops[1].content, "hi");
    EXPECT_TRUE(req->ops[1].content_file.empty());
  }
}

// utf-8 content is unescaped on the way: escapes and surrogate pairs cut
// across reads come out as the text.
TEST_F(CommitStreamTest, BigUtf8ContentIsUnescaped) {
  std::string text;
  while (text.size() < (2u << 20)) text += "line \"quoted\" \\ caf\xc3\xa9 \xf0\x9f\x98\x80 tab\there\n";
  std::string body = Header() + Line({{"key", "file"}, {"value", {{"path", "t.txt"}, {"content", text}}}});
  // A hand-written \u escape too (nlohmann writes UTF-8 as is).
  body += R"({"key":"file","value":{"path":"u.txt","content":")" + std::string(2u << 20, 'a') + R"(\u00e9\ud83d\ude00"}})" "\n";
  auto req = Read(body, 4093);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->ops.size(), 2u);
  EXPECT_TRUE(ReadFileBytes(req->ops[0].content_file) == text);
  EXPECT_TRUE(ReadFileBytes(req->ops[1].content_file) == std::string(2u << 20, 'a') + "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_F(CommitStreamTest, SmallBodiesParseAsBefore) {
  std::string body = Header() + Line({{"key", "file"}, {"value", {{"path", "a.txt"}, {"content", "YQ=="}, {"encoding", "base64"}}}}) +
                     Line({{"key", "deletedFile"}, {"value", {{"path", "old.txt"}}}});
  auto streamed = Read(body, 5);
  auto whole = ParseCommitNdjson(body);
  ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(streamed->ops.size(), whole->ops.size());
  for (size_t i = 0; i < whole->ops.size(); ++i) {
    EXPECT_EQ(streamed->ops[i].path, whole->ops[i].path);
    EXPECT_EQ(streamed->ops[i].content, whole->ops[i].content);
    EXPECT_EQ(streamed->ops[i].kind, whole->ops[i].kind);
  }
  EXPECT_EQ(streamed->summary, "s");
}

// Past the in-memory budget, short lines' contents are spilled too.
TEST_F(CommitStreamTest, ManyMediumFilesStayWithinTheMemoryBudget) {
  std::string body = Header();
  const std::string bytes = RandomBytes(700 << 10);
  for (int i = 0; i < 30; ++i) {
    body += Line({{"key", "file"}, {"value", {{"path", "f" + std::to_string(i)}, {"content", Base64Encode(bytes)}, {"encoding", "base64"}}}});
  }
  auto req = Read(body, 65536);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  size_t in_memory = 0, spilled = 0;
  for (const auto& op : req->ops) {
    in_memory += op.content.size();
    if (!op.content_file.empty()) {
      ++spilled;
      EXPECT_TRUE(ReadFileBytes(op.content_file) == bytes);
    } else {
      EXPECT_TRUE(op.content == bytes);
    }
  }
  EXPECT_LE(in_memory, kInMemoryBytes);
  EXPECT_GT(spilled, 0u);
}

TEST_F(CommitStreamTest, RefusesWhatCannotStreamAndCleansUp) {
  const std::string big(3u << 20, 'A');
  struct Case {
    const char* what;
    std::string line;
    StatusCode code;
  };
  std::vector<Case> cases = {
      {"lfsFile with a huge field", Line({{"key", "lfsFile"}, {"value", {{"path", "x"}, {"content", big}}}}), StatusCode::kInvalidArgument},
      {"two big strings", Line({{"key", "file"}, {"value", {{"path", big}, {"content", big}}}}), StatusCode::kInvalidArgument},
      {"bad base64", Line({{"key", "file"}, {"value", {{"path", "b"}, {"content", big + "*"}, {"encoding", "base64"}}}}), StatusCode::kInvalidArgument},
      {"padding in the middle", Line({{"key", "file"}, {"value", {{"path", "b"}, {"content", "AA==" + big}, {"encoding", "base64"}}}}), StatusCode::kInvalidArgument},
      {"truncated", Header().substr(0, 0) + R"({"key":"file","value":{"path":"t","content":")" + big, StatusCode::kInvalidArgument},
      {"bad path", Line({{"key", "file"}, {"value", {{"path", "../x"}, {"content", big}}}}), StatusCode::kInvalidArgument},
      {"big .gitattributes", Line({{"key", "file"}, {"value", {{"path", ".gitattributes"}, {"content", big}}}}), StatusCode::kInvalidArgument},
      {"control byte", R"({"key":"file","value":{"path":"c","content":")" + big + "\x01\"}}\n", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    {
      SpillFiles spill(dir_.path());
      StringBodyReader reader(Header() + c.line, 65536);
      auto req = ReadCommitNdjson(reader, 256u << 20, spill);
      EXPECT_EQ(req.status().code(), c.code) << c.what << ": " << req.status().ToString();
    }
    EXPECT_EQ(FilesInDir(), 0u) << c.what << ": spill files left behind";
  }
  auto too_big = Read(Header() + Line({{"key", "file"}, {"value", {{"path", "p"}, {"content", big}}}}), 65536, 1 << 20);
  EXPECT_EQ(too_big.status().code(), StatusCode::kPayloadTooLarge);
}

// A commit whose contents cannot fit stops being read (and written to disk)
// once they pass the spill limit, long before its body ends.
TEST_F(CommitStreamTest, SpillLimitStopsABigCommitEarly) {
  const std::string bytes = RandomBytes(4 << 20);
  std::string body = Header() + Line({{"key", "file"},
                                      {"value", {{"content", Base64Encode(bytes)}, {"path", "big.bin"}, {"encoding", "base64"}}}});
  SpillFiles small(dir_.path(), 1 << 20, "no room for it");
  StringBodyReader reader(body, 65536);
  auto req = ReadCommitNdjson(reader, 256u << 20, small);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.status().code(), StatusCode::kPayloadTooLarge);
  EXPECT_EQ(req.status().message(), "no room for it");
  EXPECT_GT(reader.unread(), body.size() / 2);
  // Many short lines that spill count as well.
  std::string lines = Header();
  for (int i = 0; i < 40; ++i) {
    lines += Line({{"key", "file"}, {"value", {{"path", "f" + std::to_string(i)}, {"content", std::string(100000, 'x')}}}});
  }
  SpillFiles some(dir_.path(), 1 << 20, "no room");
  StringBodyReader short_reader(lines, 65536);
  EXPECT_EQ(ReadCommitNdjson(short_reader, 256u << 20, some, kWholeLineBytes, 500000).status().code(),
            StatusCode::kPayloadTooLarge);
  SpillFiles enough(dir_.path(), 8 << 20, "no room");
  StringBodyReader again(lines, 65536);
  EXPECT_TRUE(ReadCommitNdjson(again, 256u << 20, enough, kWholeLineBytes, 500000).ok());
}

TEST(CommitSlotsTest, FourCommitsPerUserAtOnce) {
  CommitSlots slots;
  std::vector<CommitSlots::Slot> held;
  for (int i = 0; i < CommitSlots::kPerUser; ++i) {
    auto slot = slots.Take("alice");
    ASSERT_TRUE(slot.ok());
    held.push_back(std::move(slot).value());
  }
  auto refused = slots.Take("alice");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(slots.Take("bob").ok());  // others are not held up
  held.pop_back();
  EXPECT_TRUE(slots.Take("alice").ok());
}

}  // namespace
}  // namespace spaceport::hub
