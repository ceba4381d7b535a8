// Unit tests for passwords, sessions, CSRF, sign-in throttling and the
// authorization rules.
#include <gtest/gtest.h>

#include "access/authorize.h"
#include "access/passwords.h"
#include "access/sessions.h"
#include "access/throttle.h"
#include "core/strings.h"
#include "store/testing/store_wrapper.h"

namespace spaceport::access {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;

TEST(PasswordTest, HashesWithArgon2idAndVerifies) {
  auto hash = HashPassword("correct horse");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_TRUE(StartsWith(*hash, "$argon2id$")) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horsE"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(VerifyPassword("", "correct horse"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "correct horse"));
  EXPECT_NE(*hash, HashPassword("correct horse").value());  // salted
}

TEST(PasswordTest, PolicyNeedsEightToOneThousandCharacters) {
  EXPECT_EQ(CheckPasswordPolicy("short").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckPasswordPolicy("12345678").ok());
  EXPECT_EQ(CheckPasswordPolicy(std::string(2000, 'x')).code(), StatusCode::kInvalidArgument);
}

TEST(CsrfTest, MatchesOnlyTheSameNonEmptyToken) {
  EXPECT_TRUE(CsrfTokenMatches("abc123", "abc123"));
  EXPECT_FALSE(CsrfTokenMatches("abc123", "abc124"));
  EXPECT_FALSE(CsrfTokenMatches("abc123", "abc12"));
  EXPECT_FALSE(CsrfTokenMatches("", ""));
  EXPECT_FALSE(CsrfTokenMatches("abc", ""));
}

TEST(SessionCookieTest, IsHttpOnlyLaxAndSecureOnlyOverHttps) {
  std::string plain = SessionCookie("ss_x", 60, false);
  EXPECT_NE(plain.find("HttpOnly"), std::string::npos);
  EXPECT_NE(plain.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(plain.find("Path=/"), std::string::npos);
  EXPECT_EQ(plain.find("Secure"), std::string::npos);
  EXPECT_NE(SessionCookie("ss_x", 60, true).find("; Secure"), std::string::npos);
  EXPECT_NE(ClearedSessionCookie(false).find("Max-Age=0"), std::string::npos);
}

TEST(SessionCookieTest, FindsTheWellFormedSessionIdAmongCookies) {
  std::string id = "ss_" + std::string(64, 'a');
  http::Headers h;
  h.Add("Cookie", "theme=dark; spaceport_session=" + id + "; other=1");
  EXPECT_EQ(SessionIdFromCookies(h).value_or(""), id);
  http::Headers bad;
  bad.Add("Cookie", "spaceport_session=ss_nothex; x_spaceport_session=" + id);
  EXPECT_FALSE(SessionIdFromCookies(bad).has_value());
}

class SessionManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::Store::Open({.url = "sqlite::memory:", .secrets_key = ""}).value();
    alice_ = store_->CreateUser("alice", false, kStart).value();
  }
  FakeClock clock_{kStart};
  std::unique_ptr<store::Store> store_;
  store::User alice_;
};

TEST_F(SessionManagerTest, IssuedSessionsAreFoundAndOnlyTheirHashIsStored) {
  SessionManager sessions(store_.get(), &clock_);
  auto issued = sessions.Issue(alice_.id);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_TRUE(IsWellFormedSessionId(issued->id));
  EXPECT_FALSE(store_->GetSession(issued->id, kStart).ok());  // the raw id is not a key
  EXPECT_TRUE(store_->GetSession(HashSessionId(issued->id), kStart).ok());
  auto found = sessions.Lookup(issued->id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->user.name, "alice");
  EXPECT_EQ((*found)->csrf_secret, issued->csrf_token);
  EXPECT_TRUE(sessions.FindCached(issued->id).has_value());
  EXPECT_FALSE(sessions.Lookup("ss_" + std::string(64, '0')).value().has_value());
  EXPECT_FALSE(sessions.Lookup("garbage").value().has_value());
}

TEST_F(SessionManagerTest, ANewManagerFindsStoredSessions) {
  SessionManager first(store_.get(), &clock_);
  std::string id = first.Issue(alice_.id).value().id;
  SessionManager second(store_.get(), &clock_);  // a restart
  EXPECT_FALSE(second.FindCached(id).has_value());
  EXPECT_TRUE(second.Lookup(id).value().has_value());
  EXPECT_TRUE(second.FindCached(id).has_value());
}

TEST_F(SessionManagerTest, SessionsExpireAfterTheirLifetime) {
  SessionManager sessions(store_.get(), &clock_, SessionOptions{.lifetime = Millis(60000)});
  std::string id = sessions.Issue(alice_.id).value().id;
  clock_.Advance(Millis(59999));
  EXPECT_TRUE(sessions.Lookup(id).value().has_value());
  clock_.Advance(Millis(1));
  EXPECT_FALSE(sessions.FindCached(id).has_value());
  EXPECT_FALSE(sessions.Lookup(id).value().has_value());
}

