#include "access/tokens.h"

#include <gtest/gtest.h>

#include <set>

#include "core/strings.h"
#include "store/testing/store_wrapper.h"

namespace spaceport::access {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::Store::Open({.url = "sqlite::memory:", .secrets_key = ""});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto user = store_->CreateUser("alice", false, kStart);
    ASSERT_TRUE(user.ok());
    user_ = *user;
    write_token_ = Issue(store::TokenScope::kWrite);
    read_token_ = Issue(store::TokenScope::kRead);
  }

  std::string Issue(store::TokenScope scope) {
    std::string token = GenerateToken();
    auto created = store_->CreateToken(user_.id, "t", scope, HashToken(token), kStart);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return token;
  }

  Result<std::optional<Principal>> AuthWith(const std::string& value) {
    http::Headers headers;
    headers.Add("Authorization", value);
    return Authenticator(store_.get(), &clock_).Authenticate(headers);
  }

  static void ExpectInvalid(const Result<std::optional<Principal>>& r, const std::string& what) {
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << what;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message(), "invalid token") << what;
    }
  }

  FakeClock clock_{kStart};
  std::unique_ptr<store::Store> store_;
  store::User user_;
  std::string write_token_;
  std::string read_token_;
};

TEST(TokenTest, GeneratesFreshWellFormedTokens) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = GenerateToken();
    ASSERT_EQ(t.size(), 43u);
    EXPECT_TRUE(StartsWith(t, "sp_"));
    EXPECT_EQ(t.find_first_not_of("0123456789abcdef", 3), std::string::npos) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(TokenTest, HashesWithSha256Hex) {
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(HashToken("sp_a"), HashToken("sp_b"));
}

TEST_F(AuthenticatorTest, NoHeaderIsAnonymous) {
  http::Headers headers;
  headers.Add("Cookie", "x=1");
  auto r = Authenticator(store_.get(), &clock_).Authenticate(headers);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
}

TEST_F(AuthenticatorTest, BearerTokenResolvesUserAndScope) {
  auto w = AuthWith("Bearer " + write_token_);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(w->has_value());
  EXPECT_EQ((*w)->user.name, "alice");
  EXPECT_TRUE((*w)->can_write());

  auto r = AuthWith("bearer   " + read_token_ + "  ");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->scope, store::TokenScope::kRead);
  EXPECT_FALSE((*r)->can_write());
}

TEST_F(AuthenticatorTest, HfSpellingOfATokenIsTheSameToken) {
  auto w = AuthWith("Bearer hf_" + write_token_.substr(3));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(w->has_value());
  EXPECT_EQ((*w)->user.name, "alice");
  auto basic = AuthWith("Basic " + Base64Encode("alice:hf_" + read_token_.substr(3)));
  ASSERT_TRUE(basic.ok()) << basic.status().ToString();
  EXPECT_EQ((*basic)->scope, store::TokenScope::kRead);
  ExpectInvalid(AuthWith("Bearer hf_" + std::string(40, '0')), "unknown hf_ token");
  ExpectInvalid(AuthWith("Bearer hf_" + write_token_), "hf_ prefix on top of sp_");
}

TEST_F(AuthenticatorTest, HeaderNameIsCaseInsensitive) {
  http::Headers headers;
  headers.Add("authorization", "Bearer " + write_token_);
  auto r = Authenticator(store_.get(), &clock_).Authenticate(headers);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_value());
}

TEST_F(AuthenticatorTest, BasicAuthUsesThePasswordAsToken) {
  auto r = AuthWith("Basic " + Base64Encode("anyone:" + write_token_));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->user.id, user_.id);

  ExpectInvalid(AuthWith("Basic " + Base64Encode(":" + write_token_)), "empty user");
  ExpectInvalid(AuthWith("Basic " + Base64Encode(write_token_)), "no colon");
  ExpectInvalid(AuthWith("Basic " + Base64Encode("alice:wrong")), "wrong password");
  ExpectInvalid(AuthWith("Basic !!!not-base64!!!"), "bad base64");
}

TEST_F(AuthenticatorTest, MalformedOrUnknownCredentialsAreUnauthenticated) {
  ExpectInvalid(AuthWith(""), "empty");
  ExpectInvalid(AuthWith("Bearer"), "no token");
  ExpectInvalid(AuthWith("Bearer "), "blank token");
  ExpectInvalid(AuthWith(write_token_), "no scheme");
  ExpectInvalid(AuthWith("Token " + write_token_), "unknown scheme");
  ExpectInvalid(AuthWith("Bearer " + GenerateToken()), "unknown token");
  ExpectInvalid(AuthWith("Bearer " + write_token_ + "0"), "too long");
  ExpectInvalid(AuthWith("Bearer xx_" + write_token_.substr(3)), "wrong prefix");
  std::string upper = write_token_;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ExpectInvalid(AuthWith("Bearer " + upper), "case changed");
  ExpectInvalid(AuthWith("Bearer " + std::string(1 << 20, 'a')), "huge");
  ExpectInvalid(AuthWith(std::string("Bearer sp_\0\xff", 12)), "binary");
}

TEST_F(AuthenticatorTest, DeletedTokensStopWorking) {
  auto tokens = store_->ListTokens(user_.id);
  ASSERT_TRUE(tokens.ok());
  for (const auto& t : *tokens) ASSERT_TRUE(store_->DeleteToken(user_.id, t.id).ok());
  ExpectInvalid(AuthWith("Bearer " + write_token_), "deleted");
}

TEST_F(AuthenticatorTest, RecordsLastUseFromTheClock) {
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(AuthWith("Bearer " + write_token_).ok());
  auto tokens = store_->ListTokens(user_.id);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].last_used_at, kStart + 5 * 60 * 1000);  // the write token
  EXPECT_EQ((*tokens)[1].last_used_at, 0);
}

class UnavailableTokenStore : public store::testing::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::pair<store::Token, store::User>> UseToken(std::string_view, int64_t) override {
    return Status::Unavailable("database is locked");
  }
};

TEST_F(AuthenticatorTest, StoreFailureIsNotReportedAsBadCredentials) {
  UnavailableTokenStore failing(store_.get());
  http::Headers headers;
  headers.Add("Authorization", "Bearer " + write_token_);
  auto r = Authenticator(&failing, &clock_).Authenticate(headers);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace spaceport::access
