#include "http/parser.h"

#include <gtest/gtest.h>

namespace spaceport::http {
namespace {

ParseOutcome ParseAll(std::string_view data, Request* r, HeadParser* p) { return p->ParseRequest(data, r); }

TEST(RequestParserTest, ParsesSimpleRequest) {
  HeadParser p;
  Request r;
  std::string data = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Y:  v  \r\n\r\nBODY";
  ASSERT_EQ(ParseAll(data, &r, &p), ParseOutcome::kDone);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/a/b?x=1");
  EXPECT_EQ(r.path, "/a/b");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_EQ(r.headers.Get("x-y").value(), "v");
  EXPECT_EQ(data.substr(p.head_size()), "BODY");
}

TEST(RequestParserTest, IncrementalByteByByte) {
  std::string data = "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
  HeadParser p;
  Request r;
  for (size_t i = 1; i < data.size(); ++i) {
    Request tmp;
    ASSERT_EQ(p.ParseRequest(std::string_view(data).substr(0, i), &tmp), ParseOutcome::kNeedMore) << i;
  }
  ASSERT_EQ(p.ParseRequest(data, &r), ParseOutcome::kDone);
  EXPECT_EQ(p.head_size(), data.size());
}

TEST(RequestParserTest, HeadTooLargeIs431) {
  HeadParser p(1024);
  Request r;
  std::string data = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'a');
  ASSERT_EQ(p.ParseRequest(data, &r), ParseOutcome::kError);
  EXPECT_EQ(p.error_status(), 431);
}

struct BadCase {
  const char* name;
  const char* head;
  int status;
};

TEST(RequestParserTest, RejectsMalformedHeads) {
  const BadCase cases[] = {
      {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n", 400},
      {"bad name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): a\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n", 400},
      {"bad request line", "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"bad version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
      {"no host 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"control in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n", 400},
      {"relative target", "GET a HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"bare lf line", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    HeadParser p;
    Request r;
    EXPECT_EQ(p.ParseRequest(c.head, &r), ParseOutcome::kError) << c.name;
    EXPECT_EQ(p.error_status(), c.status) << c.name;
  }
}

TEST(RequestParserTest, Http10WithoutHostIsFine) {
  HeadParser p;
  Request r;
  ASSERT_EQ(p.ParseRequest("GET / HTTP/1.0\r\n\r\n", &r), ParseOutcome::kDone);
  EXPECT_EQ(r.version_minor, 0);
}

TEST(RequestParserTest, AbsoluteFormReducedToOriginForm) {
  HeadParser p;
  Request r;
  ASSERT_EQ(p.ParseRequest("GET http://h/x?y HTTP/1.1\r\nHost: h\r\n\r\n", &r), ParseOutcome::kDone);
  EXPECT_EQ(r.target, "/x?y");
  EXPECT_EQ(r.path, "/x");
}

Request ParseOk(std::string_view head) {
  HeadParser p;
  Request r;
  EXPECT_EQ(p.ParseRequest(head, &r), ParseOutcome::kDone) << p.error();
  return r;
}

TEST(FramingTest, SmugglingAttemptsRejected) {
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n")).ok());
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                                      "Content-Length: 6\r\n\r\n")).ok());
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n")).ok());
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n")).ok());
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n")).ok());
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")).ok());
  EXPECT_FALSE(RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n")).ok());
}

// Equal repeated values are accepted, then forwarded as one plain field.
TEST(FramingTest, RepeatedContentLengthBecomesOne) {
  for (const char* head : {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
                           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n"}) {
    Request r = ParseOk(head);
    auto framing = RequestFraming(r);
    ASSERT_TRUE(framing.ok()) << head;
    EXPECT_TRUE(framing->length_repeated) << head;
    SingleContentLength(r.headers, *framing);
    std::vector<std::string> values;
    for (const auto& [name, value] : r.headers.fields()) {
      if (NameEquals(name, "Content-Length")) values.push_back(value);
    }
    EXPECT_EQ(values, std::vector<std::string>{"5"}) << head;
  }
  Request plain = ParseOk("POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 7\r\n\r\n");
  auto once = RequestFraming(plain);
  ASSERT_TRUE(once.ok());
  EXPECT_FALSE(once->length_repeated);
  SingleContentLength(plain.headers, *once);
  EXPECT_EQ(plain.headers.fields()[1].first, "content-length");  // untouched
}

TEST(FramingTest, ValidFramings) {
  auto same = RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->kind, BodyFraming::kLength);
  EXPECT_EQ(same->length, 5u);
  auto chunked = RequestFraming(ParseOk("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"));
  ASSERT_TRUE(chunked.ok());
  EXPECT_EQ(chunked->kind, BodyFraming::kChunked);
  auto none = RequestFraming(ParseOk("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, BodyFraming::kNone);
}

TEST(ResponseParserTest, ParsesAndFrames) {
  HeadParser p;
  ResponseHead head;
  ASSERT_EQ(p.ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", &head), ParseOutcome::kDone);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.reason, "OK");
  auto f = ResponseFraming("GET", head);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, BodyFraming::kLength);
  EXPECT_EQ(ResponseFraming("HEAD", head)->kind, BodyFraming::kNone);
  ResponseHead close_delimited;
  HeadParser p2;
  ASSERT_EQ(p2.ParseResponse("HTTP/1.0 200 \r\n\r\n", &close_delimited), ParseOutcome::kDone);
  EXPECT_EQ(ResponseFraming("GET", close_delimited)->kind, BodyFraming::kUntilClose);
  HeadParser p3;
  ResponseHead bad;
  EXPECT_EQ(p3.ParseResponse("HTTP/1.1 2000 OK\r\n\r\n", &bad), ParseOutcome::kError);
}

TEST(ChunkedDecoderTest, DecodesAcrossArbitrarySplits) {
  std::string wire = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\nNEXT";
  for (size_t split = 0; split <= wire.size(); ++split) {
    ChunkedDecoder d;
    std::string out;
    size_t used = 0;
    auto a = d.Feed(std::string_view(wire).substr(0, split), &out);
    ASSERT_TRUE(a.ok());
    used += *a;
    auto b = d.Feed(std::string_view(wire).substr(used), &out);
    ASSERT_TRUE(b.ok()) << split;
    used += *b;
    EXPECT_TRUE(d.done());
    EXPECT_EQ(out, "helloabcdefghijklmnopqrstuvwxyz");
    EXPECT_EQ(wire.substr(used), "NEXT");
  }
}

TEST(ChunkedDecoderTest, RejectsBadFraming) {
  const char* bad[] = {"zz\r\n", "5\r\nhelloXX", "5\nhello\r\n", "fffffffffffffffff\r\n", "\r\n"};
  for (const char* b : bad) {
    ChunkedDecoder d;
    EXPECT_FALSE(d.Feed(b, nullptr).ok()) << b;
  }
}

TEST(ChunkedEncoderTest, RoundTrips) {
  std::string wire;
  AppendChunk(&wire, "data: one\n\n");
  AppendChunk(&wire, "");
  AppendChunk(&wire, std::string(300, 'x'));
  wire.append(kLastChunk);
  EXPECT_EQ(wire.substr(0, 3), "b\r\n");
  ChunkedDecoder d;
  std::string out;
  ASSERT_EQ(*d.Feed(wire, &out), wire.size());
  EXPECT_TRUE(d.done());
  EXPECT_EQ(out, "data: one\n\n" + std::string(300, 'x'));
}

TEST(SerializeTest, RequestAndResponseHeads) {
  Request r;
  r.method = "GET";
  r.target = "/x";
  r.headers.Add("Host", "h");
  std::string out;
  AppendRequestHead(r, &out);
  EXPECT_EQ(out, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  Headers h;
  h.Add("Content-Length", "0");
  out.clear();
  AppendResponseHead(404, h, &out);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace spaceport::http
