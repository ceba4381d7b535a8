#include "build/launch_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace spaceport::build {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

card::Card CardFor(const std::string& front_matter) {
  Result<card::Card> c = card::ParseCard("---\n" + front_matter + "---\n");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : card::Card{};
}

TEST(LaunchSpecForTest, StaticServesTheAppDir) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: static\ntitle: Hello\n"), "/w/app", "/usr/bin/python3");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->sdk, "static");
  EXPECT_TRUE(s->is_static);
  EXPECT_EQ(s->static_root, "/w/app");
  EXPECT_TRUE(s->argv.empty());
  EXPECT_EQ(s->title, "Hello");
  EXPECT_EQ(s->cwd, "/w/app");
}

TEST(LaunchSpecForTest, StaticServesTheDirOfAppFile) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: static\napp_file: dist/site/index.html\n"), "/w/app", "py");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->static_root, "/w/app/dist/site");
}

TEST(LaunchSpecForTest, GradioRunsTheAppFileWithServerEnv) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: gradio\n"), "/w/app", "/v/bin/python", "/v");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->is_static);
  EXPECT_THAT(s->argv, ElementsAre("/v/bin/python", "app.py"));
  EXPECT_EQ(s->env.at("GRADIO_SERVER_NAME"), "127.0.0.1");
  EXPECT_EQ(s->env.at("GRADIO_SERVER_PORT"), "{PORT}");
  EXPECT_EQ(s->env.at("PATH"), "/v/bin:/usr/local/bin:/usr/bin:/bin");
  EXPECT_EQ(s->env.at("VIRTUAL_ENV"), "/v");
  EXPECT_EQ(s->env.at("PYTHONUNBUFFERED"), "1");
  EXPECT_EQ(s->cwd, "/w/app");
}

TEST(LaunchSpecForTest, GradioHonoursAppFile) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: gradio\napp_file: src/main.py\n"), "/w", "py");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->argv, ElementsAre("py", "src/main.py"));
}

TEST(LaunchSpecForTest, StreamlitRunsOnLoopbackHeadless) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: streamlit\napp_file: ui.py\n"), "/w", "/usr/bin/python3");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->argv, ElementsAre("/usr/bin/python3", "-m", "streamlit", "run", "ui.py", "--server.port", "{PORT}",
                                   "--server.address", "127.0.0.1", "--server.headless", "true"));
  EXPECT_EQ(s->env.at("PATH"), "/usr/local/bin:/usr/bin:/bin");  // no venv
  EXPECT_EQ(s->env.count("VIRTUAL_ENV"), 0u);
}

TEST(LaunchSpecForTest, ProcessRunsAppCommandInAShell) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: process\napp_command: ./server --port $PORT\n"), "/w", "py");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->argv, ElementsAre("sh", "-c", "./server --port $PORT"));
  EXPECT_EQ(s->env.at("PYTHONUNBUFFERED"), "1");
}

TEST(LaunchSpecForTest, ProcessWithoutAppCommandIsAConfigError) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: process\n"), "/w", "py");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("app_command"));
}

TEST(LaunchSpecForTest, NoSdkIsAConfigError) {
  Result<LaunchSpec> s = LaunchSpecFor(card::Card{}, "/w", "py");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "README.md: no sdk in the card (add `sdk: static|gradio|streamlit|docker|process`)");
}

TEST(LaunchSpecForTest, DockerLeavesArgvToTheBuilder) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: docker\napp_port: 3000\n"), "/w", "py");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->argv.empty());
  EXPECT_EQ(s->app_port, 3000);
}

TEST(LaunchSpecForTest, PortTimeoutTitleAndCardJson) {
  Result<LaunchSpec> d = LaunchSpecFor(CardFor("sdk: gradio\n"), "/w", "py");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->app_port, 7860);
  EXPECT_EQ(d->startup_timeout, Millis(30 * 60 * 1000));
  EXPECT_EQ(d->title, "");  // the builder falls back to the Space's name
  Result<LaunchSpec> s =
      LaunchSpecFor(CardFor("sdk: gradio\napp_port: 9000\nstartup_duration_timeout: 90s\ntitle: T\nfoo: bar\n"),
                    "/w", "py");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->app_port, 9000);
  EXPECT_EQ(s->startup_timeout, Millis(90 * 1000));
  EXPECT_EQ(s->title, "T");
  nlohmann::json j = nlohmann::json::parse(s->card_json);
  EXPECT_EQ(j["foo"], "bar");
  EXPECT_EQ(j["app_port"], 9000);
  EXPECT_EQ(s->health_path, "/");
}

}  // namespace
}  // namespace spaceport::build
