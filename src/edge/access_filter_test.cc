#include "edge/access_filter.h"
#include "edge/app_sign_in_filter.h"

#include <gtest/gtest.h>

#include <future>

#include "access/embed_links.h"
#include "access/tokens.h"
#include "core/testing/temp_dir.h"
#include "edge/filters.h"
#include "store/store.h"

namespace spaceport::edge {
namespace {

constexpr char kSpace[] = "alice/secret";

// Records what the filter did; a resume posted from a worker thread is
// handed to the test through a future.
class Callbacks : public FilterCallbacks {
 public:
  void ContinueDecoding() override { ++continued; }
  void ContinueDecodingWith(std::function<FilterStatus(RequestContext&)> resume) override {
    resumed.set_value(std::move(resume));
  }
  void SendLocalReply(http::Response r) override { reply = std::move(r); }

  int continued = 0;
  std::optional<http::Response> reply;
  std::promise<std::function<FilterStatus(RequestContext&)>> resumed;
};

class AccessFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::Store::Open({.url = "sqlite::memory:", .secrets_key = ""});
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    alice_ = *store_->CreateUser("alice", false, 0);
    bob_ = *store_->CreateUser("bob", false, 0);
    authenticator_ = access::Authenticator(store_.get(), &clock_);
    alice_token_ = Issue(alice_.id);
    bob_token_ = Issue(bob_.id);
    auto keys = access::SigningKeys::Open({.path = dir_.path() + "/keys.json"}, &clock_);
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(*keys);
    sessions_ = std::make_unique<access::AppSessions>(keys_.get(), &clock_, "http://hub.test");
    callers_ = std::make_unique<access::CallerCache>(&authenticator_, &clock_);
    hub_sessions_ = std::make_unique<access::SessionManager>(store_.get(), &clock_);
    EdgeAccess deps{&table_, callers_.get(), sessions_.get(), hub_sessions_.get()};
    sign_in_ = std::make_unique<AppSignInFilter>(deps);
    filter_ = std::make_unique<AccessFilter>(deps, &workers_);
    route_ = std::make_shared<runtime::AppRoute>();
    route_->space_id = kSpace;
    route_->subdomain = "alice-secret";
    route_->upstream_port = 1;
  }

  std::string Issue(int64_t user_id) {
    std::string token = access::GenerateToken();
    EXPECT_TRUE(store_->CreateToken(user_id, "t", store::TokenScope::kRead, access::HashToken(token), 0).ok());
    return token;
  }

  void MakePrivate() {
    access::SpaceAccess rules;
    rules.visibility = access::Visibility::kPrivate;
    rules.readers = {alice_.id};
    table_.Publish(kSpace, rules);
  }

  RequestContext Request(std::string target, Callbacks* cb) {
    RequestContext ctx;
    ctx.request.method = "GET";
    size_t q = target.find('?');
    ctx.request.path = target.substr(0, q);
    if (q != std::string::npos) ctx.request.query = target.substr(q + 1);
    ctx.request.target = target;
    ctx.request.headers.Add("Host", "alice-secret.apps.test");
    ctx.route = route_;
    ctx.callbacks = cb;
    return ctx;
  }

  // A request to the path-based URL carrying the hub's session cookie, as
  // SanitizeFilter leaves it.
  RequestContext PathBased(const std::string& session, Callbacks* cb, const std::string& method = "GET") {
    RequestContext ctx = Request("/", cb);
    ctx.request.method = method;
    ctx.request.headers.Set("Host", "hub.test");
    ctx.path_prefix = std::string("/spaces/") + kSpace + "/app";
    ctx.hub_session = session;
    return ctx;
  }

  // alice's app-host cookie from a hand-off made with the hub session `hub_session`.
  std::string AliceCookieFrom(const std::string& hub_session) {
    Result<std::string> cookie = sessions_->Redeem(
        sessions_->MintCode({alice_.id, "alice"}, kSpace, access::HashSessionId(hub_session)), kSpace);
    EXPECT_TRUE(cookie.ok()) << cookie.status().ToString();
    return cookie.ok() ? *cookie : "";
  }
  RequestContext WithAppCookie(const std::string& cookie, Callbacks* cb) {
    RequestContext ctx = Request("/", cb);
    ctx.request.headers.Add("Cookie", "sp_app=" + cookie);
    return ctx;
  }

