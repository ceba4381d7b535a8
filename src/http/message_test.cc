#include "http/message.h"

#include <gtest/gtest.h>

namespace spaceport::http {
namespace {

TEST(HeadersTest, CaseInsensitiveGetSetRemove) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  h.Add("X-A", "1");
  h.Add("x-a", "2");
  EXPECT_EQ(h.Get("content-type").value(), "text/plain");
  EXPECT_EQ(h.Get("X-A").value(), "1");
  h.Set("X-a", "3");
  EXPECT_EQ(h.fields().size(), 2u);
  EXPECT_EQ(h.Get("x-A").value(), "3");
  h.Remove("CONTENT-TYPE");
  EXPECT_FALSE(h.Has("Content-Type"));
}

TEST(HeadersTest, HasToken) {
  Headers h;
  h.Add("Connection", "keep-alive, Upgrade");
  EXPECT_TRUE(h.HasToken("connection", "upgrade"));
  EXPECT_TRUE(h.HasToken("Connection", "Keep-Alive"));
  EXPECT_FALSE(h.HasToken("Connection", "close"));
  EXPECT_FALSE(h.HasToken("Connection", "grade"));
}

TEST(RequestTest, HostStripsPortAndLowerCases) {
  Request r;
  r.headers.Add("Host", "Alice-App.LocalHost:8080");
  EXPECT_EQ(r.host(), "alice-app.localhost");
  Request v6;
  v6.headers.Add("Host", "[::1]:80");
  EXPECT_EQ(v6.host(), "[::1]");
  EXPECT_EQ(Request().host(), "");
}

TEST(ResponseTest, Helpers) {
  Response r = Response::Json(404, "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("Content-Type").value(), "application/json");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(502), "Bad Gateway");
}

TEST(StripHopByHopTest, RemovesStandardAndListedFields) {
  Headers h;
  h.Add("Connection", "close, X-Secret");
  h.Add("Keep-Alive", "timeout=5");
  h.Add("Transfer-Encoding", "chunked");
  h.Add("Upgrade", "websocket");
  h.Add("TE", "trailers");
  h.Add("Trailer", "X");
  h.Add("Proxy-Connection", "keep-alive");
  h.Add("x-secret", "1");
  h.Add("Content-Type", "text/html");
  StripHopByHop(h);
  ASSERT_EQ(h.fields().size(), 1u);
  EXPECT_EQ(h.fields()[0].first, "Content-Type");
}

}  // namespace
}  // namespace spaceport::http
