#include "access/oidc_provider.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/strings.h"
#include "core/testing/temp_dir.h"

namespace spaceport::access {
namespace {

constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";  // RFC 7636 appendix B
constexpr char kChallenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

class OidcProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = SigningKeys::Open({.path = dir_.path() + "/keys.json"}, &clock_);
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(*keys);
    provider_ = std::make_unique<OidcProvider>(
        keys_.get(), &clock_,
        OidcOptions{.issuer = "http://hub.test:8080", .apps_domain = "apps.test", .client_key = std::string(32, 'k')});
    space_.id = 7;
    space_.created_at = 1234;
    space_.owner = "alice";
    space_.name = "demo";
    space_.subdomain = "alice-demo";
  }

  AuthorizeRequest Request() {
    return {.client_id = provider_->ClientFor(space_).client_id,
            .redirect_uri = "http://alice-demo.apps.test:8080/login/callback",
            .scope = "openid profile",
            .state = "xyz",
            .nonce = "n-1",
            .code_challenge = kChallenge,
            .code_challenge_method = "S256"};
  }

  // Check then issue, as the hub does once the user has consented.
  Result<std::string> Authorize(const AuthorizeRequest& r, const std::string& card = kCard,
                                std::vector<OrgClaim> orgs = {}) {
    ASSIGN_OR_RETURN(ValidAuthorize valid, provider_->CheckAuthorize(space_, r, card, ":8080"));
    return provider_->IssueCode(valid, bob_, std::move(orgs));
  }

  Result<std::string> CodeFor(const AuthorizeRequest& r, const std::string& card = kCard,
                              std::vector<OrgClaim> orgs = {}) {
    ASSIGN_OR_RETURN(std::string location, Authorize(r, card, std::move(orgs)));
    std::string query = location.substr(location.find('?') + 1);
    EXPECT_EQ(QueryParam(query, "state"), "xyz");
    return QueryParam(query, "code").value_or("");
  }

  TokenRequest Exchange(const std::string& code) {
    OAuthClient c = provider_->ClientFor(space_);
    return {code, "http://alice-demo.apps.test:8080/login/callback", kVerifier, c.client_id, c.client_secret};
  }

  static constexpr char kCard[] = R"({"hf_oauth": true, "hf_oauth_expiration_minutes": 30})";
  spaceport::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<OidcProvider> provider_;
  store::Space space_;
  Caller bob_{42, "bob"};
};

TEST_F(OidcProviderTest, CodeWithPkceBuysTokensWhoseUserinfoNamesTheUser) {
  auto code = CodeFor(Request());
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  auto tokens = provider_->Token(space_, Exchange(*code));
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ((*tokens)["token_type"], "Bearer");
  EXPECT_EQ((*tokens)["expires_in"], 1800);

  auto id = VerifyJwt((*tokens)["id_token"].get<std::string>(), keys_->PublicKeys(), clock_.UnixMillis() / 1000);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ((*id)["aud"], provider_->ClientFor(space_).client_id);
  EXPECT_EQ((*id)["nonce"], "n-1");
  EXPECT_EQ((*id)["iss"], "http://hub.test:8080");

  auto token = provider_->CheckAccessToken((*tokens)["access_token"].get<std::string>());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->userinfo["preferred_username"], "bob");
  EXPECT_EQ(token->userinfo["sub"], "42");
  EXPECT_EQ(token->user_id, 42);
  EXPECT_EQ(token->client_id, provider_->ClientFor(space_).client_id);
  EXPECT_EQ(token->issued_at, clock_.UnixMillis() / 1000);

  // An ID token is not an access token.
  EXPECT_FALSE(provider_->CheckAccessToken((*tokens)["id_token"].get<std::string>()).ok());
  clock_.Advance(Millis(31 * 60 * 1000 + 60000));
  EXPECT_FALSE(provider_->CheckAccessToken((*tokens)["access_token"].get<std::string>()).ok()) << "expired";
}