  // Runs the filter; a paused request is resumed as the connection would.
  // The two filters as the edge chains them.
  FilterStatus Run(RequestContext& ctx, Callbacks& cb) {
    FilterStatus s = sign_in_->OnRequestHeaders(ctx);
    if (s == FilterStatus::kContinue) s = filter_->OnRequestHeaders(ctx);
    if (s == FilterStatus::kStop && !cb.reply) {
      auto resume = cb.resumed.get_future();
      if (resume.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        ADD_FAILURE() << "the paused request was never resumed";
        return s;
      }
      s = resume.get()(ctx);
    }
    return s;
  }

  spaceport::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  store::User alice_, bob_;
  std::string alice_token_, bob_token_;
  access::Authenticator authenticator_{nullptr, &clock_};
  std::unique_ptr<access::SigningKeys> keys_;
  std::unique_ptr<access::AppSessions> sessions_;
  std::unique_ptr<access::CallerCache> callers_;
  std::unique_ptr<access::SessionManager> hub_sessions_;
  access::AccessTable table_;
  WorkerPool workers_{2};
  std::unique_ptr<AppSignInFilter> sign_in_;
  std::unique_ptr<AccessFilter> filter_;
  std::shared_ptr<runtime::AppRoute> route_;
};

TEST_F(AccessFilterTest, PublicSpacePassesAnonymousVisitorsWithoutIdentity) {
  Callbacks cb;
  RequestContext ctx = Request("/", &cb);
  EXPECT_EQ(Run(ctx, cb), FilterStatus::kContinue);
  EXPECT_FALSE(ctx.request.headers.Has("X-Spaceport-User"));
  EXPECT_FALSE(ctx.request.headers.Has("X-Spaceport-Identity"));
}

TEST_F(AccessFilterTest, PrivateSpaceLooksUnknownToAnonymousAndNonMembers) {
  MakePrivate();
  Callbacks anon;
  RequestContext a = Request("/", &anon);
  EXPECT_EQ(Run(a, anon), FilterStatus::kStop);
  ASSERT_TRUE(anon.reply);
  EXPECT_EQ(anon.reply->status, 404);
  EXPECT_NE(anon.reply->body.find("no Space is served at alice-secret.apps.test"), std::string::npos);

  Callbacks other;
  RequestContext b = Request("/", &other);
  b.request.headers.Add("Authorization", "Bearer " + bob_token_);
  EXPECT_EQ(Run(b, other), FilterStatus::kStop);
  ASSERT_TRUE(other.reply);
  EXPECT_EQ(other.reply->status, 404);
  EXPECT_EQ(other.reply->body, anon.reply->body);
}

TEST_F(AccessFilterTest, ADisabledSpaceAnswers451WithTheNoticeToEveryoneAndPrivateOnesStayUnknown) {
  access::SpaceAccess rules;
  rules.disabled = "Taken down after a copyright claim.";
  table_.Publish(kSpace, rules);
  for (const std::string& token : {std::string(), alice_token_}) {
    Callbacks cb;
    RequestContext ctx = Request("/run", &cb);
    if (!token.empty()) ctx.request.headers.Add("Authorization", "Bearer " + token);
    ctx.probe = true;  // not even the directory's probe passes
    EXPECT_EQ(Run(ctx, cb), FilterStatus::kStop);
    ASSERT_TRUE(cb.reply);
    EXPECT_EQ(cb.reply->status, 451);
    EXPECT_NE(cb.reply->body.find("Taken down after a copyright claim."), std::string::npos) << cb.reply->body;
  }
  Callbacks browser;
  RequestContext page = Request("/", &browser);
  page.request.headers.Add("Accept", "text/html");
  Run(page, browser);
  ASSERT_TRUE(browser.reply);
  EXPECT_EQ(browser.reply->status, 451);
  EXPECT_NE(browser.reply->body.find("<h1>alice/secret is disabled</h1>"), std::string::npos) << browser.reply->body;

  rules.visibility = access::Visibility::kPrivate;
  rules.readers = {alice_.id};
  table_.Publish(kSpace, rules);
  Callbacks anon;
  RequestContext a = Request("/", &anon);
  Run(a, anon);
  ASSERT_TRUE(anon.reply);
  EXPECT_EQ(anon.reply->status, 404);

  table_.Publish(kSpace, access::SpaceAccess{});  // enabled again: no entry, the app is reached
  EXPECT_EQ(table_.Find(kSpace), nullptr);
  Callbacks open;
  RequestContext o = Request("/", &open);
  EXPECT_EQ(Run(o, open), FilterStatus::kContinue);
}

