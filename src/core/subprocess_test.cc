#include "core/subprocess.h"

#include <gtest/gtest.h>

namespace spaceport {
namespace {

TEST(RunCommand, CapturesOutputAndExitCode) {
  CommandOptions o;
  o.argv = {"sh", "-c", "cat; echo err >&2; exit 3"};
  o.stdin_data = "hello";
  auto r = RunCommand(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_data, "hello");
  EXPECT_EQ(r->stderr_data, "err\n");
}

TEST(RunCommand, EnvAndCwd) {
  CommandOptions o;
  o.argv = {"sh", "-c", "echo $FOO; pwd"};
  o.env["FOO"] = "bar";
  o.clear_env = true;
  o.env["PATH"] = "/usr/bin:/bin";
  o.cwd = "/tmp";
  auto r = RunCommand(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout_data, "bar\n/tmp\n");
}

TEST(RunCommand, TimeoutKillsTheGroup) {
  CommandOptions o;
  o.argv = {"sh", "-c", "sleep 30 & sleep 30"};
  o.timeout = Millis(200);
  auto r = RunCommand(o);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(RunCommand, MissingProgram) {
  auto r = RunSimple({"/nonexistent/program"});
  EXPECT_FALSE(r.ok());
}

TEST(RunCommand, StreamsOutput) {
  CommandOptions o;
  o.argv = {"sh", "-c", "echo one; echo two"};
  std::string seen;
  o.on_output = [&](std::string_view c) { seen += c; };
  auto r = RunCommand(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seen, "one\ntwo\n");
}

}  // namespace
}  // namespace spaceport
