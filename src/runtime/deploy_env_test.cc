#include "runtime/deploy_env.h"

#include <gtest/gtest.h>

namespace spaceport::runtime {
namespace {

store::EnvVar Var(std::string key, std::string value, bool secret) {
  store::EnvVar v;
  v.key = std::move(key);
  v.value = std::move(value);
  v.secret = secret;
  return v;
}

TEST(DeployEnvTest, HardwareTable) {
  EXPECT_EQ(LookupHardware("cpu-basic").cpu_cores, 2);
  EXPECT_EQ(LookupHardware("cpu-basic").memory, "16Gi");
  EXPECT_EQ(LookupHardware("cpu-upgrade").cpu_cores, 8);
  EXPECT_EQ(FindHardware("gpu-h100-x8"), nullptr);
  ASSERT_NE(FindHardware("cpu-upgrade"), nullptr);
  EXPECT_EQ(FindHardware("cpu-upgrade")->memory, "32Gi");
  EXPECT_EQ(LookupHardware("cpu-upgrade").memory, "32Gi");
  EXPECT_EQ(LookupHardware("no-such-gpu").name, "cpu-basic");
}

TEST(DeployEnvTest, LimitsFollowTheFlavor) {
  ResourceLimits basic = LimitsFor(LookupHardware("cpu-basic"));
  EXPECT_EQ(basic.memory_bytes, int64_t{16} << 30);
  EXPECT_EQ(basic.cpu_millicores, 2000);
  EXPECT_GT(basic.pids_max, 0);
  EXPECT_EQ(LimitsFor(LookupHardware("cpu-upgrade")).cpu_millicores, 8000);
}

TEST(DeployEnvTest, EphemeralDiskIsTheFlavorsCappedByTheHost) {
  EXPECT_EQ(EphemeralBytesFor("cpu-basic", 0), int64_t{50} << 30);
  EXPECT_EQ(EphemeralBytesFor("cpu-upgrade", int64_t{64} << 20), int64_t{64} << 20);
  EXPECT_EQ(EphemeralBytesFor("cpu-basic", int64_t{100} << 30), int64_t{50} << 30);  // a cap, never a raise
}

TEST(DeployEnvTest, SubstitutesEveryPortToken) {
  EXPECT_EQ(SubstitutePort("--port={PORT} {PORT}", 8123), "--port=8123 8123");
  EXPECT_EQ(SubstitutePort("{PORT", 1), "{PORT");
  EXPECT_EQ(SubstitutePort("", 1), "");
}

TEST(DeployEnvTest, PlatformKeysWinOverSdkAndUserValues) {
  store::Space space;
  space.owner = "alice";
  space.name = "demo";
  space.subdomain = "alice-demo";
  space.hardware = "cpu-upgrade";
  build::LaunchSpec spec;
  spec.title = "My Demo";
  spec.env = {{"GRADIO_SERVER_PORT", "{PORT}"}, {"SHARED", "from-sdk"}};
  std::vector<store::EnvVar> vars = {Var("PORT", "1", false), Var("SHARED", "from-user", false),
                                     Var("TOKEN", "s3cret", true)};
  auto env = AppEnvironment({&space, 42, &spec, &vars, 9000, "apps.example", "https://hub.example"});
  EXPECT_EQ(env["PORT"], "9000");
  EXPECT_EQ(env["GRADIO_SERVER_PORT"], "9000");
  EXPECT_EQ(env["SHARED"], "from-sdk");
  EXPECT_EQ(env["TOKEN"], "s3cret");
  EXPECT_EQ(env["SYSTEM"], "spaces");
  EXPECT_EQ(env["SPACE_ID"], "alice/demo");
  EXPECT_EQ(env["SPACE_AUTHOR_NAME"], "alice");
  EXPECT_EQ(env["SPACE_REPO_NAME"], "demo");
  EXPECT_EQ(env["SPACE_TITLE"], "My Demo");
  EXPECT_EQ(env["SPACE_HOST"], "alice-demo.apps.example");
  EXPECT_EQ(env["SPACE_CREATOR_USER_ID"], "42");
  EXPECT_EQ(env["CPU_CORES"], "8");
  EXPECT_EQ(env["MEMORY"], "32Gi");
  ASSERT_TRUE(env.count("ACCELERATOR"));
  EXPECT_EQ(env["ACCELERATOR"], "");
  EXPECT_EQ(env["SPACEPORT_HUB_URL"], "https://hub.example");
}

TEST(DeployEnvTest, PicksDistinctUsablePorts) {
  auto a = PickFreeLoopbackPort();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_GT(*a, 0);
  EXPECT_LT(*a, 65536);
}

}  // namespace
}  // namespace spaceport::runtime
