#include "edge/filters.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <vector>

namespace spaceport::edge {
namespace {

class RecordingCallbacks : public FilterCallbacks {
 public:
  void ContinueDecoding() override { ++continued; }
  void ContinueDecodingWith(std::function<FilterStatus(RequestContext&)> resume) override {
    ++continued;
    resumes.push_back(std::move(resume));
  }
  std::vector<std::function<FilterStatus(RequestContext&)>> resumes;
  void SendLocalReply(http::Response r) override { reply = std::move(r); }
  int continued = 0;
  std::optional<http::Response> reply;
};

RequestContext Make(std::string path, std::string host, RecordingCallbacks* cb) {
  RequestContext ctx;
  ctx.request.method = "GET";
  ctx.request.path = path;
  size_t q = path.find('?');
  if (q != std::string::npos) {
    ctx.request.path = path.substr(0, q);
    ctx.request.query = path.substr(q + 1);
  }
  ctx.request.target = path;
  ctx.request.headers.Add("Host", host);
  ctx.request.remote_addr = "192.0.2.7";
  ctx.callbacks = cb;
  return ctx;
}

TEST(PathHasDotDotTest, CatchesEncodedAndBackslashForms) {
  EXPECT_TRUE(PathHasDotDot("/a/../b"));
  EXPECT_TRUE(PathHasDotDot("/.."));
  EXPECT_TRUE(PathHasDotDot("/a/%2e%2e/b"));
  EXPECT_TRUE(PathHasDotDot("/a/%2E./b"));
  EXPECT_TRUE(PathHasDotDot("/a/..%2fb"));
  EXPECT_TRUE(PathHasDotDot("/a/%252e%252e/b"));
  EXPECT_TRUE(PathHasDotDot("/a\\b"));
  EXPECT_TRUE(PathHasDotDot("/a%5cb"));
  EXPECT_FALSE(PathHasDotDot("/a/..b/c"));
  EXPECT_FALSE(PathHasDotDot("/a/.../c"));
  EXPECT_FALSE(PathHasDotDot("/a/b.c/"));
}

class RouteFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::AppRoute r;
    r.space_id = "alice/app";
    r.subdomain = "alice-app";
    r.stage = runtime::Stage::kRunning;
    r.upstream_host = "127.0.0.1";
    r.upstream_port = 9999;
    routes_.Publish(r);
    runtime::AppRoute s;
    s.space_id = "alice/site";
    s.subdomain = "alice-site";
    s.stage = runtime::Stage::kRunning;
    s.static_root = "/tmp/x";
    routes_.Publish(s);
    runtime::AppRoute d;
    d.space_id = "bob/down";
    d.subdomain = "bob-down";
    d.stage = runtime::Stage::kSleeping;
    routes_.Publish(d);
  }
  runtime::RouteTable routes_;
  RouteFilter filter_{&routes_, "apps.example"};
  RecordingCallbacks cb_;
};

TEST_F(RouteFilterTest, HostBasedRouting) {
  auto ctx = Make("/x", "Alice-App.apps.example:8080", &cb_);
  EXPECT_EQ(filter_.OnRequestHeaders(ctx), FilterStatus::kContinue);
  EXPECT_EQ(ctx.kind, RouteKind::kAppProxy);
  ASSERT_TRUE(ctx.route);
  EXPECT_EQ(ctx.route->space_id, "alice/app");
  auto stat = Make("/", "alice-site.apps.example", &cb_);
  EXPECT_EQ(filter_.OnRequestHeaders(stat), FilterStatus::kContinue);
  EXPECT_EQ(stat.kind, RouteKind::kAppStatic);
  auto unknown = Make("/", "zed.apps.example", &cb_);
  EXPECT_EQ(filter_.OnRequestHeaders(unknown), FilterStatus::kStop);
  EXPECT_EQ(cb_.reply->status, 404);
}