TEST_F(AccessFilterTest, OwnerTokenIsResolvedOnceThenFromMemoryAndNeverReachesTheApp) {
  MakePrivate();
  Callbacks first;
  RequestContext a = Request("/", &first);
  a.request.headers.Add("Authorization", "Bearer " + alice_token_);
  EXPECT_EQ(Run(a, first), FilterStatus::kContinue);
  EXPECT_EQ(a.request.headers.Get("X-Spaceport-User"), "alice");
  EXPECT_FALSE(a.request.headers.Has("Authorization"));
  auto claims = access::VerifyJwt(std::string(*a.request.headers.Get("X-Spaceport-Identity")), keys_->PublicKeys(),
                                  clock_.UnixMillis() / 1000);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ((*claims)["preferred_username"], "alice");
  EXPECT_EQ((*claims)["aud"], kSpace);

  // The store is gone: the second request must be answered from memory.
  store_.reset();
  Callbacks second;
  RequestContext b = Request("/", &second);
  b.request.headers.Add("Authorization", "Bearer " + alice_token_);
  EXPECT_EQ(filter_->OnRequestHeaders(b), FilterStatus::kContinue);
  EXPECT_EQ(b.request.headers.Get("X-Spaceport-User"), "alice");
}

TEST_F(AccessFilterTest, BadTokenIs401WhereAccessMattersAndRememberedAsBad) {
  MakePrivate();
  Callbacks cb;
  RequestContext ctx = Request("/", &cb);
  ctx.request.headers.Add("Authorization", "Bearer sp_" + std::string(40, '0'));
  EXPECT_EQ(Run(ctx, cb), FilterStatus::kStop);
  ASSERT_TRUE(cb.reply);
  EXPECT_EQ(cb.reply->status, 401);
  EXPECT_TRUE(callers_->Peek("Bearer sp_" + std::string(40, '0')).has_value());
}

TEST_F(AccessFilterTest, UnknownTokenOnAnOpenAppIsTheAppsBusiness) {
  Callbacks cb;
  RequestContext ctx = Request("/", &cb);
  ctx.request.headers.Add("Authorization", "Bearer hf_" + std::string(40, 'a'));
  EXPECT_EQ(Run(ctx, cb), FilterStatus::kContinue);
  EXPECT_EQ(ctx.request.headers.Get("Authorization"), "Bearer hf_" + std::string(40, 'a'));
  EXPECT_FALSE(ctx.request.headers.Has("X-Spaceport-User"));
}

TEST_F(AccessFilterTest, AppOwnAuthorizationSchemesPassThrough) {
  Callbacks cb;
  RequestContext ctx = Request("/", &cb);
  ctx.request.headers.Add("Authorization", "Bearer app-specific-key");
  EXPECT_EQ(Run(ctx, cb), FilterStatus::kContinue);
  EXPECT_EQ(ctx.request.headers.Get("Authorization"), "Bearer app-specific-key");
}

