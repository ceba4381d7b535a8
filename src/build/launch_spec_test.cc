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

// Plain words need no shell: exec'd as they are (one process fewer per start).
TEST(LaunchSpecForTest, ProcessRunsAPlainAppCommandWithoutAShell) {
  Result<LaunchSpec> s = LaunchSpecFor(CardFor("sdk: process\napp_command: /usr/bin/python3  app.py --x=1\n"), "/w", "py");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->argv, ElementsAre("/usr/bin/python3", "app.py", "--x=1"));
  for (const char* shell : {"python app.py > log", "FOO=1 python app.py", "python 'app.py'", "python app.py {PORT}",
                            "python *.py", "a; b", "python ~/app.py"}) {
    s = LaunchSpecFor(CardFor(std::string("sdk: process\napp_command: \"") + shell + "\"\n"), "/w", "py");
    ASSERT_TRUE(s.ok()) << shell;
    EXPECT_THAT(s->argv, ElementsAre("sh", "-c", shell)) << shell;
  }
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

TEST(LaunchSpecJsonTest, RoundTripsEveryField) {
  LaunchSpec a;
  a.sdk = "gradio";
  a.argv = {"/v/bin/python", "app.py", "--port={PORT}"};
  a.env = {{"PATH", "/v/bin:/usr/bin"}, {"GRADIO_SERVER_PORT", "{PORT}"}};
  a.cwd = "/data/builds/alice/x/7/app";
  a.app_port = 8501;
  a.health_path = "/healthz";
  a.startup_timeout = Millis(90000);
  a.card_json = R"({"sdk":"gradio","title":"X \u00e9"})";
  a.sleep_freeze = false;
  a.freeze_after = Millis(5000);
  a.title = "X é";
  a.disable_embedding = true;
  a.embed_allow = {"https://example.org"};
  Result<LaunchSpec> b = LaunchSpecFromJson(LaunchSpecToJson(a));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->sdk, a.sdk);
  EXPECT_EQ(b->argv, a.argv);
  EXPECT_EQ(b->env, a.env);
  EXPECT_EQ(b->cwd, a.cwd);
  EXPECT_EQ(b->app_port, 8501);
  EXPECT_EQ(b->health_path, "/healthz");
  EXPECT_EQ(b->startup_timeout, Millis(90000));
  EXPECT_EQ(b->card_json, a.card_json);
  EXPECT_FALSE(b->sleep_freeze);
  ASSERT_TRUE(b->freeze_after.has_value());
  EXPECT_EQ(*b->freeze_after, Millis(5000));
  EXPECT_EQ(b->title, "X é");
  EXPECT_TRUE(b->disable_embedding);
  EXPECT_EQ(b->embed_allow, a.embed_allow);
  EXPECT_FALSE(b->is_static);

  LaunchSpec s;
  s.is_static = true;
  s.static_root = "/w/site";
  Result<LaunchSpec> t = LaunchSpecFromJson(LaunchSpecToJson(s));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->is_static);
  EXPECT_EQ(t->static_root, "/w/site");
  EXPECT_FALSE(t->freeze_after.has_value());
}

TEST(LaunchSpecJsonTest, TruncatedOrForeignFilesAreRefused) {
  std::string whole = LaunchSpecToJson(LaunchSpec{});
  EXPECT_FALSE(LaunchSpecFromJson(whole.substr(0, whole.size() / 2)).ok());
  EXPECT_FALSE(LaunchSpecFromJson("").ok());
  EXPECT_FALSE(LaunchSpecFromJson("[1,2]").ok());
  EXPECT_FALSE(LaunchSpecFromJson(R"({"format": 99})").ok());
  EXPECT_FALSE(LaunchSpecFromJson(R"({"format": "1"})").ok());
  EXPECT_FALSE(LaunchSpecFromJson(R"({"format": null})").ok());
  LaunchSpec not_utf8;
  not_utf8.argv = {"app\xff"};
  EXPECT_EQ(LaunchSpecToJson(not_utf8), "");
  Result<LaunchSpec> wrong_type = LaunchSpecFromJson(R"({"format": 1, "sdk": 5})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(wrong_type.status().message(), HasSubstr("launch file"));
}

}  // namespace
}  // namespace spaceport::build