// A client's own X-Forwarded-Prefix on an app host makes nothing path-based
// (that would hand the app the hub's session cookie) and never reaches the app.
TEST_F(RouteFilterTest, ClientSentForwardedPrefixIsNoPathPrefix) {
  auto ctx = Make("/", "alice-app.apps.example", &cb_);
  ctx.request.headers.Add("X-Forwarded-Prefix", "/spaces/alice/app/app");
  ctx.request.headers.Add("X_Forwarded_Prefix", "/spaces/alice/app/app");
  EXPECT_EQ(filter_.OnRequestHeaders(ctx), FilterStatus::kContinue);
  ASSERT_TRUE(ctx.route);
  EXPECT_TRUE(ctx.path_prefix.empty());
  for (const auto& field : ctx.request.headers.fields()) EXPECT_FALSE(http::SpellsName(field.first, "X-Forwarded-Prefix"));
}

TEST_F(RouteFilterTest, PathBasedRoutingStripsPrefix) {
  auto ctx = Make("/spaces/alice/app/app/api/predict?x=1", "hub.example", &cb_);
  ctx.request.headers.Add("X_Forwarded_Prefix", "/elsewhere");
  EXPECT_EQ(filter_.OnRequestHeaders(ctx), FilterStatus::kContinue);
  int prefixes = 0;
  for (const auto& field : ctx.request.headers.fields()) prefixes += http::SpellsName(field.first, "X-Forwarded-Prefix");
  EXPECT_EQ(prefixes, 1);
  EXPECT_EQ(ctx.request.path, "/api/predict");
  EXPECT_EQ(ctx.request.target, "/api/predict?x=1");
  EXPECT_EQ(ctx.request.headers.Get("X-Forwarded-Prefix").value(), "/spaces/alice/app/app");
  EXPECT_EQ(ctx.path_prefix, "/spaces/alice/app/app");
  auto hub = Make("/spaces/alice/app", "hub.example", &cb_);
  EXPECT_EQ(filter_.OnRequestHeaders(hub), FilterStatus::kContinue);
  EXPECT_EQ(hub.kind, RouteKind::kHub);
  EXPECT_FALSE(hub.route);
  auto redirect = Make("/spaces/alice/app/app", "hub.example", &cb_);
  EXPECT_EQ(filter_.OnRequestHeaders(redirect), FilterStatus::kStop);
  EXPECT_EQ(cb_.reply->status, 301);
  EXPECT_EQ(cb_.reply->headers.Get("Location").value(), "/spaces/alice/app/app/");
}

TEST_F(RouteFilterTest, NotServingIs503WithStageAfterRouting) {
  auto ctx = Make("/spaces/bob/down/app/", "hub.example", &cb_);
  EXPECT_EQ(filter_.OnRequestHeaders(ctx), FilterStatus::kContinue) << "routing alone tells nothing";
  EXPECT_FALSE(cb_.reply);
  EXPECT_EQ(AppStateFilter().OnRequestHeaders(ctx), FilterStatus::kStop);
  EXPECT_EQ(cb_.reply->status, 503);
  EXPECT_EQ(cb_.reply->headers.Get("Retry-After").value(), "5");
  EXPECT_NE(cb_.reply->body.find("SLEEPING"), std::string::npos);
}

TEST(SanitizeFilterTest, StripsIdentityAndSetsForwarded) {
  RecordingCallbacks cb;
  auto ctx = Make("/", "a.example:81", &cb);
  ctx.request.headers.Add("x-spaceport-user", "root");
  ctx.request.headers.Add("X-Spaceport-Identity", "forged");
  ctx.request.headers.Add("X-Forwarded-For", "1.2.3.4");
  // Spellings a WSGI/CGI server reads as the same header (HTTP_X_SPACEPORT_USER).
  ctx.request.headers.Add("X_Spaceport_User", "alice");
  ctx.request.headers.Add("x-SPACEPORT_identity", "forged");
  ctx.request.headers.Add("X_Forwarded_For", "6.6.6.6");
  ctx.request.headers.Add("X_Forwarded-Proto", "https");
  ctx.request.headers.Add("X-Forwarded_Host", "evil.example");
  ctx.request.headers.Add("X_Other_Header", "kept");
  SanitizeFilter f;
  EXPECT_EQ(f.OnRequestHeaders(ctx), FilterStatus::kContinue);
  for (const auto& [name, value] : ctx.request.headers.fields()) {
    for (std::string_view ours : {"X-Spaceport-User", "X-Spaceport-Identity"}) {
      EXPECT_FALSE(http::SpellsName(name, ours)) << name << ": " << value;
    }
    EXPECT_NE(value, "6.6.6.6") << name;
    EXPECT_NE(value, "evil.example") << name;
    if (http::SpellsName(name, "X-Forwarded-Proto")) EXPECT_EQ(value, "http") << name;
  }
  EXPECT_EQ(ctx.request.headers.Get("X_Other_Header").value_or(""), "kept");
  EXPECT_FALSE(ctx.request.headers.Has("X-Spaceport-User"));
  EXPECT_FALSE(ctx.request.headers.Has("X-Spaceport-Identity"));
  EXPECT_EQ(ctx.request.headers.Get("X-Forwarded-For").value(), "1.2.3.4, 192.0.2.7");
  EXPECT_EQ(ctx.request.headers.Get("X-Forwarded-Proto").value(), "http");
  EXPECT_EQ(ctx.request.headers.Get("X-Forwarded-Host").value(), "a.example:81");
}

