#include "cli/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cli/test_support.h"

namespace spaceport::cli {
namespace {

using testing::TempDir;

TEST(ConfigPathTest, Precedence) {
  EXPECT_EQ(ConfigPath({{"SPACEPORT_CONFIG", "/x/c.json"}, {"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/h"}}),
            "/x/c.json");
  EXPECT_EQ(ConfigPath({{"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/h"}}), "/xdg/spaceport/config.json");
  EXPECT_EQ(ConfigPath({{"HOME", "/h"}}), "/h/.config/spaceport/config.json");
  EXPECT_EQ(ConfigPath({}), "");
}

TEST(ConfigTest, SaveLoadRoundTripWithPrivateMode) {
  TempDir dir;
  std::string path = dir.path() + "/deep/er/config.json";
  ClientConfig c;
  c.url = "http://h:1";
  c.logins["http://h:1"] = {"sp_secret", "alice"};
  ASSERT_TRUE(SaveConfig(path, c).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir.path() + "/deep/er").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto loaded = LoadConfig(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->url, "http://h:1");
  EXPECT_EQ(loaded->logins["http://h:1"].token, "sp_secret");
  EXPECT_EQ(loaded->logins["http://h:1"].user, "alice");
}

TEST(ConfigTest, ExistingLooseFileBecomesPrivate) {
  TempDir dir;
  std::string path = dir.path() + "/config.json";
  std::ofstream(path) << "{}";
  chmod(path.c_str(), 0644);
  ASSERT_TRUE(SaveConfig(path, ClientConfig{}).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ConfigTest, MissingIsEmptyMalformedIsError) {
  TempDir dir;
  auto missing = LoadConfig(dir.path() + "/nope.json");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->logins.empty());
  std::ofstream(dir.path() + "/bad.json") << "{not json";
  EXPECT_FALSE(LoadConfig(dir.path() + "/bad.json").ok());
  std::ofstream(dir.path() + "/odd.json") << R"({"url": 5, "logins": {"u": 7, "v": {"token": 3}}})";
  auto odd = LoadConfig(dir.path() + "/odd.json");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->url, "");
  EXPECT_TRUE(odd->logins.empty());
}

TEST(SessionTest, EnvBeatsFileAndTokensStayWithTheirUrl) {
  TempDir dir;
  std::string path = dir.path() + "/c.json";
  ClientConfig c;
  c.url = "http://saved:1";
  c.logins["http://saved:1"] = {"tok-saved", "alice"};
  ASSERT_TRUE(SaveConfig(path, c).ok());

  auto s = ResolveSession({{"SPACEPORT_CONFIG", path}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->url, "http://saved:1");
  EXPECT_EQ(s->token, "tok-saved");
  EXPECT_EQ(s->user, "alice");

  // A different server does not get the saved token.
  auto other = ResolveSession({{"SPACEPORT_CONFIG", path}, {"SPACEPORT_URL", "http://other:2/"}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->url, "http://other:2");
  EXPECT_EQ(other->token, "");

  auto env_token = ResolveSession({{"SPACEPORT_CONFIG", path}, {"SPACEPORT_TOKEN", "tok-env"}});
  ASSERT_TRUE(env_token.ok());
  EXPECT_EQ(env_token->token, "tok-env");

  auto defaults = ResolveSession({{"SPACEPORT_CONFIG", dir.path() + "/none.json"}});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->url, kDefaultUrl);
  EXPECT_EQ(defaults->token, "");
}

TEST(SessionTest, RejectsNonHttpUrl) {
  EXPECT_FALSE(ResolveSession({{"SPACEPORT_URL", "ftp://x"}}).ok());
  EXPECT_FALSE(NormalizeUrl("http://").ok());
  EXPECT_EQ(NormalizeUrl(" http://a:1// ").value(), "http://a:1");
}

}  // namespace
}  // namespace spaceport::cli
