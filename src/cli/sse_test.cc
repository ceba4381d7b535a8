#include "cli/sse.h"

#include <gtest/gtest.h>

#include "cli/log_follower.h"

namespace spaceport::cli {
namespace {

TEST(SseParserTest, EventsSplitAcrossChunks) {
  SseParser p;
  EXPECT_TRUE(p.Feed("data: {\"data\":\"he").empty());
  auto events = p.Feed("llo\"}\n\n: keepalive\n\nevent: end\r\ndata: a\r\ndata:b\r\n\r\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "{\"data\":\"hello\"}");
  EXPECT_EQ(events[1].event, "end");
  EXPECT_EQ(events[1].data, "a\nb");
}

TEST(SseParserTest, CarriageReturnOnlyAndSplitCrLf) {
  SseParser p;
  auto a = p.Feed("data: x\r");
  auto b = p.Feed("\n\r\n");
  ASSERT_EQ(a.size() + b.size(), 1u);
  EXPECT_EQ((a.empty() ? b : a)[0].data, "x");
}

TEST(SseParserTest, OverlongLineIsCut) {
  SseParser p;
  std::string huge(SseParser::kMaxLine + 100, 'x');
  auto events = p.Feed("data: " + huge + "\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_LE(events[0].data.size(), SseParser::kMaxLine);
}

TEST(LogEventTest, JsonPayloadAndFallbacks) {
  LogEvent e = ParseLogEvent(R"({"data":"step 1\n","timestamp":"2026-01-01T00:00:00.000Z"})");
  EXPECT_EQ(e.text, "step 1");
  EXPECT_EQ(e.timestamp, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(ParseLogEvent("plain text").text, "plain text");
  EXPECT_EQ(ParseLogEvent(R"({"data": 5})").text, R"({"data": 5})");
  EXPECT_EQ(ParseLogEvent("[1,").text, "[1,");
}

std::string Ev(const std::string& text, const std::string& ts) {
  return "data: {\"data\":\"" + text + "\",\"timestamp\":\"" + ts + "\"}\n\n";
}

TEST(LogFollowerTest, ReconnectSkipsLinesAlreadySeen) {
  LogFollower f;
  f.BeginConnection();
  auto first = f.Feed(Ev("a", "t1") + Ev("b", "t2") + Ev("c", "t2"));
  ASSERT_EQ(first.size(), 3u);
  f.BeginConnection();  // the server replays its tail
  auto second = f.Feed(Ev("b", "t2") + Ev("c", "t2") + Ev("d", "t2") + Ev("e", "t3"));
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].event.text, "d");
  EXPECT_EQ(second[1].event.text, "e");
  EXPECT_EQ(second[1].raw, "{\"data\":\"e\",\"timestamp\":\"t3\"}");
}

}  // namespace
}  // namespace spaceport::cli
