// Hub: "Sign in with Spaceport" consent, hf_oauth_authorized_org and the
// connected-apps page, through Hub::Handle with a real store and provider.
#include <gtest/gtest.h>

#include "access/oidc_provider.h"
#include "access/signing_keys.h"
#include "core/strings.h"
#include "core/testing/temp_dir.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub {
namespace {

using testing::Reply;

constexpr char kChallenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";  // RFC 7636 appendix B
constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr char kCallback[] = "http://alice-app.apps.test:8080/login/callback";

class HubOAuthTest : public testing::HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    auto keys = access::SigningKeys::Open({.path = keys_dir_.path() + "/keys.json"}, &clock_);
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(*keys);
    oidc_ = std::make_unique<access::OidcProvider>(
        keys_.get(), &clock_,
        access::OidcOptions{
            .issuer = "http://hub.test:8080", .apps_domain = "apps.test", .client_key = std::string(32, 'c')});
    HubDeps deps{store_.get(), &repos_, &git_,           &control_,      &logs_,
                 auth_.get(),  &clock_, sessions_.get(), throttle_.get()};
    deps.oidc = oidc_.get();
    hub_ = std::make_unique<Hub>(deps, HubOptions{"http://hub.test:8080/", "apps.test", ":8080", {}});
    app_ = MakeSpace("app", R"({"hf_oauth": true, "title": "Demo <App>", "hf_oauth_scopes": ["read-repos"]})");
    bob_session_ = *sessions_->Issue(bob_.id);
  }

  store::Space MakeSpace(const std::string& name, const std::string& card, bool is_private = false) {
    store::Space s;
    s.owner = "alice";
    s.name = name;
    s.sdk = "gradio";
    s.card_json = card;
    s.SetVisibility(is_private ? store::Visibility::kPrivate : store::Visibility::kPublic);
    return store_->CreateSpace(s, clock_.UnixMillis()).value();
  }

  // The authorize parameters an app sends, as a query string.
  std::string Params(const store::Space& space, const std::string& scope = "openid profile") {
    std::string callback = "http://" + space.subdomain + ".apps.test:8080/login/callback";
    return "client_id=" + oidc_->ClientFor(space).client_id + "&redirect_uri=" + UrlEncode(callback) +
           "&scope=" + UrlEncode(scope) + "&state=st-1&nonce=n-1&code_challenge=" + kChallenge +
           "&code_challenge_method=S256";
  }

  http::Headers Browser(const access::IssuedSession& session, const std::string& origin = "") {
    http::Headers h;
    h.Add("Host", "hub.test:8080");
    h.Add("Accept", "text/html");
    h.Add("Cookie", std::string(access::kSessionCookieName) + "=" + session.id);
    if (!origin.empty()) {
      h.Add("Origin", origin);
      h.Add("Content-Type", "application/x-www-form-urlencoded");
    }
    return h;
  }

  Reply Authorize(const store::Space& space, const std::string& scope = "openid profile") {
    return Do("GET", "/oauth/authorize?response_type=code&" + Params(space, scope), "", "", Browser(bob_session_));
  }

  Reply Consent(const store::Space& space, const std::string& decision, const std::string& csrf,
                const std::string& origin = "http://hub.test:8080", const std::string& scope = "openid profile") {
    return Do("POST", "/oauth/authorize", "", Params(space, scope) + "&decision=" + decision + "&csrf=" + csrf,
              Browser(bob_session_, origin));
  }

  static std::string QueryOf(const Reply& r) {
    std::string location(r.headers.Get("Location").value_or(""));
    size_t q = location.find('?');
    return q == std::string::npos ? "" : location.substr(q + 1);
  }

  bool Granted(const store::Space& space) { return store_->GetOAuthGrant(bob_.id, space.id).ok(); }

  spaceport::testing::TempDir keys_dir_;
  std::unique_ptr<access::SigningKeys> keys_;
  std::unique_ptr<access::OidcProvider> oidc_;
  store::Space app_;
  access::IssuedSession bob_session_;
};

TEST_F(HubOAuthTest, VisitorsWhoAreNotSignedInGoToTheSignInPageAndComeBack) {
  std::string target = "/oauth/authorize?response_type=code&" + Params(app_);
  Reply r = Do("GET", target);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.headers.Get("Location").value_or(""), "/login?next=" + UrlEncode(target));
}

TEST_F(HubOAuthTest, FirstAuthorizationShowsAnUnframeableConsentPage) {
  Reply r = Authorize(app_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.headers.Has("Location")) << "no code before the user allows";
  EXPECT_EQ(r.headers.Get("X-Frame-Options").value_or(""), "DENY");
  EXPECT_EQ(r.headers.Get("Content-Security-Policy").value_or(""), "frame-ancestors 'none'");
  EXPECT_NE(r.body.find("alice/app"), std::string::npos);
  EXPECT_NE(r.body.find("Demo &lt;App&gt;"), std::string::npos) << "the title, escaped";
  EXPECT_NE(r.body.find(access::OidcProvider::DescribeScope("profile")), std::string::npos);
  EXPECT_NE(r.body.find("value=\"" + bob_session_.csrf_token + "\""), std::string::npos);
  EXPECT_NE(r.body.find("id=\"consent-allow\""), std::string::npos);
  EXPECT_FALSE(Granted(app_));
}