TEST(SanitizeFilterTest, AppsNeverGetTheHubSessionCookie) {
  RecordingCallbacks cb;
  auto ctx = Make("/spaces/o/n/app/", "hub.example", &cb);
  ctx.kind = RouteKind::kAppProxy;
  ctx.request.headers.Add("Cookie", "a=1; spaceport_session=ss_secret; b=2");
  ctx.request.headers.Add("Cookie", "spaceport_session=ss_secret");
  SanitizeFilter f;
  EXPECT_EQ(f.OnRequestHeaders(ctx), FilterStatus::kContinue);
  EXPECT_EQ(ctx.request.headers.Get("Cookie").value_or(""), "a=1; b=2");
  int cookies = 0;
  for (const auto& field : ctx.request.headers.fields()) cookies += field.first == "Cookie";
  EXPECT_EQ(cookies, 1);

  auto hub = Make("/settings/tokens", "hub.example", &cb);  // the hub itself keeps it
  hub.request.headers.Add("Cookie", "spaceport_session=ss_secret");
  EXPECT_EQ(f.OnRequestHeaders(hub), FilterStatus::kContinue);
  EXPECT_EQ(hub.request.headers.Get("Cookie").value_or(""), "spaceport_session=ss_secret");
  EXPECT_EQ(hub.hub_session, "");
}

TEST(SanitizeFilterTest, PathBasedAppsHandTheHubSessionToTheAccessFilterOnly) {
  RecordingCallbacks cb;
  SanitizeFilter f;
  auto path_based = Make("/", "hub.example", &cb);
  path_based.kind = RouteKind::kAppStatic;
  path_based.path_prefix = "/spaces/o/n/app";
  path_based.request.headers.Add("Cookie", "a=1; spaceport_session=ss_first");
  path_based.request.headers.Add("Cookie", "spaceport_session=ss_second");
  EXPECT_EQ(f.OnRequestHeaders(path_based), FilterStatus::kContinue);
  EXPECT_EQ(path_based.hub_session, "ss_first");
  EXPECT_EQ(path_based.request.headers.Get("Cookie").value_or(""), "a=1");

  auto host_based = Make("/", "o-n.apps.example", &cb);  // another origin: never the hub's cookie
  host_based.kind = RouteKind::kAppProxy;
  host_based.request.headers.Add("Cookie", "spaceport_session=ss_planted");
  EXPECT_EQ(f.OnRequestHeaders(host_based), FilterStatus::kContinue);
  EXPECT_EQ(host_based.hub_session, "");
  EXPECT_FALSE(host_based.request.headers.Has("Cookie"));
}

TEST(PathGuardFilterTest, StopsWith400) {
  RecordingCallbacks cb;
  auto ctx = Make("/x/%2e%2e/etc/passwd", "h", &cb);
  PathGuardFilter f;
  EXPECT_EQ(f.OnRequestHeaders(ctx), FilterStatus::kStop);
  EXPECT_EQ(cb.reply->status, 400);
  EXPECT_EQ(cb.reply->body, R"({"error":"path contains '..'"})");
}

}  // namespace
}  // namespace spaceport::edge