TEST_F(AccessFilterTest, HandOffCodeSetsAHostCookieOnceAndTheCookieAdmits) {
  MakePrivate();
  access::Caller alice{alice_.id, "alice"};
  std::string code = sessions_->MintCode(alice, kSpace);

  Callbacks login;
  RequestContext l = Request("/.spaceport/login?code=" + code + "&next=/page%3Fx%3D1", &login);
  EXPECT_EQ(Run(l, login), FilterStatus::kStop);
  ASSERT_TRUE(login.reply);
  EXPECT_EQ(login.reply->status, 302);
  EXPECT_EQ(login.reply->headers.Get("Location"), "/page?x=1");
  std::string set_cookie(login.reply->headers.Get("Set-Cookie").value_or(""));
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  std::string value = set_cookie.substr(set_cookie.find('=') + 1, set_cookie.find(';') - set_cookie.find('=') - 1);

  Callbacks again;
  RequestContext l2 = Request("/.spaceport/login?code=" + code, &again);
  EXPECT_EQ(Run(l2, again), FilterStatus::kStop);
  ASSERT_TRUE(again.reply);
  EXPECT_EQ(again.reply->status, 401) << "a code works once";

  Callbacks visit;
  RequestContext v = Request("/", &visit);
  v.request.headers.Add("Cookie", "theme=dark; sp_app=" + value);
  EXPECT_EQ(Run(v, visit), FilterStatus::kContinue);
  EXPECT_EQ(v.request.headers.Get("X-Spaceport-User"), "alice");
  EXPECT_EQ(v.request.headers.Get("Cookie"), "theme=dark") << "the session cookie stays at the edge";

  // The same cookie is worthless on another Space.
  route_->space_id = "alice/other";
  access::SpaceAccess other;
  other.visibility = access::Visibility::kPrivate;
  other.readers = {alice_.id};
  table_.Publish("alice/other", other);
  Callbacks foreign;
  RequestContext f = Request("/", &foreign);
  f.request.headers.Add("Cookie", "sp_app=" + value);
  EXPECT_EQ(Run(f, foreign), FilterStatus::kStop);
  EXPECT_EQ(foreign.reply->status, 404);
}

// The app-host cookie of a hand-off made with a hub session lives as long
// as that session: signing out of the hub signs the visitor out here too.
TEST_F(AccessFilterTest, AnAppHostCookieEndsWithTheHubSessionItWasMadeFrom) {
  MakePrivate();
  std::string session = hub_sessions_->Issue(alice_.id)->id;
  std::string cookie = AliceCookieFrom(session);
  Callbacks live;
  RequestContext a = WithAppCookie(cookie, &live);
  EXPECT_EQ(filter_->OnRequestHeaders(a), FilterStatus::kContinue) << "a live session is known in memory";
  EXPECT_EQ(a.request.headers.Get("X-Spaceport-User"), "alice");

  // A cookie naming alice that hangs on bob's live session admits nobody.
  Callbacks odd;
  RequestContext m = WithAppCookie(AliceCookieFrom(hub_sessions_->Issue(bob_.id)->id), &odd);
  EXPECT_EQ(filter_->OnRequestHeaders(m), FilterStatus::kStop);
  ASSERT_TRUE(odd.reply) << "answered from memory";
  EXPECT_EQ(odd.reply->status, 404);

  ASSERT_TRUE(hub_sessions_->Revoke(session).ok());  // POST /logout on the hub
  Callbacks ended;
  RequestContext b = WithAppCookie(cookie, &ended);
  EXPECT_EQ(Run(b, ended), FilterStatus::kStop);
  ASSERT_TRUE(ended.reply);
  EXPECT_EQ(ended.reply->status, 404) << "a private app again, as for anyone signed out";
  EXPECT_FALSE(b.request.headers.Has("X-Spaceport-User"));

  // The ended cookie is remembered as such: no store read on later requests.
  Callbacks later;
  RequestContext c = WithAppCookie(cookie, &later);
  EXPECT_EQ(filter_->OnRequestHeaders(c), FilterStatus::kStop);
  ASSERT_TRUE(later.reply) << "answered from memory, without a lookup";
  EXPECT_EQ(later.reply->status, 404);
}

