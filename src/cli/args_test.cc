#include "cli/args.h"

#include <gtest/gtest.h>

#include "cli/test_support.h"

namespace spaceport::cli {
namespace {

using testing::RunCli;

const std::vector<FlagSpec> kFlags = {{"space", true}, {"no-wait", false}};

TEST(ParseArgsTest, PositionalsValuesAndSwitches) {
  auto r = ParseArgs({"dir", "--space", "a/b", "--no-wait", "--json"}, kFlags, 0, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->positional, std::vector<std::string>{"dir"});
  EXPECT_EQ(r->Value("space"), "a/b");
  EXPECT_TRUE(r->Has("no-wait"));
  EXPECT_TRUE(r->json());
  EXPECT_FALSE(r->help());
}

TEST(ParseArgsTest, InlineValueAndDoubleDash) {
  auto r = ParseArgs({"--space=x/y", "--", "--not-a-flag"}, kFlags, 1, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Value("space"), "x/y");
  EXPECT_EQ(r->positional, std::vector<std::string>{"--not-a-flag"});
}

TEST(ParseArgsTest, Errors) {
  EXPECT_EQ(ParseArgs({"--bogus"}, kFlags, 0, 1).status().message(), "unknown option --bogus");
  EXPECT_EQ(ParseArgs({"--space"}, kFlags, 0, 1).status().message(), "option --space needs a value");
  EXPECT_EQ(ParseArgs({"--no-wait=1"}, kFlags, 0, 1).status().message(), "option --no-wait takes no value");
  EXPECT_EQ(ParseArgs({"a", "b"}, kFlags, 0, 1).status().message(), "unexpected argument b");
  EXPECT_EQ(ParseArgs({}, kFlags, 1, 1).status().message(), "missing arguments");
  EXPECT_EQ(ParseArgs({"-x"}, kFlags, 0, 1).status().message(), "unknown option -x");
}

TEST(ParseArgsTest, HelpSkipsCountCheck) {
  auto r = ParseArgs({"-h"}, kFlags, 2, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help());
}

TEST(SpaceIdTest, Validation) {
  EXPECT_TRUE(IsValidSpaceId("alice/demo-1.x_y"));
  EXPECT_FALSE(IsValidSpaceId("alice"));
  EXPECT_FALSE(IsValidSpaceId("a/b/c"));
  EXPECT_FALSE(IsValidSpaceId("/b"));
  EXPECT_FALSE(IsValidSpaceId("a/"));
  EXPECT_FALSE(IsValidSpaceId("a/.."));
  EXPECT_FALSE(IsValidSpaceId("a/b?x=1"));
  EXPECT_FALSE(IsValidSpaceId("a/b c"));
}

// Usage errors exit 2 with a usage line and never reach the network (the
// URL points at a port nobody listens on).
TEST(UsageTest, UsageErrorsExitTwo) {
  std::map<std::string, std::string> env = {{"SPACEPORT_URL", "http://127.0.0.1:1"}, {"SPACEPORT_TOKEN", "t"}};
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{}, "usage: spaceport <command>"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"status"}, "usage: spaceport status OWNER/NAME"},
      {{"status", "nope"}, "invalid Space id 'nope'"},
      {{"create", "a/b"}, "--sdk is required"},
      {{"create", "a/b", "--sdk", "php"}, "unknown sdk 'php'"},
      {{"secrets"}, "spaceport secrets set OWNER/NAME KEY [VALUE]"},
      {{"secrets", "frob", "a/b"}, "unknown command 'secrets frob'"},
      {{"secrets", "set", "a/b", "1BAD"}, "invalid key '1BAD'"},
      {{"spaces", "--limit", "x"}, "--limit must be a positive number"},
      {{"logs", "a/b", "--tail"}, "unknown option --tail"},
      {{"push", "--timeout", "soon"}, "--timeout must be a number"},
  };
  for (const Case& c : cases) {
    auto r = RunCli(c.args, env);
    EXPECT_EQ(r.code, 2) << c.args.size() << " " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(UsageTest, HelpPerCommandAndOverview) {
  std::map<std::string, std::string> env;
  auto r = RunCli({"push", "--help"}, env);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: spaceport push [DIR]"), std::string::npos);
  EXPECT_NE(r.out.find("--no-wait"), std::string::npos);
  auto all = RunCli({"--help"}, env);
  EXPECT_EQ(all.code, 0);
  for (const char* cmd : {"login", "create", "push", "logs", "secrets set", "vars list", "spaces", "delete"}) {
    EXPECT_NE(all.out.find(cmd), std::string::npos) << cmd;
  }
}

TEST(UsageTest, ConnectionRefusedIsExplained) {
  std::map<std::string, std::string> env = {{"SPACEPORT_URL", "http://127.0.0.1:1"}, {"SPACEPORT_TOKEN", "t"}};
  auto r = RunCli({"status", "a/b"}, env);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: cannot reach Spaceport at http://127.0.0.1:1 (is `spaceport serve` running?)\n");
}

}  // namespace
}  // namespace spaceport::cli
