#include "access/jwt.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "access/signing_keys.h"
#include "core/testing/temp_dir.h"

namespace spaceport::access {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

class SigningKeysTest : public ::testing::Test {
 protected:
  SigningKeyOptions Options() {
    SigningKeyOptions o;
    o.path = dir_.path() + "/identity-keys.json";
    o.rotate_after = Millis(30 * kDayMs);
    o.retire_after = Millis(7 * kDayMs);
    return o;
  }
  std::unique_ptr<SigningKeys> OpenKeys() {
    auto keys = SigningKeys::Open(Options(), &clock_);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? std::move(*keys) : nullptr;
  }
  int64_t NowSeconds() const { return clock_.UnixMillis() / 1000; }

  spaceport::testing::TempDir dir_;
  FakeClock clock_;
};

TEST_F(SigningKeysTest, SignedTokenVerifiesWithPublishedKeys) {
  auto keys = OpenKeys();
  nlohmann::json claims = {{"sub", "alice"}, {"exp", NowSeconds() + 60}};
  std::string token = keys->Sign(claims);
  auto verified = VerifyJwt(token, keys->PublicKeys(), NowSeconds());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ((*verified)["sub"], "alice");

  nlohmann::json jwks = keys->Jwks();
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kty"], "OKP");
  EXPECT_EQ(jwks["keys"][0]["crv"], "Ed25519");
  EXPECT_EQ(jwks["keys"][0]["kid"], keys->signing_kid());
  EXPECT_EQ(Base64UrlDecode(jwks["keys"][0]["x"].get<std::string>())->size(), kEd25519PublicKeyBytes);
}

TEST_F(SigningKeysTest, KeysPersistPrivatelyAcrossOpens) {
  std::string token;
  std::string kid;
  {
    auto keys = OpenKeys();
    token = keys->Sign({{"sub", "bob"}});
    kid = keys->signing_kid();
  }
  struct stat st {};
  ASSERT_EQ(stat(Options().path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = OpenKeys();
  EXPECT_EQ(again->signing_kid(), kid);
  EXPECT_TRUE(VerifyJwt(token, again->PublicKeys(), NowSeconds()).ok());
}

TEST_F(SigningKeysTest, RotationKeepsTheOldKeyPublishedForTheOverlapThenDropsIt) {
  auto keys = OpenKeys();
  std::string old_kid = keys->signing_kid();
  std::string old_token = keys->Sign({{"sub", "carol"}});

  clock_.Advance(Millis(29 * kDayMs));
  ASSERT_TRUE(keys->RotateIfDue().ok());
  EXPECT_EQ(keys->signing_kid(), old_kid) << "not due yet";

  clock_.Advance(Millis(2 * kDayMs));
  ASSERT_TRUE(keys->RotateIfDue().ok());
  EXPECT_NE(keys->signing_kid(), old_kid);
  EXPECT_EQ(keys->PublicKeys().size(), 2u);
  EXPECT_TRUE(VerifyJwt(old_token, keys->PublicKeys(), NowSeconds()).ok()) << "overlap";
  auto fresh = VerifyJwt(keys->Sign({{"sub", "carol"}}), keys->PublicKeys(), NowSeconds());
  EXPECT_TRUE(fresh.ok());

  clock_.Advance(Millis(8 * kDayMs));
  ASSERT_TRUE(keys->RotateIfDue().ok());
  EXPECT_EQ(keys->PublicKeys().size(), 1u);
  EXPECT_FALSE(VerifyJwt(old_token, keys->PublicKeys(), NowSeconds()).ok()) << "retired key dropped";
  // The rotation reached the file too.
  auto reopened = OpenKeys();
  EXPECT_EQ(reopened->signing_kid(), keys->signing_kid());
  EXPECT_EQ(reopened->PublicKeys().size(), 1u);
}

TEST_F(SigningKeysTest, MalformedKeyFileIsRefusedNotReplaced) {
  {
    std::ofstream out(Options().path);
    out << "{\"keys\": [{\"kid\": \"x\", \"secret\": \"c2hvcnQ=\"}]}";
  }
  auto keys = SigningKeys::Open(Options(), &clock_);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), StatusCode::kFailedPrecondition);
  std::ifstream in(Options().path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("c2hvcnQ="), std::string::npos);
}

class JwtTest : public SigningKeysTest {};

TEST_F(JwtTest, RefusesTamperingOtherAlgorithmsAndTimeLimits) {
  auto keys = OpenKeys();
  auto pub = keys->PublicKeys();
  const int64_t now = NowSeconds();
  std::string token = keys->Sign({{"sub", "dave"}, {"exp", now + 60}, {"nbf", now - 1}});
  ASSERT_TRUE(VerifyJwt(token, pub, now).ok());

  // Claims swapped for another user's: the signature no longer matches.
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  std::string forged = token.substr(0, dot1 + 1) + Base64UrlEncode(R"({"sub":"admin"})") + token.substr(dot2);
  EXPECT_EQ(VerifyJwt(forged, pub, now).status().code(), StatusCode::kUnauthenticated);

  // alg "none" with an empty signature.
  std::string none = Base64UrlEncode(R"({"alg":"none","kid":")" + keys->signing_kid() + "\"}") + "." +
                     Base64UrlEncode(R"({"sub":"admin"})") + ".";
  EXPECT_FALSE(VerifyJwt(none, pub, now).ok());

  EXPECT_FALSE(VerifyJwt(token, pub, now + 61 + 30).ok()) << "expired beyond leeway";
  EXPECT_TRUE(VerifyJwt(token, pub, now + 61).ok()) << "within leeway";
  EXPECT_FALSE(VerifyJwt(keys->Sign({{"nbf", now + 3600}}), pub, now).ok()) << "not valid yet";
  EXPECT_FALSE(VerifyJwt("a.b", pub, now).ok());
  EXPECT_FALSE(VerifyJwt("", pub, now).ok());
  EXPECT_FALSE(VerifyJwt(token + "x", pub, now).ok());

  // Header members of the wrong type are refused, never thrown on (the
  // fuzzer's find: {"alg": 1} in an app cookie ended the server).
  std::string sig64 = token.substr(dot2 + 1);
  for (const char* header : {R"({"alg":1})", R"({"alg":null})", R"({"alg":["EdDSA"]})",
                             R"({"alg":"EdDSA","kid":7})", R"({"alg":"EdDSA","kid":{}})"}) {
    std::string odd = Base64UrlEncode(header) + "." + Base64UrlEncode(R"({"sub":"admin"})") + "." + sig64;
    Result<nlohmann::json> r = nlohmann::json();
    EXPECT_NO_THROW(r = VerifyJwt(odd, pub, now)) << header;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << header;
  }

  // Another deployment's key is unknown here.
  SigningKeyOptions other = Options();
  other.path = dir_.path() + "/other.json";
  auto stranger = SigningKeys::Open(other, &clock_);
  ASSERT_TRUE(stranger.ok());
  EXPECT_FALSE(VerifyJwt((*stranger)->Sign({{"sub", "eve"}}), pub, now).ok());
}

TEST(Base64UrlTest, RoundTripsAndRejectsNonCanonicalText) {
  for (const std::string& s :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\xfe\x00", 3)}) {
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)), s);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zm9v+"));
  EXPECT_FALSE(Base64UrlDecode("Zh"));  // leftover bits set: not the canonical spelling of "f" (Zg)
  EXPECT_FALSE(Base64UrlDecode("Z"));
}

}  // namespace
}  // namespace spaceport::access
