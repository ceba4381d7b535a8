#include "hub/router.h"

#include <gtest/gtest.h>

#include "hub/html.h"
#include "hub/http_error.h"

namespace spaceport::hub {
namespace {

TEST(SplitPath, DecodesAndDropsEmptySegments) {
  EXPECT_EQ(*SplitPath("/api/spaces/alice%2Fdemo/"), (std::vector<std::string>{"api", "spaces", "alice", "demo"}));
  EXPECT_EQ(*SplitPath("/"), std::vector<std::string>{});
  EXPECT_EQ(*SplitPath("//a//b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitPath("/a%2").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitPath("/a%zz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitPath("/a%00b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitPath("/a%0Ab").status().code(), StatusCode::kInvalidArgument);
}

TEST(Router, MatchesLiteralsAndParams) {
  Router router;
  int hit = 0;
  router.Add("GET", "/api/spaces/:owner/:name", [&](Call&) { hit = 1; return Status::Ok(); });
  router.Add("POST", "/api/spaces/:owner/:name/restart", [&](Call&) { hit = 2; return Status::Ok(); });
  RouteMatch m = router.Find("GET", *SplitPath("/api/spaces/alice/demo"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/spaces/:owner/:name");
  EXPECT_EQ(m.params["owner"], "alice");
  EXPECT_EQ(m.params["name"], "demo");
  m = router.Find("GET", *SplitPath("/api/spaces/alice/demo/restart"));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_matched);
  m = router.Find("GET", *SplitPath("/api/spaces/alice"));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.path_matched);
}

TEST(HttpError, MapsEveryCode) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
  http::Response r = ErrorResponse(Status::Unauthenticated("who \"are\" you"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"({"error":"who \"are\" you"})");
  EXPECT_EQ(r.headers.Get("WWW-Authenticate").value_or(""), "Basic realm=\"Spaceport\"");
  EXPECT_FALSE(ErrorResponse(Status::NotFound("x")).headers.Has("WWW-Authenticate"));
  http::Response page = ErrorResponse(Status::Unauthenticated("sign in first"), ErrorFormat::kHtml);
  EXPECT_EQ(page.status, 401);
  EXPECT_FALSE(page.headers.Has("WWW-Authenticate"));  // no browser password dialog
  EXPECT_NE(page.body.find("href=\"/login\""), std::string::npos);
}

TEST(Html, EscapesEverythingDangerous) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\" onclick='y'>&</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

}  // namespace
}  // namespace spaceport::hub