TEST_F(SessionManagerTest, SigningInSweepsExpiredRows) {
  SessionManager sessions(store_.get(), &clock_,
                          SessionOptions{.lifetime = Millis(1000), .sweep_every = Millis(5000)});
  std::string old_id = sessions.Issue(alice_.id).value().id;
  clock_.Advance(Millis(5000));
  ASSERT_TRUE(sessions.Issue(alice_.id).ok());
  EXPECT_EQ(store_->DeleteExpiredSessions(kStart + 5000).value(), 0);  // already swept
  EXPECT_FALSE(store_->GetSession(HashSessionId(old_id), 0).ok());
}

TEST_F(SessionManagerTest, RotateAndRevokeEndSessions) {
  SessionManager sessions(store_.get(), &clock_);
  std::string planted = sessions.Issue(alice_.id).value().id;
  std::string fresh = sessions.Rotate(planted, alice_.id).value().id;
  EXPECT_NE(fresh, planted);
  EXPECT_FALSE(sessions.Lookup(planted).value().has_value());
  EXPECT_TRUE(sessions.Lookup(fresh).value().has_value());
  ASSERT_TRUE(sessions.Revoke(fresh).ok());
  EXPECT_FALSE(sessions.FindCached(fresh).has_value());
  EXPECT_FALSE(sessions.Lookup(fresh).value().has_value());

  std::string a = sessions.Issue(alice_.id).value().id;
  std::string b = sessions.Issue(alice_.id).value().id;
  ASSERT_TRUE(sessions.RevokeAll(alice_.id).ok());
  EXPECT_FALSE(sessions.Lookup(a).value().has_value());
  EXPECT_FALSE(sessions.Lookup(b).value().has_value());
}

TEST_F(SessionManagerTest, AuthenticatorAcceptsTheSessionCookieWhenNoTokenIsSent) {
  SessionManager sessions(store_.get(), &clock_);
  IssuedSession issued = sessions.Issue(alice_.id).value();
  Authenticator auth(store_.get(), &clock_, &sessions);
  http::Headers h;
  h.Add("Cookie", std::string(kSessionCookieName) + "=" + issued.id);
  auto who = auth.Authenticate(h);
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(who->has_value());
  EXPECT_TRUE((*who)->via_session);
  EXPECT_EQ((*who)->csrf_secret, issued.csrf_token);

  http::Headers stale;
  stale.Add("Cookie", std::string(kSessionCookieName) + "=ss_" + std::string(64, '1'));
  auto anon = auth.Authenticate(stale);
  ASSERT_TRUE(anon.ok());
  EXPECT_FALSE(anon->has_value());
}

