// Hub: sign-in, sessions, CSRF, redirects, throttling, tokens API,
// organizations and visibility, through Hub::Handle with a real store.
#include <gtest/gtest.h>

#include "access/passwords.h"
#include "core/strings.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub {
namespace {

using Json = nlohmann::json;
using testing::Reply;

class HubAccountsTest : public testing::HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    ASSERT_TRUE(store_->SetPasswordHash(alice_.id, access::HashPassword("alice-password").value()).ok());
  }

  static http::Headers FormHeaders(const std::string& cookie = "", const std::string& origin = "") {
    http::Headers h;
    h.Add("Content-Type", "application/x-www-form-urlencoded");
    h.Add("Host", "hub.test:8080");
    if (!cookie.empty()) h.Add("Cookie", std::string(access::kSessionCookieName) + "=" + cookie);
    if (!origin.empty()) h.Add("Origin", origin);
    return h;
  }

  Reply Login(const std::string& user, const std::string& password, const std::string& next = "/",
              const std::string& old_cookie = "", const std::string& origin = "http://hub.test:8080") {
    return Do("POST", "/login", "", "username=" + user + "&password=" + password + "&next=" + UrlEncode(next),
              FormHeaders(old_cookie, origin));
  }

  static std::string CookieOf(const Reply& r) {
    std::string set(r.headers.Get("Set-Cookie").value_or(""));
    std::string prefix = std::string(access::kSessionCookieName) + "=";
    if (!StartsWith(set, prefix)) return "";
    return set.substr(prefix.size(), set.find(';') - prefix.size());
  }

  std::string SignIn() {
    Reply r = Login("alice", "alice-password");
    EXPECT_EQ(r.status, 303) << r.body;
    return CookieOf(r);
  }

  std::string CsrfOf(const std::string& cookie) {
    auto s = sessions_->Lookup(cookie);
    return s.ok() && s->has_value() ? (*s)->csrf_secret : "";
  }

  Reply Page(const std::string& target, const std::string& cookie) {
    http::Headers h;
    h.Add("Cookie", std::string(access::kSessionCookieName) + "=" + cookie);
    h.Add("Accept", "text/html");
    return Do("GET", target, "", "", h);
  }
};

TEST_F(HubAccountsTest, SignInSetsAStrictSessionCookieAndRedirectsHome) {
  Reply r = Login("alice", "alice-password", "/settings/tokens");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.headers.Get("Location").value_or(""), "/settings/tokens");
  std::string set(r.headers.Get("Set-Cookie").value_or(""));
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos);  // http public URL
  Reply page = Page("/settings/tokens", CookieOf(r));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Access tokens"), std::string::npos);
  EXPECT_EQ(page.headers.Get("Referrer-Policy").value_or(""), "same-origin");
}

TEST_F(HubAccountsTest, CookiesAreSecureBehindAnHttpsPublicUrl) {
  HubDeps deps{store_.get(), &repos_, &git_, &control_, &logs_, auth_.get(), &clock_, sessions_.get(), throttle_.get()};
  hub_ = std::make_unique<Hub>(deps, HubOptions{"https://hub.test", "apps.test", "", {}});
  Reply r = Login("alice", "alice-password", "/", "", "https://hub.test");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_NE(std::string(r.headers.Get("Set-Cookie").value_or("")).find("; Secure"), std::string::npos);
}

TEST_F(HubAccountsTest, WrongPasswordAndUnknownUserAreTheSame401) {
  Reply wrong = Login("alice", "nope-nope-nope");
  Reply unknown = Login("nobody", "nope-nope-nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_TRUE(CookieOf(wrong).empty());
  EXPECT_NE(wrong.body.find("Wrong username or password"), std::string::npos);
  EXPECT_EQ(Login("bob", "whatever-pass").status, 401);  // no password set: no web sign-in
}

TEST_F(HubAccountsTest, LoginNeverRedirectsOffSite) {
  for (const std::string next : {"//evil.test/x", "https://evil.test/", "/\\evil.test", "http:evil", "\\\\evil",
                                 "/\r\nSet-Cookie:x", "javascript:alert(1)"}) {
    Reply r = Login("alice", "alice-password", next);
    ASSERT_EQ(r.status, 303) << next;
    EXPECT_EQ(r.headers.Get("Location").value_or(""), "/") << next;
  }
  EXPECT_EQ(Login("alice", "alice-password", "/spaces/a/b?x=1").headers.Get("Location").value_or(""),
            "/spaces/a/b?x=1");
}

TEST_F(HubAccountsTest, SignInReplacesAPlantedSessionId) {
  std::string planted = sessions_->Issue(bob_.id).value().id;  // an id the attacker knows
  Reply r = Login("alice", "alice-password", "/", planted);
  ASSERT_EQ(r.status, 303);
  std::string fresh = CookieOf(r);
  EXPECT_NE(fresh, planted);
  EXPECT_FALSE(sessions_->Lookup(planted).value().has_value());
  EXPECT_EQ(Do("GET", "/api/whoami-v2", "", "", FormHeaders(planted)).status, 401);
  Reply who = Do("GET", "/api/whoami-v2", "", "", FormHeaders(fresh));
  EXPECT_EQ(who.json()["name"], "alice");
}

TEST_F(HubAccountsTest, CrossSiteSignInIsRefused) {
  EXPECT_EQ(Login("alice", "alice-password", "/", "", "https://evil.test").status, 403);
  http::Headers h = FormHeaders();
  h.Add("Sec-Fetch-Site", "cross-site");
  EXPECT_EQ(Do("POST", "/login", "", "username=alice&password=alice-password", h).status, 403);
}

TEST_F(HubAccountsTest, RepeatedFailuresAreThrottledWithRetryAfter) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("alice", "wrong-password").status, 401) << i;
  EXPECT_EQ(Login("alice", "wrong-password").status, 401);  // 6th failure starts the back-off
  Reply blocked = Login("alice", "alice-password");
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(blocked.headers.Get("Retry-After").value_or(""), "1");
  clock_.Advance(Millis(1000));
  EXPECT_EQ(Login("alice", "alice-password").status, 303);
}