TEST_F(AccessFilterTest, AnAppHostCookiesSessionUnknownInMemoryIsLookedUpOnAWorker) {
  MakePrivate();
  access::SessionManager other_process(store_.get(), &clock_);  // e.g. before a restart
  std::string session = other_process.Issue(alice_.id)->id;
  std::string bobs = other_process.Issue(bob_.id)->id;
  // bob's session under alice's cookie: the cookie names alice, the session bob.
  for (const auto& [sid, admitted] : {std::pair{session, true}, std::pair{bobs, false}}) {
    Callbacks cb;
    RequestContext ctx = WithAppCookie(AliceCookieFrom(sid), &cb);
    EXPECT_EQ(filter_->OnRequestHeaders(ctx), FilterStatus::kStop) << "paused for the lookup";
    EXPECT_FALSE(cb.reply);
    auto resume = cb.resumed.get_future();
    ASSERT_EQ(resume.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    FilterStatus s = resume.get()(ctx);
    if (admitted) {
      EXPECT_EQ(s, FilterStatus::kContinue);
      EXPECT_EQ(ctx.request.headers.Get("X-Spaceport-User"), "alice");
    } else {
      EXPECT_EQ(s, FilterStatus::kStop);
      ASSERT_TRUE(cb.reply);
      EXPECT_EQ(cb.reply->status, 404);
    }
  }
}

TEST_F(AccessFilterTest, LoginRedirectStaysOnTheHostAndRefusesForeignCodes) {
  access::Caller alice{alice_.id, "alice"};
  for (std::string next : {"//evil.test/", "/%5Cevil.test", "https://evil.test/"}) {
    Callbacks cb;
    RequestContext ctx = Request("/.spaceport/login?code=" + sessions_->MintCode(alice, kSpace) + "&next=" + next, &cb);
    Run(ctx, cb);
    ASSERT_TRUE(cb.reply);
    EXPECT_EQ(cb.reply->headers.Get("Location"), "/") << next;
  }
  Callbacks foreign;
  RequestContext ctx = Request("/.spaceport/login?code=" + sessions_->MintCode(alice, "alice/other"), &foreign);
  Run(ctx, foreign);
  ASSERT_TRUE(foreign.reply);
  EXPECT_EQ(foreign.reply->status, 401);

  clock_.Advance(Millis(120000));
  Callbacks late;
  RequestContext expired = Request("/.spaceport/login?code=" + sessions_->MintCode(alice, kSpace), &late);
  clock_.Advance(Millis(120000));
  Run(expired, late);
  ASSERT_TRUE(late.reply);
  EXPECT_EQ(late.reply->status, 401) << "codes expire";
}

// Embed links: a live link of the host's Space sets an embed viewer's
// cookie; the viewer reaches the app without a user while the link lives.
class EmbedLinkFilterTest : public AccessFilterTest {
 protected:
  void PublishRules(access::Visibility visibility, bool gated, bool with_link) {
    access::SpaceAccess rules;
    rules.visibility = visibility;
    rules.gated = gated;
    rules.readers = {alice_.id};
    if (with_link) rules.embed_links[link_.id] = {link_.secret_hash, expires_at_};
    table_.Publish(kSpace, rules);
  }

  // Runs /.spaceport/embed?t=token (on `host`); returns the reply.
  http::Response Open(const std::string& token, const std::string& host = "alice-secret.apps.test") {
    Callbacks cb;
    RequestContext ctx = Request("/.spaceport/embed?t=" + token, &cb);
    ctx.request.headers.Set("Host", host);
    EXPECT_EQ(Run(ctx, cb), FilterStatus::kStop);
    EXPECT_TRUE(cb.reply.has_value());
    return cb.reply ? *cb.reply : http::Response::Text(0, "");
  }

  static std::string CookieValueOf(const http::Response& r) {
    std::string set(r.headers.Get("Set-Cookie").value_or(""));
    size_t eq = set.find('=');
    return eq == std::string::npos ? "" : set.substr(eq + 1, set.find(';') - eq - 1);
  }

  // A visit of "/" with the cookie: {status (0: passed to the app), request}.
  std::pair<int, http::Request> Visit(const std::string& cookie, const std::string& authorization = "") {
    Callbacks cb;
    RequestContext ctx = Request("/", &cb);
    ctx.request.headers.Add("Cookie", "theme=dark; sp_app=" + cookie);
    if (!authorization.empty()) ctx.request.headers.Add("Authorization", authorization);
    FilterStatus s = Run(ctx, cb);
    return {s == FilterStatus::kContinue ? 0 : (cb.reply ? cb.reply->status : -1), ctx.request};
  }

  std::string StrangerBody() {
    Callbacks cb;
    RequestContext ctx = Request("/", &cb);
    Run(ctx, cb);
    return cb.reply ? cb.reply->body : "";
  }

  access::NewEmbedLink link_ = access::GenerateEmbedLink();
  int64_t expires_at_ = clock_.UnixMillis() + 3600'000;
};

TEST_F(EmbedLinkFilterTest, LinkOpensAPrivateAppWithoutAUserUntilRevoked) {
  PublishRules(access::Visibility::kPrivate, false, true);
  http::Response opened = Open(link_.token);
  EXPECT_EQ(opened.status, 302);
  EXPECT_EQ(opened.headers.Get("Location"), "/");
  EXPECT_EQ(opened.headers.Get("Referrer-Policy"), "no-referrer");
  std::string set_cookie(opened.headers.Get("Set-Cookie").value_or(""));
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("Max-Age=3600"), std::string::npos) << "lasts as long as the link: " << set_cookie;
  std::string cookie = CookieValueOf(opened);

  auto [status, request] = Visit(cookie);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(request.headers.Get("X-Spaceport-Embed"), link_.id);
  EXPECT_FALSE(request.headers.Has("X-Spaceport-User"));
  EXPECT_FALSE(request.headers.Has("X-Spaceport-Identity"));
  EXPECT_EQ(request.headers.Get("Cookie"), "theme=dark") << "the cookie stays at the edge";

  PublishRules(access::Visibility::kPrivate, false, false);  // revoked: the hub republishes without it
  auto [after, ignored] = Visit(cookie);
  EXPECT_EQ(after, 404);
  http::Response reopened = Open(link_.token);
  EXPECT_EQ(reopened.status, 404);
  EXPECT_EQ(reopened.body, StrangerBody()) << "a dead link answers as the Space answers strangers";
}