TEST(ThrottleTest, BacksOffExponentiallyAfterFreeFailures) {
  FakeClock clock;
  SignInThrottle throttle(&clock, ThrottleOptions{.free_failures = 3, .base_delay = Millis(1000)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(throttle.RetryAfter("alice", "10.0.0.1").has_value()) << i;
    throttle.RecordFailure("alice", "10.0.0.1");
  }
  EXPECT_FALSE(throttle.RetryAfter("alice", "10.0.0.1").has_value());
  throttle.RecordFailure("alice", "10.0.0.1");  // 4th: 1 s
  EXPECT_EQ(throttle.RetryAfter("alice", "10.0.0.1").value(), Millis(1000));
  EXPECT_EQ(throttle.RetryAfter("ALICE", "10.9.9.9").value(), Millis(1000));  // per account
  EXPECT_EQ(throttle.RetryAfter("bob", "10.0.0.1").value(), Millis(1000));    // per address
  EXPECT_FALSE(throttle.RetryAfter("bob", "10.9.9.9").has_value());
  clock.Advance(Millis(1000));
  EXPECT_FALSE(throttle.RetryAfter("alice", "10.0.0.1").has_value());
  throttle.RecordFailure("alice", "10.0.0.1");  // 5th: 2 s
  EXPECT_EQ(throttle.RetryAfter("alice", "10.0.0.1").value(), Millis(2000));
  throttle.RecordFailure("alice", "10.0.0.1");  // 6th: 4 s
  EXPECT_EQ(throttle.RetryAfter("alice", "10.0.0.1").value(), Millis(4000));
}

TEST(ThrottleTest, DelayIsCappedAndForgottenAndSuccessClearsTheAccount) {
  FakeClock clock;
  ThrottleOptions options{.free_failures = 0, .base_delay = Millis(1000), .max_delay = Millis(5000),
                          .forget_after = Millis(60000)};
  SignInThrottle throttle(&clock, options);
  for (int i = 0; i < 20; ++i) throttle.RecordFailure("alice", "a1");
  EXPECT_EQ(throttle.RetryAfter("alice", "a2").value(), Millis(5000));
  throttle.RecordSuccess("alice");
  EXPECT_FALSE(throttle.RetryAfter("alice", "a2").has_value());
  EXPECT_TRUE(throttle.RetryAfter("someone", "a1").has_value());  // the address stays throttled
  clock.Advance(Millis(60000));
  throttle.RecordFailure("carol", "a1");  // the old streak is forgotten: first failure again
  EXPECT_EQ(throttle.RetryAfter("x", "a1").value(), Millis(1000));
}

TEST(ThrottleTest, StaysBoundedUnderManyAddresses) {
  FakeClock clock;
  SignInThrottle throttle(&clock, ThrottleOptions{.max_keys = 100});
  for (int i = 0; i < 1000; ++i) throttle.RecordFailure("u" + std::to_string(i), "ip" + std::to_string(i));
  // Pruning must not break counting for keys that are still active.
  for (int i = 0; i < 6; ++i) throttle.RecordFailure("fresh", "fresh-ip");
  EXPECT_TRUE(throttle.RetryAfter("fresh", "elsewhere").has_value());
  EXPECT_TRUE(throttle.RetryAfter("other", "fresh-ip").has_value());
}

store::Space SpaceOf(const std::string& owner, store::Visibility v) {
  store::Space s;
  s.owner = owner;
  s.name = "demo";
  s.SetVisibility(v);
  return s;
}

Principal Caller(const std::string& name, store::TokenScope scope) {
  Principal p;
  p.user.name = name;
  p.scope = scope;
  return p;
}

TEST(AuthorizeTest, LevelsComeFromOwnershipAndOrgRoles) {
  store::Space s = SpaceOf("acme", store::Visibility::kPrivate);
  std::optional<Principal> anon;
  std::optional<Principal> w = Caller("bob", store::TokenScope::kWrite);
  EXPECT_EQ(LevelFor(anon, s, store::OrgRole::kAdmin), AccessLevel::kNone);
  EXPECT_EQ(LevelFor(Caller("ACME", store::TokenScope::kRead), s, std::nullopt), AccessLevel::kAdmin);
  EXPECT_EQ(LevelFor(w, s, std::nullopt), AccessLevel::kNone);
  EXPECT_EQ(LevelFor(w, s, store::OrgRole::kRead), AccessLevel::kRead);
  EXPECT_EQ(LevelFor(w, s, store::OrgRole::kWrite), AccessLevel::kWrite);
  EXPECT_EQ(LevelFor(w, s, store::OrgRole::kAdmin), AccessLevel::kAdmin);
}

TEST(AuthorizeTest, VisibilityDecidesWhatOutsidersSeeAndRead) {
  store::Space pub = SpaceOf("a", store::Visibility::kPublic);
  store::Space prot = SpaceOf("a", store::Visibility::kProtected);
  store::Space priv = SpaceOf("a", store::Visibility::kPrivate);
  EXPECT_TRUE(CanSee(AccessLevel::kNone, pub) && CanRead(AccessLevel::kNone, pub));
  EXPECT_TRUE(CanSee(AccessLevel::kNone, prot));
  EXPECT_FALSE(CanRead(AccessLevel::kNone, prot));
  EXPECT_TRUE(CanRead(AccessLevel::kRead, prot));
  EXPECT_FALSE(CanSee(AccessLevel::kNone, priv));
  EXPECT_TRUE(CanSee(AccessLevel::kRead, priv) && CanRead(AccessLevel::kRead, priv));
}

TEST(AuthorizeTest, AReadTokenNeverWrites) {
  std::optional<Principal> r = Caller("a", store::TokenScope::kRead);
  std::optional<Principal> w = Caller("a", store::TokenScope::kWrite);
  EXPECT_FALSE(CanWrite(r, AccessLevel::kAdmin));
  EXPECT_FALSE(CanAdmin(r, AccessLevel::kAdmin));
  EXPECT_TRUE(CanWrite(w, AccessLevel::kWrite));
  EXPECT_FALSE(CanWrite(w, AccessLevel::kRead));
  EXPECT_FALSE(CanAdmin(w, AccessLevel::kWrite));
  EXPECT_TRUE(CanAdmin(w, AccessLevel::kAdmin));
  EXPECT_FALSE(CanWrite(std::nullopt, AccessLevel::kAdmin));
}

// A store whose token lookup answers a row whose hash differs from the one
// asked for (a backend with a sloppy comparison): the authenticator refuses.
class SloppyTokenStore : public store::testing::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::pair<store::Token, store::User>> UseToken(std::string_view, int64_t now) override {
    auto any = target_->ListTokens(1).value();
    return target_->UseToken(any.at(0).token_hash, now);
  }
};

TEST_F(SessionManagerTest, TokenHashIsRecheckedInConstantTime) {
  std::string token = GenerateToken();
  ASSERT_TRUE(store_->CreateToken(alice_.id, "t", store::TokenScope::kWrite, HashToken(token), kStart).ok());
  SloppyTokenStore sloppy(store_.get());
  Authenticator auth(&sloppy, &clock_);
  http::Headers good;
  good.Add("Authorization", "Bearer " + token);
  EXPECT_TRUE(auth.Authenticate(good).ok());
  http::Headers other;
  other.Add("Authorization", "Bearer " + GenerateToken());
  EXPECT_EQ(auth.Authenticate(other).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace spaceport::access