TEST_F(HubAccountsTest, FormsNeedTheSessionsCsrfToken) {
  std::string cookie = SignIn();
  std::string csrf = CsrfOf(cookie);
  const std::string origin = "http://hub.test:8080";
  EXPECT_EQ(Do("POST", "/settings/tokens", "", "name=x&role=read", FormHeaders(cookie, origin)).status, 403);
  EXPECT_EQ(
      Do("POST", "/settings/tokens", "", "name=x&role=read&csrf=" + csrf + "0", FormHeaders(cookie, origin)).status,
      403);
  EXPECT_EQ(
      Do("POST", "/settings/tokens", "", "name=x&role=read&csrf=" + csrf, FormHeaders(cookie, "https://evil")).status,
      403);
  EXPECT_EQ(Do("POST", "/organizations/new", "", "name=acme", FormHeaders(cookie, origin)).status, 403);
  EXPECT_EQ(Do("POST", "/logout", "", "", FormHeaders(cookie, origin)).status, 403);
  EXPECT_TRUE(store_->ListTokens(alice_.id).value().size() == 2);  // nothing was created

  Reply made = Do("POST", "/settings/tokens", "", "name=laptop&role=read&csrf=" + csrf, FormHeaders(cookie, origin));
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_NE(made.body.find("id=\"new-token\">sp_"), std::string::npos);
  EXPECT_EQ(Do("POST", "/logout", "", "csrf=" + csrf, FormHeaders(cookie, origin)).status, 303);
  EXPECT_FALSE(sessions_->Lookup(cookie).value().has_value());
}

TEST_F(HubAccountsTest, ApiWritesWithACookieNeedTheCsrfHeader) {
  std::string cookie = SignIn();
  const std::string body = R"({"type":"space","name":"viacookie","sdk":"static"})";
  EXPECT_EQ(Do("POST", "/api/repos/create", "", body, FormHeaders(cookie)).status, 401);
  http::Headers h = FormHeaders(cookie);
  h.Add("X-CSRF-Token", CsrfOf(cookie));
  EXPECT_EQ(Do("POST", "/api/repos/create", "", body, h).status, 200);
  EXPECT_EQ(Do("GET", "/api/whoami-v2", "", "", FormHeaders(cookie)).json()["auth"]["type"], "session");
}

TEST_F(HubAccountsTest, SignUpCreatesAnAccountAndSignsIn) {
  http::Headers h = FormHeaders("", "http://hub.test:8080");
  Reply r = Do("POST", "/join", "", "username=carol&password=carol-password", h);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_FALSE(CookieOf(r).empty());
  EXPECT_EQ(Do("POST", "/join", "", "username=carol&password=carol-password", h).status, 409);
  EXPECT_EQ(Do("POST", "/join", "", "username=dave&password=short", h).status, 400);
  EXPECT_EQ(Do("POST", "/join", "", "username=-bad&password=long-enough", h).status, 400);
  EXPECT_EQ(Login("carol", "carol-password").status, 303);
}

TEST_F(HubAccountsTest, TokensApiListsCreatesAndRevokes) {
  Reply made = Do("POST", "/api/settings/tokens", alice_write_, R"({"name":"ci","role":"read"})");
  ASSERT_EQ(made.status, 200) << made.body;
  std::string token = made.json()["token"];
  EXPECT_EQ(Do("GET", "/api/whoami-v2", token).json()["auth"]["accessToken"]["role"], "read");
  EXPECT_EQ(Do("GET", "/api/whoami-v2", token).json()["auth"]["accessToken"]["displayName"], "ci");
  Reply list = Do("GET", "/api/settings/tokens", token);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().size(), 3u);
  EXPECT_EQ(list.body.find("sp_"), std::string::npos);  // never the token text
  EXPECT_EQ(Do("POST", "/api/settings/tokens", alice_read_, R"({"name":"x","role":"write"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/settings/tokens", alice_write_, R"({"name":"x","role":"admin"})").status, 400);
  std::string id = made.json()["id"];
  EXPECT_EQ(Do("DELETE", "/api/settings/tokens/" + id, bob_write_).status, 404);
  EXPECT_EQ(Do("DELETE", "/api/settings/tokens/" + id, alice_write_).status, 200);
  EXPECT_EQ(Do("GET", "/api/whoami-v2", token).status, 401);
}

