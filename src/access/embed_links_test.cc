// Embed links: the token format and check, the embed viewer's cookie, and
// the AccessTable entries that carry live links to the edge.
#include "access/embed_links.h"

#include <gtest/gtest.h>

#include "access/app_sessions.h"
#include "core/strings.h"
#include "core/testing/temp_dir.h"

namespace spaceport::access {
namespace {

constexpr char kSpace[] = "alice/secret";

SpaceAccess WithLink(const NewEmbedLink& link, int64_t expires_at_ms) {
  SpaceAccess rules;
  rules.visibility = Visibility::kPrivate;
  rules.embed_links[link.id] = {link.secret_hash, expires_at_ms};
  return rules;
}

TEST(EmbedLinkTest, GeneratedLinksAreFreshAndKeepOnlyTheSecretsHash) {
  NewEmbedLink a = GenerateEmbedLink();
  NewEmbedLink b = GenerateEmbedLink();
  EXPECT_TRUE(IsEmbedLinkId(a.id)) << a.id;
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.token, b.token);
  ASSERT_TRUE(StartsWith(a.token, a.id + "."));
  std::string secret = a.token.substr(a.id.size() + 1);
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_EQ(a.secret_hash, Sha256Hex(secret));
  EXPECT_EQ(a.token.find(a.secret_hash), std::string::npos);
  for (const char* bad : {"", "el_", "el_123", "xx_0123456789abcdef", "el_0123456789ABCDEF", "el_0123456789abcdeg"}) {
    EXPECT_FALSE(IsEmbedLinkId(bad)) << bad;
  }
}

TEST(EmbedLinkTest, OnlyTheRightSecretOfALiveLinkOpens) {
  const int64_t now = 1'700'000'000'000;
  NewEmbedLink link = GenerateEmbedLink();
  SpaceAccess rules = WithLink(link, now + 60'000);
  std::optional<EmbedGrant> grant = CheckEmbedToken(&rules, link.token, now);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->link_id, link.id);
  EXPECT_EQ(grant->expires_at_ms, now + 60'000);

  std::string forged = link.token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  NewEmbedLink other = GenerateEmbedLink();
  for (const std::string& bad : {forged, other.token, link.id, link.id + ".", std::string("."), std::string(),
                                 link.token + "0", link.id + "." + link.secret_hash}) {
    EXPECT_FALSE(CheckEmbedToken(&rules, bad, now).has_value()) << bad;
  }
  EXPECT_FALSE(CheckEmbedToken(&rules, link.token, now + 60'000).has_value()) << "expired";
  EXPECT_FALSE(CheckEmbedToken(nullptr, link.token, now).has_value()) << "a Space without an entry";
  SpaceAccess revoked = rules;
  revoked.embed_links.clear();
  EXPECT_FALSE(CheckEmbedToken(&revoked, link.token, now).has_value());
}

TEST(EmbedLinkTest, LiveLinksKeepAPublicSpacesEntry) {
  AccessTable table;
  SpaceAccess open;
  table.Publish(kSpace, open);
  EXPECT_EQ(table.Find(kSpace), nullptr);
  NewEmbedLink link = GenerateEmbedLink();
  open.embed_links[link.id] = {link.secret_hash, 10};
  table.Publish(kSpace, open);
  auto entry = table.Find(kSpace);
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->AllowsApp(0)) << "the entry restricts nothing";
  EXPECT_TRUE(entry->EmbedLinkLive(link.id, 9));
  EXPECT_FALSE(entry->EmbedLinkLive(link.id, 10));
  EXPECT_FALSE(entry->EmbedLinkLive("el_0000000000000000", 9));
  open.embed_links.clear();
  table.Publish(kSpace, open);
  EXPECT_EQ(table.Find(kSpace), nullptr);
}

class EmbedSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = SigningKeys::Open({.path = dir_.path() + "/keys.json"}, &clock_);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    keys_ = std::move(*keys);
    AppSessionOptions options;
    options.session_ttl = Millis(3600'000);
    sessions_ = std::make_unique<AppSessions>(keys_.get(), &clock_, "http://hub.test", options);
  }

  spaceport::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<AppSessions> sessions_;
};

TEST_F(EmbedSessionTest, CookieNamesTheLinkForItsSpaceOnly) {
  AppSessions::EmbedCookie cookie =
      sessions_->EmbedSession(kSpace, {"el_0123456789abcdef", clock_.UnixMillis() + 600'000});
  EXPECT_EQ(sessions_->EmbedLinkFromCookie(cookie.value, kSpace).value_or(""), "el_0123456789abcdef");
  EXPECT_FALSE(sessions_->EmbedLinkFromCookie(cookie.value, "alice/other").has_value());
  EXPECT_FALSE(sessions_->FromCookie(cookie.value, kSpace).has_value()) << "an embed viewer is no user";
  Result<std::string> user_cookie = sessions_->Redeem(sessions_->MintCode({7, "alice"}, kSpace), kSpace);
  ASSERT_TRUE(user_cookie.ok());
  EXPECT_FALSE(sessions_->EmbedLinkFromCookie(*user_cookie, kSpace).has_value()) << "a user session is no embed";
  std::string tampered = cookie.value;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sessions_->EmbedLinkFromCookie(tampered, kSpace).has_value());
}

TEST_F(EmbedSessionTest, CookieEndsWithTheLinkOrTheSessionLifetime) {
  const int64_t now = clock_.UnixMillis();
  AppSessions::EmbedCookie short_link = sessions_->EmbedSession(kSpace, {"el_0123456789abcdef", now + 120'000});
  EXPECT_EQ(short_link.ttl, Millis(120'000));
  AppSessions::EmbedCookie long_link = sessions_->EmbedSession(kSpace, {"el_0123456789abcdef", now + 90LL * 86400'000});
  EXPECT_EQ(long_link.ttl, Millis(3600'000));
  clock_.Advance(Millis(121'000 + 30'000 + 1000));  // past the link's expiry and the verifier's leeway
  EXPECT_FALSE(sessions_->EmbedLinkFromCookie(short_link.value, kSpace).has_value());
  EXPECT_TRUE(sessions_->EmbedLinkFromCookie(long_link.value, kSpace).has_value());
}

TEST_F(EmbedSessionTest, RememberedCookiesStillKeepToTheirSpaceTypeAndExpiry) {
  Result<std::string> user_cookie = sessions_->Redeem(sessions_->MintCode({7, "alice"}, kSpace), kSpace);
  ASSERT_TRUE(user_cookie.ok());
  for (int i = 0; i < 2; ++i) {  // verified once, then answered from memory
    std::optional<Caller> caller = sessions_->FromCookie(*user_cookie, kSpace);
    ASSERT_TRUE(caller.has_value());
    EXPECT_EQ(caller->user_id, 7);
    EXPECT_EQ(caller->name, "alice");
    EXPECT_FALSE(sessions_->FromCookie(*user_cookie, "alice/other").has_value());
    EXPECT_FALSE(sessions_->EmbedLinkFromCookie(*user_cookie, kSpace).has_value());
  }
  AppSessions::EmbedCookie embed =
      sessions_->EmbedSession(kSpace, {"el_0123456789abcdef", clock_.UnixMillis() + 600'000});
  ASSERT_TRUE(sessions_->EmbedLinkFromCookie(embed.value, kSpace).has_value());
  EXPECT_FALSE(sessions_->FromCookie(embed.value, kSpace).has_value()) << "a remembered embed cookie is still no user";
  EXPECT_FALSE(sessions_->EmbedLinkFromCookie(embed.value, "alice/other").has_value());
  clock_.Advance(Millis(2 * 3600'000));  // past both lifetimes (the session lasts an hour here)
  EXPECT_FALSE(sessions_->FromCookie(*user_cookie, kSpace).has_value());
  EXPECT_FALSE(sessions_->EmbedLinkFromCookie(embed.value, kSpace).has_value());
}

TEST_F(EmbedSessionTest, EachCookieCostsOneSignatureCheckWhateverItsKind) {
  Result<std::string> user_cookie = sessions_->Redeem(sessions_->MintCode({7, "alice"}, kSpace), kSpace);
  ASSERT_TRUE(user_cookie.ok());
  AppSessions::EmbedCookie embed =
      sessions_->EmbedSession(kSpace, {"el_0123456789abcdef", clock_.UnixMillis() + 600'000});
  const uint64_t before = sessions_->cookie_signature_checks();
  for (int i = 0; i < 3; ++i) {
    AppSessions::CookieHolder user = sessions_->ReadCookie(*user_cookie, kSpace);
    ASSERT_TRUE(user.caller.has_value());
    EXPECT_EQ(user.caller->name, "alice");
    EXPECT_FALSE(user.embed_link.has_value());
    AppSessions::CookieHolder viewer = sessions_->ReadCookie(embed.value, kSpace);
    EXPECT_FALSE(viewer.caller.has_value());
    EXPECT_EQ(viewer.embed_link.value_or(""), "el_0123456789abcdef");
  }
  EXPECT_EQ(sessions_->cookie_signature_checks() - before, 2u) << "one per cookie, then from memory";

  EXPECT_TRUE(sessions_->ReadCookie(*user_cookie, kSpace).session_hash.empty()) << "made without a hub session";
  std::string hub_session_hash(64, 'e');
  Result<std::string> bound = sessions_->Redeem(sessions_->MintCode({7, "alice"}, kSpace, hub_session_hash), kSpace);
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(sessions_->ReadCookie(*bound, kSpace).session_hash, hub_session_hash)
      << "the code's sid reaches the cookie";

  std::string forged = *user_cookie;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  const uint64_t before_forged = sessions_->cookie_signature_checks();
  AppSessions::CookieHolder nobody = sessions_->ReadCookie(forged, kSpace);
  EXPECT_FALSE(nobody.caller.has_value());
  EXPECT_FALSE(nobody.embed_link.has_value());
  EXPECT_EQ(sessions_->cookie_signature_checks() - before_forged, 1u) << "a bad cookie is checked once, not per kind";
  std::string code = sessions_->MintCode({7, "alice"}, kSpace);
  EXPECT_FALSE(sessions_->ReadCookie(code, kSpace).caller.has_value()) << "a sign-in code is no cookie";
}

}  // namespace
}  // namespace spaceport::access