TEST_F(EmbedLinkFilterTest, CookieIsPartitionedOnLocalhostNames) {
  PublishRules(access::Visibility::kPrivate, false, true);
  http::Response opened = Open(link_.token, "alice-secret.localhost:8080");
  std::string set_cookie(opened.headers.Get("Set-Cookie").value_or(""));
  EXPECT_NE(set_cookie.find("Secure; SameSite=None; Partitioned"), std::string::npos) << set_cookie;
}

TEST_F(EmbedLinkFilterTest, ExpiredForgedAndForeignLinksLookLikeStrangers) {
  PublishRules(access::Visibility::kPrivate, false, true);
  const std::string stranger = StrangerBody();
  std::string forged = link_.token;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  access::NewEmbedLink foreign = access::GenerateEmbedLink();  // another Space's link
  table_.Publish("alice/other", [&] {
    access::SpaceAccess other;
    other.visibility = access::Visibility::kPrivate;
    other.embed_links[foreign.id] = {foreign.secret_hash, expires_at_};
    return other;
  }());
  for (const std::string& bad : {forged, foreign.token, std::string("garbage"), std::string()}) {
    http::Response r = Open(bad);
    EXPECT_EQ(r.status, 404) << bad;
    EXPECT_EQ(r.body, stranger) << bad;
    EXPECT_FALSE(r.headers.Has("Set-Cookie"));
  }

  std::string cookie = CookieValueOf(Open(link_.token));
  clock_.Advance(Millis(3600'000));  // the link's expiry
  EXPECT_EQ(Open(link_.token).status, 404);
  EXPECT_EQ(Visit(cookie).first, 404) << "the viewer's cookie ends with the link";
}

TEST_F(EmbedLinkFilterTest, ViewerCookieOfOneSpaceDoesNotOpenAnother) {
  PublishRules(access::Visibility::kPrivate, false, true);
  std::string cookie = CookieValueOf(Open(link_.token));
  route_->space_id = "alice/other";
  access::SpaceAccess other;
  other.visibility = access::Visibility::kPrivate;
  other.embed_links[link_.id] = {link_.secret_hash, expires_at_};  // even with the same link id published there
  table_.Publish("alice/other", other);
  EXPECT_EQ(Visit(cookie).first, 404);
}

TEST_F(EmbedLinkFilterTest, AVisitorsOwnTokenOutranksTheViewerCookie) {
  PublishRules(access::Visibility::kPrivate, false, true);
  std::string cookie = CookieValueOf(Open(link_.token));
  auto [status, request] = Visit(cookie, "Bearer " + bob_token_);
  EXPECT_EQ(status, 404) << "bob may not use the app, link or not";
  auto [owner, owner_request] = Visit(cookie, "Bearer " + alice_token_);
  EXPECT_EQ(owner, 0);
  EXPECT_EQ(owner_request.headers.Get("X-Spaceport-User"), "alice");
  EXPECT_FALSE(owner_request.headers.Has("Authorization"));
  EXPECT_FALSE(owner_request.headers.Has("X-Spaceport-Embed"));
}

TEST_F(EmbedLinkFilterTest, GatedAndOpenSpacesRefuseDeadLinksWith403) {
  PublishRules(access::Visibility::kPublic, true, true);
  std::string cookie = CookieValueOf(Open(link_.token));
  EXPECT_EQ(Visit(cookie).first, 0) << "a gated app opens for the link";
  EXPECT_EQ(Open("el_0000000000000000." + std::string(64, '0')).status, 403);

  PublishRules(access::Visibility::kPublic, false, false);
  EXPECT_EQ(table_.Find(kSpace), nullptr);
  http::Response r = Open(link_.token);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("embed link"), std::string::npos) << r.body;
}

TEST_F(AccessFilterTest, IdentityIsSignedOncePerVisitorAndSpaceForHalfItsLife) {
  access::Caller alice{alice_.id, "alice"};
  std::string first = sessions_->IdentityToken(alice, kSpace);
  EXPECT_EQ(sessions_->IdentityToken(alice, kSpace), first);
  EXPECT_NE(sessions_->IdentityToken(alice, "alice/other"), first);
  clock_.Advance(Millis(151000));  // past half of the 5-minute lifetime
  std::string later = sessions_->IdentityToken(alice, kSpace);
  EXPECT_NE(later, first);
  EXPECT_TRUE(access::VerifyJwt(later, keys_->PublicKeys(), clock_.UnixMillis() / 1000).ok());
}

TEST_F(AccessFilterTest, PathBasedPrivateAppAdmitsTheOwnersHubSessionFromMemory) {
  MakePrivate();
  std::string session = hub_sessions_->Issue(alice_.id)->id;  // signed in on the hub: known in memory
  store_.reset();                                             // so any store read would fail the request
  Callbacks cb;
  RequestContext ctx = PathBased(session, &cb);
  EXPECT_EQ(filter_->OnRequestHeaders(ctx), FilterStatus::kContinue) << "no pause: answered from memory";
  EXPECT_EQ(ctx.request.headers.Get("X-Spaceport-User"), "alice");
  auto claims = access::VerifyJwt(std::string(*ctx.request.headers.Get("X-Spaceport-Identity")), keys_->PublicKeys(),
                                  clock_.UnixMillis() / 1000);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["aud"], kSpace);
}

