#include "core/strings.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/status.h"

namespace spaceport {
namespace {

TEST(Strings, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto enc = Base64Encode(s);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.has_value()) << enc;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(Base64Decode("a*b").has_value());
  // Padding alone or too much of it: refused, not a huge string.
  for (const char* bad : {"========", "AA======", "===", "A==="}) EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  EXPECT_EQ(Base64Decode("AA=="), std::string(1, '\0'));
}

TEST(Strings, QueryParams) {
  EXPECT_EQ(QueryParam("a=1&b=x%20y&c", "b").value(), "x y");
  EXPECT_FALSE(QueryParam("a=1", "z").has_value());
  auto all = QueryParams("expand[]=likes&expand[]=sha", "expand[]");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], "sha");
}

TEST(Strings, UrlDecodeKeepsBadEscapes) {
  EXPECT_EQ(UrlDecode("%2e%2E%zz%"), "..%zz%");
}

TEST(Strings, Sha256) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Strings, IsLowerHex) {
  EXPECT_TRUE(IsLowerHex(RandomHex(16)));
  EXPECT_TRUE(IsLowerHex("0123456789abcdef"));
  EXPECT_FALSE(IsLowerHex("0123456789abcdeF"));
  EXPECT_FALSE(IsLowerHex("g"));
  EXPECT_FALSE(IsLowerHex(std::string_view("ab\0c", 4)));
}

TEST(Strings, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
}

TEST(Clock, FakeClockAdvances) {
  FakeClock clock;
  auto t0 = clock.Now();
  int64_t w0 = clock.UnixMillis();
  clock.Advance(Millis(1500));
  EXPECT_EQ(clock.Now() - t0, Millis(1500));
  EXPECT_EQ(clock.UnixMillis() - w0, 1500);
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00.000Z");
}

TEST(Strings, SafeNextPathStaysOnSite) {
  EXPECT_EQ(SafeNextPath("/spaces/a/b?x=1"), "/spaces/a/b?x=1");
  EXPECT_EQ(SafeNextPath("/"), "/");
  for (std::string_view hostile : {"", "https://evil.example/", "//evil.example/", "/\\evil.example",
                                   "/a\\b", "/a\nLocation: x", "evil.example", "/a\x7f"}) {
    EXPECT_EQ(SafeNextPath(hostile), "/") << hostile;
  }
  EXPECT_EQ(SafeNextPath(std::string(3000, '/').replace(1, 1, "a")), "/");
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  ASSIGN_OR_RETURN(*out, Half(v));
  return Status::Ok();
}

TEST(Strings, Utf8Validation) {
  for (std::string ok : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << HexEncode(ok);
  }
  for (std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "\x80", "ok\xe2\x82", "\xf8\x88\x80\x80\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << HexEncode(bad);
  }
  EXPECT_EQ(CheckJsonText("nonce", "\xff").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckJsonText("nonce", "n-1").ok());
}

// assert() is gone in the release build; these checks are not.
TEST(CheckDeathTest, ValueOfAnErrorResultAbortsWithAMessage) {
  EXPECT_DEATH(
      {
        Result<int> r = Status::NotFound("x");
        (void)r.value();
      },
      "value\\(\\) of an error Result");
  EXPECT_DEATH((void)Result<int>(Status::Ok()), "made from an ok Status");
}

TEST(Check, BugReportsAndLetsTheCallerGoOn) {
  int taken = 0;
  for (int i = 0; i < 3; ++i) {
    if (SP_BUG(i >= 1, "i went past zero")) ++taken;
  }
  EXPECT_EQ(taken, 2);
}

TEST(Status, ResultAndMacros) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.WithContext("halving").message(), "halving: odd");
}

}  // namespace
}  // namespace spaceport

namespace spaceport {
namespace {

TEST(SizeTextTest, LargestUnitThatDividesIt) {
  EXPECT_EQ(SizeText(int64_t{50} << 30), "50 GiB");
  EXPECT_EQ(SizeText(int64_t{1536} << 20), "1536 MiB");
  EXPECT_EQ(SizeText(64 << 20), "64 MiB");
  EXPECT_EQ(SizeText(64 << 10), "64 KiB");
  EXPECT_EQ(SizeText((1 << 20) + 1), "1024 KiB");
}

}  // namespace
}  // namespace spaceport