TEST_F(HubOAuthTest, AllowRemembersTheGrantAndLaterAuthorizationsGoStraightThrough) {
  Reply allow = Consent(app_, "allow", bob_session_.csrf_token);
  ASSERT_EQ(allow.status, 303) << allow.body;
  std::string location(allow.headers.Get("Location").value_or(""));
  EXPECT_EQ(location.rfind(std::string(kCallback) + "?code=", 0), 0u) << location;
  EXPECT_EQ(QueryParam(QueryOf(allow), "state"), "st-1");
  auto grant = store_->GetOAuthGrant(bob_.id, app_.id);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->scopes, "openid profile");

  // The code buys tokens for bob.
  access::OAuthClient client = oidc_->ClientFor(app_);
  auto tokens = oidc_->Token(
      app_, {*QueryParam(QueryOf(allow), "code"), kCallback, kVerifier, client.client_id, client.client_secret});
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(oidc_->CheckAccessToken((*tokens)["access_token"].get<std::string>())->userinfo["preferred_username"],
            "bob");

  Reply again = Authorize(app_);
  ASSERT_EQ(again.status, 302) << again.body;
  EXPECT_TRUE(QueryParam(QueryOf(again), "code").has_value());
  Reply fewer = Authorize(app_, "openid");
  EXPECT_EQ(fewer.status, 302) << "fewer scopes than granted";
  Reply more = Authorize(app_, "openid profile read-repos");
  EXPECT_EQ(more.status, 200) << "a new scope asks again";

  // An API token of the same user rides on the grant; without one it cannot consent.
  EXPECT_EQ(Do("GET", "/oauth/authorize?response_type=code&" + Params(app_), bob_write_).status, 302);
  EXPECT_EQ(Do("GET", "/oauth/authorize?response_type=code&" + Params(app_), alice_write_).status, 403);
}

TEST_F(HubOAuthTest, DenyRedirectsWithAccessDeniedAndStoresNothing) {
  Reply deny = Consent(app_, "deny", bob_session_.csrf_token);
  ASSERT_EQ(deny.status, 303) << deny.body;
  EXPECT_EQ(std::string(deny.headers.Get("Location").value_or("")).rfind(kCallback, 0), 0u);
  EXPECT_EQ(QueryParam(QueryOf(deny), "error"), "access_denied");
  EXPECT_EQ(QueryParam(QueryOf(deny), "state"), "st-1");
  EXPECT_FALSE(QueryParam(QueryOf(deny), "code").has_value());
  EXPECT_FALSE(Granted(app_));
  EXPECT_EQ(Consent(app_, "maybe", bob_session_.csrf_token).status, 400);
}

TEST_F(HubOAuthTest, ConsentFormNeedsTheCsrfFieldThisSiteAndAValidRequest) {
  Reply no_csrf = Consent(app_, "allow", "");
  EXPECT_EQ(no_csrf.status, 403);
  Reply cross_site = Consent(app_, "allow", bob_session_.csrf_token, "http://evil.test");
  EXPECT_EQ(cross_site.status, 403);
  EXPECT_FALSE(cross_site.headers.Has("Location"));
  Reply anonymous = Do("POST", "/oauth/authorize", "", Params(app_) + "&decision=allow");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_FALSE(Granted(app_));

  // The hidden fields are checked again: a redirect off the Space's host is refused.
  std::string tampered = Params(app_);
  tampered.replace(tampered.find("redirect_uri=") + 13, UrlEncode(kCallback).size(), UrlEncode("http://evil.test/cb"));
  Reply r = Do("POST", "/oauth/authorize", "", tampered + "&decision=allow&csrf=" + bob_session_.csrf_token,
               Browser(bob_session_, "http://hub.test:8080"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(r.headers.Has("Location"));
  Reply scope = Consent(app_, "allow", bob_session_.csrf_token, "http://hub.test:8080", "openid write-repos");
  EXPECT_EQ(scope.status, 400) << "a scope the card does not offer";
  EXPECT_FALSE(Granted(app_));
}

TEST_F(HubOAuthTest, AuthorizedOrgRefusesNonMembersAndAdmitsMembers) {
  store::Space org_app = MakeSpace("orgapp", R"({"hf_oauth": true, "hf_oauth_authorized_org": ["acme"]})");
  store::Organization acme = store_->CreateOrganization("acme", alice_.id, clock_.UnixMillis()).value();
  Reply refused = Authorize(org_app);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("acme"), std::string::npos) << "the page names the organization";
  EXPECT_FALSE(refused.headers.Has("Location"));
  Reply forced = Consent(org_app, "allow", bob_session_.csrf_token);
  EXPECT_EQ(forced.status, 403) << "the form cannot skip the check";
  EXPECT_FALSE(Granted(org_app));

  ASSERT_TRUE(store_->SetOrgMember(acme.id, bob_.id, store::OrgRole::kRead).ok());
  EXPECT_EQ(Authorize(org_app).status, 200);
  Reply allowed = Consent(org_app, "allow", bob_session_.csrf_token);
  ASSERT_EQ(allowed.status, 303) << allowed.body;
  EXPECT_TRUE(QueryParam(QueryOf(allowed), "code").has_value());

  // Leaving the organization closes the door again, grant or not.
  ASSERT_TRUE(store_->RemoveOrgMember(acme.id, bob_.id).ok());
  EXPECT_EQ(Authorize(org_app).status, 403);
}

TEST_F(HubOAuthTest, APrivateSpaceIsAnUnknownClientToOutsiders) {
  store::Space hidden = MakeSpace("hidden", R"({"hf_oauth": true})", /*is_private=*/true);
  Reply r = Authorize(hidden);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body.find("alice/hidden"), std::string::npos) << "the name does not leak";
  EXPECT_NE(r.body.find("unknown client_id"), std::string::npos);
}