TEST_F(OidcProviderTest, CodesAreSingleUseBoundAndShortLived) {
  auto code = CodeFor(Request());
  ASSERT_TRUE(code.ok());
  TokenRequest wrong_verifier = Exchange(*code);
  wrong_verifier.code_verifier = std::string(43, 'a');
  EXPECT_EQ(provider_->Token(space_, wrong_verifier).status().code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(provider_->Token(space_, Exchange(*code)).ok()) << "a failed attempt burns the code";

  auto code2 = CodeFor(Request());
  TokenRequest other_redirect = Exchange(*code2);
  other_redirect.redirect_uri = "http://alice-demo.apps.test:8080/elsewhere";
  EXPECT_FALSE(provider_->Token(space_, other_redirect).ok());

  auto code3 = CodeFor(Request());
  TokenRequest bad_secret = Exchange(*code3);
  bad_secret.client_secret = "nope";
  EXPECT_EQ(provider_->Token(space_, bad_secret).status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(provider_->Token(space_, Exchange(*code3)).ok()) << "bad client auth does not burn the code";
  EXPECT_FALSE(provider_->Token(space_, Exchange(*code3)).ok()) << "second use";

  auto code4 = CodeFor(Request());
  clock_.Advance(Millis(61000));
  EXPECT_FALSE(provider_->Token(space_, Exchange(*code4)).ok()) << "expired";
}

TEST_F(OidcProviderTest, AuthorizeRefusesForeignRedirectsMissingPkceAndUnofferedScopes) {
  for (std::string uri : {"http://evil.test/cb", "http://alice-demo.apps.test.evil.test:8080/cb",
                          "http://alice-demo.apps.test:8080@evil.test/cb", "http://alice-other.apps.test:8080/cb",
                          "http://alice-demo.apps.test:8080/a/../../cb", "javascript:alert(1)"}) {
    AuthorizeRequest r = Request();
    r.redirect_uri = uri;
    EXPECT_EQ(Authorize(r).status().code(), StatusCode::kInvalidArgument) << uri;
  }
  AuthorizeRequest path_based = Request();
  path_based.redirect_uri = "http://hub.test:8080/spaces/alice/demo/app/callback";
  EXPECT_TRUE(Authorize(path_based).ok());

  AuthorizeRequest plain = Request();
  plain.code_challenge_method = "plain";
  EXPECT_FALSE(Authorize(plain).ok());
  AuthorizeRequest scope = Request();
  scope.scope = "openid write-repos";
  EXPECT_FALSE(Authorize(scope).ok());
  AuthorizeRequest foreign = Request();
  foreign.client_id = "alice-demo-000000000000";
  EXPECT_EQ(Authorize(foreign).status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(Authorize(Request(), R"({"title": "no oauth"})").ok());
  // Text that is not UTF-8 would end in a token's JSON: refused up front (400), not thrown on later.
  for (std::string AuthorizeRequest::*field : {&AuthorizeRequest::nonce, &AuthorizeRequest::state, &AuthorizeRequest::scope}) {
    AuthorizeRequest bad = Request();
    bad.*field = std::string("n\xff\xfe", 3);
    Result<std::string> r = Authorize(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("UTF-8"), std::string::npos) << r.status().message();
  }
}

TEST_F(OidcProviderTest, CheckAuthorizeIsPureAndNormalizesScopes) {
  AuthorizeRequest r = Request();
  r.scope = "openid  profile openid";
  auto valid = provider_->CheckAuthorize(space_, r, kCard, ":8080");
  ASSERT_TRUE(valid.ok()) << valid.status().ToString();
  EXPECT_EQ(valid->scopes, (std::vector<std::string>{"openid", "profile"}));
  EXPECT_EQ(valid->token_ttl_s, 1800);
  EXPECT_TRUE(valid->authorized_orgs.empty());
  r.scope = "";
  EXPECT_EQ(provider_->CheckAuthorize(space_, r, kCard, ":8080")->scopes,
            (std::vector<std::string>{"openid", "profile"}))
      << "no scope means openid profile";
  // Checking issues nothing: no code can be redeemed without IssueCode.
  EXPECT_FALSE(provider_->Token(space_, Exchange("")).ok());
}

TEST_F(OidcProviderTest, DeniedRedirectCarriesAccessDeniedAndTheState) {
  AuthorizeRequest r = Request();
  r.state = "a b&c";
  std::string location = OidcProvider::DeniedRedirect(r);
  ASSERT_EQ(location.rfind("http://alice-demo.apps.test:8080/login/callback?", 0), 0u) << location;
  std::string query = location.substr(location.find('?') + 1);
  EXPECT_EQ(QueryParam(query, "error"), "access_denied");
  EXPECT_EQ(QueryParam(query, "state"), "a b&c");
  EXPECT_EQ(QueryParam(query, "code"), std::nullopt);
  r.redirect_uri += "?next=1";
  EXPECT_NE(OidcProvider::DeniedRedirect(r).find("?next=1&error=access_denied"), std::string::npos);
}

TEST_F(OidcProviderTest, GrantsCoverTheSameOrFewerScopesAndMergeOnAllow) {
  EXPECT_TRUE(OidcProvider::GrantCovers("openid profile", {"openid", "profile"}));
  EXPECT_TRUE(OidcProvider::GrantCovers("openid profile", {"openid"}));
  EXPECT_FALSE(OidcProvider::GrantCovers("openid profile", {"openid", "read-repos"}));
  EXPECT_FALSE(OidcProvider::GrantCovers("", {"openid"}));
  EXPECT_FALSE(OidcProvider::GrantCovers("openid profile", {"open"})) << "whole scopes, not substrings";
  EXPECT_EQ(OidcProvider::MergeScopes("openid profile", {"profile", "read-repos"}), "openid profile read-repos");
  EXPECT_EQ(OidcProvider::MergeScopes("", {"openid"}), "openid");
  EXPECT_NE(OidcProvider::DescribeScope("profile").find("username"), std::string::npos);
  EXPECT_NE(OidcProvider::DescribeScope("odd-scope").find("odd-scope"), std::string::npos);
}

TEST_F(OidcProviderTest, AuthorizedOrgAdmitsMembersOfAListedOrganizationOnly) {
  constexpr char kOneOrg[] = R"({"hf_oauth": true, "hf_oauth_authorized_org": "Acme"})";
  auto one = provider_->CheckAuthorize(space_, Request(), kOneOrg, ":8080");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->authorized_orgs, (std::vector<std::string>{"Acme"}));
  Status refused = OidcProvider::CheckAuthorizedOrg(*one, {"other"});
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("Acme"), std::string::npos) << "the error names the organization";
  EXPECT_EQ(OidcProvider::CheckAuthorizedOrg(*one, {}).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(OidcProvider::CheckAuthorizedOrg(*one, {"other", "acme"}).ok()) << "names are case-insensitive";

  constexpr char kList[] = R"({"hf_oauth": true, "hf_oauth_authorized_org": ["acme", "labs"]})";
  auto list = provider_->CheckAuthorize(space_, Request(), kList, ":8080");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(OidcProvider::CheckAuthorizedOrg(*list, {"labs"}).ok());
  EXPECT_FALSE(OidcProvider::CheckAuthorizedOrg(*list, {"lab"}).ok());
  auto open = provider_->CheckAuthorize(space_, Request(), kCard, ":8080");
  EXPECT_TRUE(OidcProvider::CheckAuthorizedOrg(*open, {}).ok()) << "no authorized_org: anyone";
}

TEST_F(OidcProviderTest, UserinfoListsOrganizationsOnlyForTheRepoScopes) {
  constexpr char kRepos[] = R"({"hf_oauth": true, "hf_oauth_scopes": ["read-repos"]})";
  std::vector<OrgClaim> orgs = {{5, "acme", "write"}};
  AuthorizeRequest with = Request();
  with.scope = "openid profile read-repos";
  auto code = CodeFor(with, kRepos, orgs);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  auto tokens = provider_->Token(space_, Exchange(*code));
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  auto token = provider_->CheckAccessToken((*tokens)["access_token"].get<std::string>());
  ASSERT_TRUE(token.ok());
  const nlohmann::json& info = token->userinfo;
  ASSERT_TRUE(info["orgs"].is_array());
  ASSERT_EQ(info["orgs"].size(), 1u);
  EXPECT_EQ(info["orgs"][0]["preferred_username"], "acme");
  EXPECT_EQ(info["orgs"][0]["sub"], "5");
  EXPECT_EQ(info["orgs"][0]["roleInOrg"], "write");

  auto plain = CodeFor(Request(), kRepos, orgs);
  auto plain_tokens = provider_->Token(space_, Exchange(*plain));
  ASSERT_TRUE(plain_tokens.ok());
  auto plain_info = provider_->CheckAccessToken((*plain_tokens)["access_token"].get<std::string>());
  ASSERT_TRUE(plain_info.ok());
  EXPECT_FALSE(plain_info->userinfo.contains("orgs")) << "openid profile does not reveal organizations";
}

TEST_F(OidcProviderTest, AppEnvOnlyForHfOauthCardsAndClientsDifferPerSpaceRow) {
  EXPECT_TRUE(provider_->AppEnv(space_, R"({"title": "x"})").empty());
  auto env = provider_->AppEnv(space_, R"({"hf_oauth": true, "hf_oauth_scopes": ["read-repos"]})");
  EXPECT_EQ(env["OAUTH_CLIENT_ID"], provider_->ClientFor(space_).client_id);
  EXPECT_EQ(env["OAUTH_CLIENT_SECRET"], provider_->ClientFor(space_).client_secret);
  EXPECT_EQ(env["OAUTH_SCOPES"], "openid profile read-repos");
  EXPECT_EQ(env["OPENID_PROVIDER_URL"], "http://hub.test:8080");
  EXPECT_EQ(OidcProvider::SubdomainOf(env["OAUTH_CLIENT_ID"]), "alice-demo");

  store::Space recreated = space_;
  recreated.id = 8;
  EXPECT_NE(provider_->ClientFor(recreated).client_id, provider_->ClientFor(space_).client_id);
  EXPECT_NE(provider_->ClientFor(recreated).client_secret, provider_->ClientFor(space_).client_secret);
}

}  // namespace
}  // namespace spaceport::access