TEST_F(AccessFilterTest, AHubSessionUnknownInMemoryIsLookedUpOnceOnAWorker) {
  MakePrivate();
  access::SessionManager other_process(store_.get(), &clock_);  // issued elsewhere: not in our memory
  std::string session = other_process.Issue(alice_.id)->id;
  ASSERT_FALSE(hub_sessions_->FindCached(session));
  Callbacks first;
  RequestContext a = PathBased(session, &first);
  EXPECT_EQ(filter_->OnRequestHeaders(a), FilterStatus::kStop) << "paused for the lookup";
  EXPECT_FALSE(first.reply);
  auto resume = first.resumed.get_future();
  ASSERT_EQ(resume.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(resume.get()(a), FilterStatus::kContinue);  // resumes with the answer
  EXPECT_EQ(a.request.headers.Get("X-Spaceport-User"), "alice");

  Callbacks second;
  RequestContext b = PathBased(session, &second);
  EXPECT_EQ(filter_->OnRequestHeaders(b), FilterStatus::kContinue) << "remembered after one lookup";
  EXPECT_EQ(b.request.headers.Get("X-Spaceport-User"), "alice");
}

TEST_F(AccessFilterTest, OtherUsersRevokedAndForgedHubSessionsSeeNoSpace) {
  MakePrivate();
  Callbacks anon;
  RequestContext none = PathBased("", &anon);
  EXPECT_EQ(Run(none, anon), FilterStatus::kStop);
  ASSERT_TRUE(anon.reply);
  EXPECT_EQ(anon.reply->status, 404);

  std::string bobs = hub_sessions_->Issue(bob_.id)->id;
  std::string alices = hub_sessions_->Issue(alice_.id)->id;
  ASSERT_TRUE(hub_sessions_->Revoke(alices).ok());
  for (const std::string& session : {bobs, alices, std::string("ss_") + std::string(64, 'a'), std::string("junk")}) {
    Callbacks cb;
    RequestContext ctx = PathBased(session, &cb);
    EXPECT_EQ(Run(ctx, cb), FilterStatus::kStop) << session;
    ASSERT_TRUE(cb.reply) << session;
    EXPECT_EQ(cb.reply->status, 404) << session;
    EXPECT_EQ(cb.reply->body, anon.reply->body) << "exactly like a Space that does not exist";
  }
}

TEST_F(AccessFilterTest, HubSessionCountsOnlyOnThePathBasedUrlAndNotForOpenApps) {
  std::string session = hub_sessions_->Issue(alice_.id)->id;
  Callbacks open;
  RequestContext o = PathBased(session, &open);
  EXPECT_EQ(Run(o, open), FilterStatus::kContinue);
  EXPECT_FALSE(o.request.headers.Has("X-Spaceport-User")) << "an open app does not learn who visits";

  MakePrivate();
  Callbacks host;
  RequestContext h = Request("/", &host);  // an app host: no path prefix
  h.hub_session = session;
  EXPECT_EQ(Run(h, host), FilterStatus::kStop);
  ASSERT_TRUE(host.reply);
  EXPECT_EQ(host.reply->status, 404);
}

TEST_F(AccessFilterTest, UnsafeMethodsUseTheHubSessionOnlyFromThisOrigin) {
  MakePrivate();
  std::string session = hub_sessions_->Issue(alice_.id)->id;
  Callbacks sibling;
  RequestContext s = PathBased(session, &sibling, "POST");
  s.request.headers.Add("Sec-Fetch-Site", "same-site");  // another app host of the same site
  s.request.headers.Add("Origin", "http://bob-evil.hub.test");
  EXPECT_EQ(Run(s, sibling), FilterStatus::kStop);
  ASSERT_TRUE(sibling.reply);
  EXPECT_EQ(sibling.reply->status, 404);

  Callbacks no_origin;
  RequestContext n = PathBased(session, &no_origin, "POST");
  EXPECT_EQ(Run(n, no_origin), FilterStatus::kStop) << "no Origin, no Sec-Fetch-Site: not counted";

  Callbacks fetch;
  RequestContext f = PathBased(session, &fetch, "POST");
  f.request.headers.Add("Sec-Fetch-Site", "same-origin");
  EXPECT_EQ(Run(f, fetch), FilterStatus::kContinue);
  EXPECT_EQ(f.request.headers.Get("X-Spaceport-User"), "alice");

  Callbacks origin;
  RequestContext g = PathBased(session, &origin, "DELETE");
  g.request.headers.Add("Origin", "http://HUB.test");
  EXPECT_EQ(Run(g, origin), FilterStatus::kContinue);
  EXPECT_EQ(g.request.headers.Get("X-Spaceport-User"), "alice");
}

TEST(CookieTest, FindsAndRemovesOneCookie) {
  http::Headers h;
  h.Add("Cookie", "a=1; sp_app=xyz; b=2");
  h.Add("Cookie", "sp_app=other");
  EXPECT_EQ(CookieValue(h, "sp_app"), "xyz");
  EXPECT_EQ(CookieValue(h, "sp"), std::nullopt);
  EXPECT_EQ(CookieValue(h, "app"), std::nullopt) << "names match whole, not as substrings";
  RemoveCookie(h, "sp_app");
  ASSERT_EQ(h.fields().size(), 1u);
  EXPECT_EQ(h.Get("Cookie"), "a=1; b=2");
}

}  // namespace
}  // namespace spaceport::edge
