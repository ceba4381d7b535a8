#include "store/validation.h"

#include <gtest/gtest.h>

namespace spaceport::store {
namespace {

TEST(ValidationTest, UserNames) {
  EXPECT_TRUE(IsValidUserName("a"));
  EXPECT_TRUE(IsValidUserName("Alice_B.c-9"));
  EXPECT_TRUE(IsValidUserName(std::string(39, 'z')));
  EXPECT_FALSE(IsValidUserName(""));
  EXPECT_FALSE(IsValidUserName("_a"));
  EXPECT_FALSE(IsValidUserName("a b"));
  EXPECT_FALSE(IsValidUserName(std::string(40, 'z')));
}

TEST(ValidationTest, SpaceNames) {
  EXPECT_TRUE(IsValidSpaceName("my-app.v2"));
  EXPECT_TRUE(IsValidSpaceName(std::string(96, 'a')));
  EXPECT_FALSE(IsValidSpaceName(std::string(97, 'a')));
  EXPECT_FALSE(IsValidSpaceName("a--b"));
  EXPECT_FALSE(IsValidSpaceName("a..b"));
  EXPECT_FALSE(IsValidSpaceName("app-"));
  EXPECT_FALSE(IsValidSpaceName("a/b"));
}

TEST(ValidationTest, EnvKeys) {
  EXPECT_TRUE(IsValidEnvKey("_"));
  EXPECT_TRUE(IsValidEnvKey("HF_TOKEN2"));
  EXPECT_FALSE(IsValidEnvKey("2X"));
  EXPECT_FALSE(IsValidEnvKey("A.B"));
  EXPECT_FALSE(IsValidEnvKey(""));
}

TEST(ValidationTest, Subdomains) {
  EXPECT_TRUE(IsValidSubdomain("a-b-c"));
  EXPECT_FALSE(IsValidSubdomain("A-b"));
  EXPECT_FALSE(IsValidSubdomain("-a"));
  EXPECT_FALSE(IsValidSubdomain("a-"));
  EXPECT_FALSE(IsValidSubdomain("a_b"));
  EXPECT_EQ(DefaultSubdomain("Alice", "My_App.v2"), "alice-my-app-v2");
  EXPECT_EQ(DefaultSubdomain("alice", "demo_"), "alice-demo");
  EXPECT_TRUE(IsValidSubdomain(std::string(63, 'a')));
  EXPECT_FALSE(IsValidSubdomain(std::string(64, 'a')));
}

TEST(ValidationTest, MakeSubdomainRefusesWhatIsNoDnsLabel) {
  EXPECT_EQ(*MakeSubdomain("Alice", "My_App.v2"), "alice-my-app-v2");
  auto too_long = MakeSubdomain("alice", std::string(70, 'a'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("63"), std::string::npos);
}

}  // namespace
TEST(Validation, SearchTextIsBounded) {
  EXPECT_TRUE(ValidateSearch("").ok());
  EXPECT_TRUE(ValidateSearch(std::string(kMaxSearchBytes, 'a')).ok());
  EXPECT_EQ(ValidateSearch(std::string(kMaxSearchBytes + 1, 'a')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateSearch(std::string("a\0b", 3)).code(), StatusCode::kInvalidArgument);
}

}  // namespace spaceport::store
