#include "app/flags.h"

#include <gtest/gtest.h>

namespace spaceport::app {
namespace {

TEST(Flags, ValuesSwitchesAndPositionals) {
  auto f = ParseFlags({"add", "alice", "--data-dir", "/d", "--admin", "--name=x"}, {"data-dir", "name"}, {"admin"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->positional, (std::vector<std::string>{"add", "alice"}));
  EXPECT_EQ(f->Get("data-dir"), "/d");
  EXPECT_EQ(f->Get("name"), "x");
  EXPECT_TRUE(f->Has("admin"));
  EXPECT_FALSE(f->Has("other"));
}

TEST(Flags, Errors) {
  EXPECT_FALSE(ParseFlags({"--data-dir"}, {"data-dir"}, {}).ok());
  EXPECT_FALSE(ParseFlags({"--bogus"}, {}, {}).ok());
  EXPECT_FALSE(ParseFlags({"--admin=yes"}, {}, {"admin"}).ok());
}

}  // namespace
}  // namespace spaceport::app