TEST_F(HubAccountsTest, OrganizationMembersGetTheirRoles) {
  store::Organization org = store_->CreateOrganization("acme", alice_.id, clock_.UnixMillis()).value();
  store::User carol = store_->CreateUser("carol", false, clock_.UnixMillis()).value();
  std::string carol_write = NewToken(carol, store::TokenScope::kWrite);
  ASSERT_TRUE(store_->SetOrgMember(org.id, bob_.id, store::OrgRole::kWrite).ok());
  ASSERT_TRUE(store_->SetOrgMember(org.id, carol.id, store::OrgRole::kRead).ok());

  EXPECT_EQ(Create("acme/app", carol_write, R"(,"private":true)").status, 403);  // read role
  ASSERT_EQ(Create("acme/app", bob_write_, R"(,"private":true)").status, 200);
  EXPECT_EQ(Do("GET", "/api/spaces/acme/app", carol_write).status, 200);  // read member sees it
  EXPECT_EQ(Do("POST", "/api/spaces/acme/app/variables", carol_write, R"({"key":"A","value":"1"})").status, 403);
  EXPECT_EQ(Do("POST", "/api/spaces/acme/app/variables", bob_write_, R"({"key":"A","value":"1"})").status, 200);
  EXPECT_EQ(Do("DELETE", "/api/repos/delete", bob_write_, R"({"type":"space","name":"acme/app"})").status, 403);
  Json who = Do("GET", "/api/whoami-v2", bob_write_).json();
  ASSERT_EQ(who["orgs"].size(), 1u);
  EXPECT_EQ(who["orgs"][0]["name"], "acme");
  EXPECT_EQ(who["orgs"][0]["roleInOrg"], "write");
  Reply fork = Do("POST", "/api/spaces/acme/app/duplicate", bob_write_, R"({"repository":"acme/app2"})");
  EXPECT_EQ(fork.status, 200) << fork.body;
  EXPECT_TRUE(store_->GetSpace("acme", "app2").value().is_private);  // visibility is copied
  EXPECT_EQ(Do("POST", "/api/spaces/acme/app/duplicate", carol_write, R"({"repository":"acme/app3"})").status, 403);
  EXPECT_EQ(Do("DELETE", "/api/repos/delete", alice_write_, R"({"type":"space","name":"acme/app"})").status, 200);
}

TEST_F(HubAccountsTest, PrivateSpacesAre404ToOutsidersEverywhere) {
  ASSERT_EQ(Create("secret", alice_write_, R"(,"visibility":"private")").status, 200);
  std::string bob_read = NewToken(bob_, store::TokenScope::kRead);
  for (const char* path :
       {"/api/spaces/alice/secret", "/api/spaces/alice/secret/runtime", "/api/spaces/alice/secret/tree/main",
        "/api/spaces/alice/secret/likers", "/spaces/alice/secret", "/api/spaces/alice/secret/forks"}) {
    EXPECT_EQ(Do("GET", path).status, 404) << path;
    EXPECT_EQ(Do("GET", path, bob_read).status, 404) << path;
  }
  EXPECT_EQ(Do("POST", "/api/spaces/alice/secret/like", bob_read).status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces?search=secret", bob_read).json().size(), 0u);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/secret", alice_read_).status, 200);
  std::string cookie = SignIn();
  EXPECT_EQ(Page("/spaces/alice/secret", cookie).status, 200);
}

TEST_F(HubAccountsTest, ProtectedSpacesShowTheirPageButNotTheirSource) {
  ASSERT_EQ(Create("half", alice_write_, R"(,"visibility":"protected")").status, 200);
  Reply info = Do("GET", "/api/spaces/alice/half", bob_write_);
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(info.json()["visibility"], "protected");
  EXPECT_FALSE(info.json()["private"].get<bool>());
  EXPECT_EQ(Do("GET", "/spaces/alice/half").status, 200);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/half/tree/main", bob_write_).status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/half/logs/build").status, 404);
  EXPECT_EQ(Do("GET", "/spaces/alice/half/info/refs?service=git-upload-pack", bob_write_).status, 404);
  EXPECT_EQ(Do("GET", "/api/spaces?search=half").json().size(), 1u);
}

}  // namespace
}  // namespace spaceport::hub