TEST_F(HubOAuthTest, ConnectedAppsListsGrantsAndRevokingAsksAgain) {
  ASSERT_EQ(Consent(app_, "allow", bob_session_.csrf_token).status, 303);
  Reply page = Do("GET", "/settings/connected-apps", "", "", Browser(bob_session_));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("data-space=\"alice/app\""), std::string::npos);
  EXPECT_NE(page.body.find("Revoking ends the tokens the app holds at once"), std::string::npos);
  std::string revoke = "/settings/connected-apps/" + std::to_string(app_.id) + "/revoke";
  EXPECT_EQ(Do("POST", revoke, "", "csrf=wrong", Browser(bob_session_, "http://hub.test:8080")).status, 403);
  EXPECT_TRUE(Granted(app_));
  Reply revoked =
      Do("POST", revoke, "", "csrf=" + bob_session_.csrf_token, Browser(bob_session_, "http://hub.test:8080"));
  EXPECT_EQ(revoked.status, 303) << revoked.body;
  EXPECT_FALSE(Granted(app_));
  EXPECT_EQ(Authorize(app_).status, 200) << "consent is asked again";
  EXPECT_EQ(
      Do("POST", revoke, "", "csrf=" + bob_session_.csrf_token, Browser(bob_session_, "http://hub.test:8080")).status,
      404);
  Reply empty = Do("GET", "/settings/connected-apps", "", "", Browser(bob_session_));
  EXPECT_NE(empty.body.find("no-connected-apps"), std::string::npos);
  EXPECT_EQ(Do("GET", "/settings/connected-apps").status, 303) << "signed-out visitors are sent to sign in";
}

TEST_F(HubOAuthTest, RevokingAConnectedAppEndsTheTokensItHolds) {
  access::OAuthClient client = oidc_->ClientFor(app_);
  auto token_after = [&](const Reply& allow) {
    auto tokens = oidc_->Token(
        app_, {*QueryParam(QueryOf(allow), "code"), kCallback, kVerifier, client.client_id, client.client_secret});
    return tokens.ok() ? (*tokens)["access_token"].get<std::string>() : "";
  };
  std::string old_token = token_after(Consent(app_, "allow", bob_session_.csrf_token));
  ASSERT_FALSE(old_token.empty());
  Reply info = Do("GET", "/oauth/userinfo", old_token);
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(info.json()["preferred_username"], "bob");

  std::string revoke = "/settings/connected-apps/" + std::to_string(app_.id) + "/revoke";
  ASSERT_EQ(
      Do("POST", revoke, "", "csrf=" + bob_session_.csrf_token, Browser(bob_session_, "http://hub.test:8080")).status,
      303);
  Reply refused = Do("GET", "/oauth/userinfo", old_token);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(refused.json()["error"], "invalid_token");
  EXPECT_TRUE(oidc_->CheckAccessToken(old_token).ok()) << "the token itself is still well signed and unexpired";

  // Consenting again gives new tokens; the old one stays dead.
  clock_.Advance(Millis(2000));
  std::string new_token = token_after(Consent(app_, "allow", bob_session_.csrf_token));
  ASSERT_FALSE(new_token.empty());
  EXPECT_EQ(Do("GET", "/oauth/userinfo", new_token).status, 200);
  EXPECT_EQ(Do("GET", "/oauth/userinfo", old_token).status, 401);
}

}  // namespace
}  // namespace spaceport::hub
