#include "card/card.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace spaceport::card {
namespace {

using ::testing::HasSubstr;

Card MustParse(std::string_view md) {
  Result<Card> r = ParseCard(md);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Card{};
}

std::string ErrorOf(std::string_view md) {
  Result<Card> r = ParseCard(md);
  EXPECT_FALSE(r.ok()) << "parsed unexpectedly: " << md.substr(0, 200);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

constexpr char kFullCard[] = R"(---
title: Image Captioner
emoji: 🔥
colorFrom: indigo
colorTo: pink
sdk: gradio
sdk_version: 4.44.0
python_version: 3.10
app_file: src/app.py
app_port: 8080
app_build_command: npm run build
base_path: /demo
fullWidth: true
header: mini
short_description: Captions your images
thumbnail: https://example.com/t.png
pinned: true
tags:
  - vision
  - captioning
models: [org/model-a, org/model-b]
datasets:
  - org/data
license: apache-2.0
duplicated_from: someone/original
startup_duration_timeout: 1h
custom_headers:
  cross-origin-embedder-policy: require-corp
  cross-origin-opener-policy: same-origin
preload_from_hub:
  - org/model-a config.json
suggested_hardware: t4-small
hf_oauth: true
hf_oauth_scopes: [read-repos, inference-api]
hf_oauth_expiration_minutes: 120
hf_oauth_authorized_org: my-org
disable_embedding: true
app_command: python serve.py
spaceport:
  sleep_after: 10m
  prices: {default: 5}
my_custom_key: {nested: [1, 2]}
---

# Image Captioner
)";

TEST(ParseCardTest, EveryKnownKey) {
  Card c = MustParse(kFullCard);
  EXPECT_TRUE(c.has_front_matter);
  EXPECT_EQ(c.title, "Image Captioner");
  EXPECT_EQ(c.emoji, "🔥");
  EXPECT_EQ(c.color_from, "indigo");
  EXPECT_EQ(c.color_to, "pink");
  EXPECT_EQ(c.sdk, "gradio");
  EXPECT_EQ(c.sdk_version, "4.44.0");
  EXPECT_EQ(c.python_version, "3.10");  // not 3.1
  EXPECT_EQ(c.app_file, "src/app.py");
  EXPECT_EQ(c.app_port, 8080);
  EXPECT_EQ(c.app_build_command, "npm run build");
  EXPECT_EQ(c.base_path, "/demo");
  EXPECT_EQ(c.full_width, true);
  EXPECT_EQ(c.header, "mini");
  EXPECT_EQ(c.short_description, "Captions your images");
  EXPECT_EQ(c.thumbnail, "https://example.com/t.png");
  EXPECT_TRUE(c.pinned);
  EXPECT_EQ(c.tags, (std::vector<std::string>{"vision", "captioning"}));
  EXPECT_EQ(c.models, (std::vector<std::string>{"org/model-a", "org/model-b"}));
  EXPECT_EQ(c.datasets, (std::vector<std::string>{"org/data"}));
  EXPECT_EQ(c.license, "apache-2.0");
  EXPECT_EQ(c.duplicated_from, "someone/original");
  EXPECT_EQ(c.startup_duration_timeout_seconds, 3600);
  EXPECT_EQ(c.custom_headers.at("cross-origin-embedder-policy"), "require-corp");
  EXPECT_EQ(c.custom_headers.size(), 2u);
  EXPECT_EQ(c.preload_from_hub, (std::vector<std::string>{"org/model-a config.json"}));
  EXPECT_EQ(c.suggested_hardware, "t4-small");
  EXPECT_TRUE(c.hf_oauth);
  EXPECT_EQ(c.hf_oauth_scopes, (std::vector<std::string>{"read-repos", "inference-api"}));
  EXPECT_EQ(c.hf_oauth_expiration_minutes, 120);
  EXPECT_EQ(c.hf_oauth_authorized_org, (std::vector<std::string>{"my-org"}));
  EXPECT_TRUE(c.disable_embedding);
  EXPECT_EQ(c.app_command, "python serve.py");
  EXPECT_EQ(c.spaceport["sleep_after"], "10m");
  EXPECT_EQ(c.spaceport["prices"]["default"], 5);
}

TEST(CardTest, KnownSdks) {
  for (const char* sdk : {"gradio", "streamlit", "docker", "static", "process"}) EXPECT_TRUE(IsKnownSdk(sdk)) << sdk;
  EXPECT_FALSE(IsKnownSdk("php"));
  EXPECT_FALSE(IsKnownSdk(""));
  EXPECT_FALSE(IsKnownSdk("Gradio"));
}

TEST(ParseCardTest, ToJsonHasEveryKeyWithTypes) {
  Card c = MustParse(kFullCard);
  nlohmann::json j = nlohmann::json::parse(c.ToJson());
  EXPECT_EQ(j["title"], "Image Captioner");
  EXPECT_EQ(j["app_port"], 8080);
  EXPECT_EQ(j["python_version"], "3.10");
  EXPECT_EQ(j["pinned"], true);
  EXPECT_EQ(j["tags"], nlohmann::json({"vision", "captioning"}));
  EXPECT_EQ(j["my_custom_key"]["nested"], nlohmann::json({1, 2}));
  EXPECT_EQ(j["spaceport"]["prices"]["default"], 5);
  EXPECT_EQ(j["hf_oauth_authorized_org"], "my-org");
  EXPECT_EQ(j.size(), 33u);  // 30 HF keys + app_command + spaceport + my_custom_key
}

TEST(ParseCardTest, NoFrontMatterGivesDefaults) {
  for (const char* md : {"", "# Hello\n\nJust a readme.\n", "----\nsdk: static\n---\n", "text\n---\nsdk: x\n---\n"}) {
    Card c = MustParse(md);
    EXPECT_FALSE(c.has_front_matter) << md;
    EXPECT_EQ(c.sdk, "");
    EXPECT_EQ(c.AppPortOr(), 7860);
    EXPECT_EQ(c.StartupTimeoutSeconds(), 30 * 60);
    EXPECT_EQ(c.ToJson(), "{}");
  }
}

TEST(ParseCardTest, EmptyFrontMatterAndNullValues) {
  Card c = MustParse("---\n---\n");
  EXPECT_TRUE(c.has_front_matter);
  EXPECT_EQ(c.sdk, "");
  Card n = MustParse("---\nsdk: static\ntitle:\napp_port: ~\n---\n");
  EXPECT_EQ(n.title, "");
  EXPECT_FALSE(n.app_port.has_value());
  EXPECT_TRUE(nlohmann::json::parse(n.ToJson())["title"].is_null());
}

TEST(ParseCardTest, CrlfBomAndTrailingSpacesOnFences) {
  Card c = MustParse("\xEF\xBB\xBF---  \r\nsdk: static\r\ntitle: Hi\r\n--- \r\nbody");
  EXPECT_EQ(c.sdk, "static");
  EXPECT_EQ(c.title, "Hi");
}

TEST(ParseCardTest, UnknownKeysKept) {
  Card c = MustParse("---\nsdk: static\nsuggested_storage: small\nweird: [a, {b: true}]\n---\n");
  nlohmann::json j = nlohmann::json::parse(c.ToJson());
  EXPECT_EQ(j["suggested_storage"], "small");
  EXPECT_EQ(j["weird"][1]["b"], true);
}

TEST(ParseCardTest, ScalarTypesInJson) {
  Card c = MustParse("---\na: 12\nb: 1.5\nc: 'quoted 12'\nd: \"true\"\ne: false\nf: null\ng: 0x1F\nh: .inf\n---\n");
  nlohmann::json j = nlohmann::json::parse(c.ToJson());
  EXPECT_EQ(j["a"], 12);
  EXPECT_EQ(j["b"], 1.5);
  EXPECT_EQ(j["c"], "quoted 12");
  EXPECT_EQ(j["d"], "true");
  EXPECT_EQ(j["e"], false);
  EXPECT_TRUE(j["f"].is_null());
  EXPECT_EQ(j["g"], 31);
  EXPECT_EQ(j["h"], ".inf");
}

TEST(ParseCardTest, SingleStringCountsAsList) {
  Card c = MustParse("---\nsdk: static\nmodels: org/one\n---\n");
  EXPECT_EQ(c.models, std::vector<std::string>{"org/one"});
}

TEST(ParseCardTest, EmbedAllowListOfOrigins) {
  Card c = MustParse(
      "---\nsdk: static\nspaceport:\n  embed:\n    allow:\n      - https://blog.example.com\n"
      "      - https://*.Example.com\n      - http://localhost:8080\n      - http://127.0.0.1:3000\n---\n");
  EXPECT_EQ(c.embed_allow, (std::vector<std::string>{"https://blog.example.com", "https://*.example.com",
                                                     "http://localhost:8080", "http://127.0.0.1:3000"}));
  EXPECT_EQ(MustParse("---\nspaceport:\n  embed:\n    allow: https://a.example\n---\n").embed_allow,
            std::vector<std::string>{"https://a.example"});
  EXPECT_TRUE(MustParse("---\nspaceport:\n  embed:\n    allow:\n---\n").embed_allow.empty());
  EXPECT_TRUE(MustParse("---\nsdk: static\n---\n").embed_allow.empty());
}

TEST(ParseCardTest, PricingBlock) {
  Card c = MustParse(
      "---\nsdk: gradio\nspaceport:\n  pricing:\n    per_request: 2000\n    free_requests: 10\n"
      "    rate_limit: 60/min\n    routes:\n      - match: \"POST /run/**\"\n        price: 10000\n"
      "        max: 50000\n      - match: \"GET /assets/**\"\n        price: 0\n"
      "      - match: /premium/**\n        plan: pro\n    plans:\n      pro:\n        title: Pro\n"
      "        price: 5000000\n        rate_limit: 600/min\n        included_requests: 10000\n---\n");
  ASSERT_TRUE(c.pricing);
  const billing::Pricing& p = *c.pricing;
  EXPECT_EQ(p.per_request, 2000);
  EXPECT_EQ(p.free_requests, 10);
  EXPECT_EQ(p.rate_limit->count, 60);
  ASSERT_EQ(p.routes.size(), 3u);
  EXPECT_EQ(p.routes[0].method, "POST");
  EXPECT_EQ(p.routes[0].glob, "/run/**");
  EXPECT_EQ(*p.routes[0].max, 50000);
  EXPECT_EQ(p.routes[2].method, "");
  EXPECT_EQ(p.routes[2].plan, "pro");
  ASSERT_EQ(p.plans.size(), 1u);
  EXPECT_EQ(p.plans[0].id, "pro");
  EXPECT_EQ(p.plans[0].price, 5000000);
  EXPECT_EQ(p.plans[0].included_requests, 10000);
  EXPECT_FALSE(MustParse("---\nsdk: static\n---\n").pricing);
}

// The stored card (its JSON) gives back the same pricing.
TEST(ParseCardTest, PricingOfTheStoredCard) {
  Card c = MustParse("---\nsdk: gradio\nspaceport:\n  pricing:\n    per_request: 2000\n    routes:\n"
                     "      - match: \"POST /run/**\"\n        price: 10000\n---\n");
  auto again = PricingOfCardJson(nlohmann::json::parse(c.ToJson()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE(*again);
  EXPECT_EQ((*again)->per_request, 2000);
  ASSERT_EQ((*again)->routes.size(), 1u);
  EXPECT_EQ((*again)->routes[0].method, "POST");
  EXPECT_EQ(*(*again)->routes[0].price, 10000);
  EXPECT_FALSE(*PricingOfCardJson(nlohmann::json::parse(R"({"sdk":"static"})")));
  EXPECT_FALSE(*PricingOfCardJson(nlohmann::json()));
  EXPECT_FALSE(PricingOfCardJson(nlohmann::json::parse(R"({"spaceport":{"pricing":{"per_request":-1}}})")).ok());
}

// A bad pricing block names the key and the README line; nothing is
// guessed (a typo must not make a paid route free).
TEST(ParseCardTest, PricingErrorsNameKeyAndLine) {
  auto error = [](const std::string& pricing) {
    return ErrorOf("---\nsdk: gradio\nspaceport:\n  pricing:\n" + pricing + "---\n");
  };
  EXPECT_THAT(error("    per_request: 1.5\n"), HasSubstr("README.md line 5: spaceport.pricing.per_request: expected an amount in micro-units"));
  EXPECT_THAT(error("    per_request: -1\n"), HasSubstr("line 5: spaceport.pricing.per_request"));
  EXPECT_THAT(error("    per_request: \"2000\"\n"), HasSubstr("line 5: spaceport.pricing.per_request"));
  EXPECT_THAT(error("    per_request: 2000000000000000000\n"), HasSubstr("spaceport.pricing.per_request"));
  EXPECT_THAT(error("    per_requests: 5\n"), HasSubstr("line 5: spaceport.pricing: unknown key 'per_requests'"));
  EXPECT_THAT(error("    rate_limit: 60/week\n"), HasSubstr("line 5: spaceport.pricing.rate_limit: expected a rate like 60/min"));
  EXPECT_THAT(error("    free_requests: many\n"), HasSubstr("line 5: spaceport.pricing.free_requests"));
  EXPECT_THAT(error("    routes:\n      - match: \"FETCH /x\"\n        price: 1\n"),
              HasSubstr("line 6: spaceport.pricing.routes[0].match: expected an HTTP method"));
  EXPECT_THAT(error("    routes:\n      - match: run/**\n        price: 1\n"),
              HasSubstr("line 6: spaceport.pricing.routes[0].match: expected a path glob"));
  EXPECT_THAT(error("    routes:\n      - price: 1\n"), HasSubstr("spaceport.pricing.routes[0].match"));
  EXPECT_THAT(error("    routes:\n      - match: /x\n        price: 10\n        max: 5\n"),
              HasSubstr("line 8: spaceport.pricing.routes[0].max: expected at least the route's price"));
  EXPECT_THAT(error("    routes:\n      - match: /x\n        plan: gold\n"),
              HasSubstr("line 7: spaceport.pricing.routes[0].plan: expected the name of a plan"));
  EXPECT_THAT(error("    routes:\n      - match: /x\n        cost: 1\n"),
              HasSubstr("line 7: spaceport.pricing.routes[0]: unknown key 'cost'"));
  EXPECT_THAT(error("    plans:\n      Pro!:\n        price: 1\n"), HasSubstr("line 6: spaceport.pricing.plans: expected plan names"));
  EXPECT_THAT(error("    plans:\n      pro:\n        title: Pro\n"), HasSubstr("spaceport.pricing.plans.pro.price"));
  EXPECT_THAT(error("    plans:\n      pro:\n        price: 0\n"), HasSubstr("line 7: spaceport.pricing.plans.pro.price"));
  EXPECT_THAT(error("    plans: [pro]\n"), HasSubstr("line 5: spaceport.pricing.plans: expected a mapping"));
  EXPECT_THAT(ErrorOf("---\nspaceport:\n  pricing: 5\n---\n"), HasSubstr("line 3: spaceport.pricing: expected a mapping"));
}

// Anything that is not scheme://host[:port] is refused, so nothing the card
// says can add a directive or a source to the header.
TEST(ParseCardTest, EmbedAllowRefusesWhatIsNotAnOrigin) {
  for (const char* bad : {"https://a.example/path", "https://a.example/", "a.example", "ftp://a.example",
                          "https://a.example;script-src *", "https://a.example https://b.example",
                          "https://a.example,https://b.example", "'self'", "\"https://a.example\"", "*",
                          "https://*", "https://a.*.example", "https://a..example", "https://-a.example",
                          "https://a.example:0", "https://a.example:65536", "https://a.example:80x",
                          "https://a.example:", "https://user@a.example", "https://[::1]:80", "https://",
                          "javascript:alert(1)", "https://a_b.example"}) {
    std::string md = std::string("---\nsdk: static\nspaceport:\n  embed:\n    allow:\n      - '") + bad +
                     "'\n---\n";
    if (std::string_view(bad).find('\'') != std::string_view::npos) {
      md = std::string("---\nsdk: static\nspaceport:\n  embed:\n    allow:\n      - \"") + bad + "\"\n---\n";
    }
    std::string msg = ErrorOf(md);
    EXPECT_THAT(msg, HasSubstr("README.md line 6: spaceport.embed.allow: expected an origin")) << bad;
  }
}

TEST(ParseCardTest, DurationsParse) {
  EXPECT_EQ(ParseDuration("30m"), 1800);
  EXPECT_EQ(ParseDuration("1h"), 3600);
  EXPECT_EQ(ParseDuration("90s"), 90);
  EXPECT_EQ(ParseDuration("1h30m"), 5400);
  EXPECT_EQ(ParseDuration("2d"), 2 * 86400);
  for (const char* bad : {"", "30", "m", "1x", "-5m", "0s", "99999999999h", "1h 30m"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

// Each bad value, the README line it is on, and words the message must carry.
struct BadCase {
  std::string body;
  int line;
  std::string words;
};

TEST(ParseCardTest, BadValuesNameKeyAndLine) {
  const std::vector<BadCase> cases = {
      {"title: ok\nsdk: static\napp_port: abc\n", 4,
       "app_port: expected an integer between 1 and 65535, got \"abc\""},
      {"app_port: 0\n", 2, "app_port: expected an integer between 1 and 65535, got \"0\""},
      {"app_port: 65536\n", 2, "app_port"},
      {"app_port: [1]\n", 2, "app_port: expected an integer between 1 and 65535, got a list"},
      {"sdk: flask\n", 2, "sdk: expected one of gradio|streamlit|docker|static|process, got \"flask\""},
      {"colorFrom: orange\n", 2, "colorFrom: expected one of red|yellow|green|blue|indigo|purple|pink|gray"},
      {"colorTo: {a: b}\n", 2, "colorTo: expected one of"},
      {"header: big\n", 2, "header: expected one of mini|default"},
      {"pinned: yes please\n", 2, "pinned: expected true or false"},
      {"fullWidth: 1\n", 2, "fullWidth: expected true or false"},
      {"hf_oauth: 'true'\n", 2, "hf_oauth: expected true or false"},
      {"disable_embedding: [true]\n", 2, "disable_embedding: expected true or false"},
      {"tags:\n  - ok\n  - {a: b}\n", 4, "tags: expected a list of strings, got a mapping"},
      {"models: {a: b}\n", 2, "models: expected a list of strings"},
      {"datasets:\n  - [x]\n", 3, "datasets: expected a list of strings, got a list"},
      {"title: [a, b]\n", 2, "title: expected a string, got a list"},
      {"startup_duration_timeout: soon\n", 2, "startup_duration_timeout: expected a duration like 30m"},
      {"hf_oauth_expiration_minutes: 99999\n", 2, "hf_oauth_expiration_minutes: expected an integer"},
      {"custom_headers: {x-frame-options: deny}\n", 2, "custom_headers: expected one of cross-origin"},
      {"custom_headers:\n  cross-origin-opener-policy: \"a\\r\\nSet-Cookie: x\"\n", 3,
       "custom_headers.cross-origin-opener-policy: expected a one-line string"},
      {"app_file: ../../etc/passwd\n", 2, "app_file: expected a path inside the repository"},
      {"app_file: /etc/passwd\n", 2, "app_file"},
      {"base_path: demo\n", 2, "base_path: expected a path starting with /"},
      {"short_description: " + std::string(61, 'x') + "\n", 2, "short_description: expected at most 60 characters"},
      {"sdk_version: --index-url=x\n", 2, "sdk_version: expected a version"},
      {"spaceport: [a]\n", 2, "spaceport: expected a mapping"},
      {"spaceport:\n  sleep: 5\n", 3, "spaceport.sleep: expected a mapping"},
      {"spaceport:\n  sleep:\n    freeze: maybe\n", 4, "spaceport.sleep.freeze: expected true or false"},
      {"spaceport:\n  sleep:\n    freeze_after: soon\n", 4, "spaceport.sleep.freeze_after: expected seconds"},
      {"spaceport:\n  sleep:\n    freeze_after: 0\n", 4, "spaceport.sleep.freeze_after: expected seconds"},
      {"spaceport:\n  embed: [a]\n", 3, "spaceport.embed: expected a mapping with allow"},
      {"spaceport:\n  embed:\n    allow: {a: b}\n", 4, "spaceport.embed.allow: expected a list of origins"},
      {"spaceport:\n  embed:\n    allow:\n      - https://ok.example\n      - [x]\n", 6,
       "spaceport.embed.allow: expected an origin"},
      {"# comment\n\nsdk: static\nsdk: gradio\n", 5, "sdk: the key appears twice"},
      {"[a]: b\n", 2, "a key must be a plain string"},
      {"- just\n- a list\n", 2, "the card must be a mapping"},
  };
  for (const BadCase& c : cases) {
    std::string msg = ErrorOf("---\n" + c.body + "---\nbody\n");
    EXPECT_THAT(msg, HasSubstr("README.md line " + std::to_string(c.line) + ": ")) << c.body;
    EXPECT_THAT(msg, HasSubstr(c.words)) << c.body;
  }
}

TEST(ParseCardTest, ExampleMessageExactly) {
  EXPECT_EQ(ErrorOf("---\ntitle: t\nsdk: static\napp_port: abc\n---\n"),
            "README.md line 4: app_port: expected an integer between 1 and 65535, got \"abc\"");
}

TEST(ParseCardTest, YamlSyntaxErrorsNameTheLine) {
  std::string msg = ErrorOf("---\ntitle: ok\nsdk: static\ntags: [a, b\nemoji: x\n---\n");
  EXPECT_THAT(msg, HasSubstr("invalid YAML"));
  EXPECT_THAT(msg, HasSubstr("README.md line "));
  std::string bad_indent = ErrorOf("---\ntitle: ok\n  sdk: static\n---\n");
  EXPECT_THAT(bad_indent, HasSubstr("README.md line 3: invalid YAML"));
  std::string unknown_alias = ErrorOf("---\ntitle: *nope\n---\n");
  EXPECT_THAT(unknown_alias, HasSubstr("README.md line 2"));
}

TEST(ParseCardTest, UnclosedFrontMatter) {
  EXPECT_THAT(ErrorOf("---\nsdk: static\n# no closing\n"), HasSubstr("no closing --- line"));
}

TEST(ParseCardTest, HostileHugeFrontMatter) {
  std::string md = "---\n";
  while (md.size() < 200 * 1024) md += "key" + std::to_string(md.size()) + ": value\n";
  md += "---\n";
  EXPECT_THAT(ErrorOf(md), HasSubstr("larger than 64 KiB"));
  std::string unclosed(10 << 20, 'a');
  unclosed.insert(0, "---\n");
  EXPECT_THAT(ErrorOf(unclosed), HasSubstr("larger than 64 KiB"));
}

TEST(ParseCardTest, HostileDeepNesting) {
  std::string flow = "---\nx: " + std::string(30000, '[') + std::string(30000, ']') + "\n---\n";
  EXPECT_THAT(ErrorOf(flow), HasSubstr("README.md line 2"));
  std::string maps = "---\nx: ";
  for (int i = 0; i < 200; ++i) maps += "{a: ";
  maps += "1" + std::string(200, '}') + "\n---\n";
  EXPECT_THAT(ErrorOf(maps), HasSubstr("nest"));
  std::string block = "---\n";
  for (int i = 0; i < 60; ++i) block += std::string(i, ' ') + "k:\n";
  block += "---\n";
  EXPECT_THAT(ErrorOf(block), HasSubstr("deeper than"));
}

TEST(ParseCardTest, HostileAliasBomb) {
  std::string md = "---\na: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (int i = 0; i < 12; ++i) {
    std::string name = "l" + std::to_string(i);
    md += name + ": &" + name + " [";
    for (int k = 0; k < 10; ++k) md += (k ? ", *" : "*") + prev;
    md += "]\n";
    prev = name;
  }
  md += "---\n";
  EXPECT_THAT(ErrorOf(md), HasSubstr("values once aliases are expanded"));
}

TEST(ParseCardTest, HostileSelfReferencingAnchor) {
  Result<Card> r = ParseCard("---\na: &a [*a]\n---\n");
  EXPECT_FALSE(r.ok());  // either an unknown alias or a cycle caught by the depth cap
}

TEST(ParseCardTest, HostileBinaryNeverCrashes) {
  EXPECT_THAT(ErrorOf(std::string("---\ntitle: a\0b\n---\n", 18)), HasSubstr("NUL byte"));
  std::mt19937 rng(42);
  const std::string alphabet = "-:[]{}&*!|>'\"#%@`,? \n\t\x01\xff\xc3" "abc0123";
  for (int round = 0; round < 3000; ++round) {
    std::string body;
    size_t len = rng() % 200;
    for (size_t i = 0; i < len; ++i) body += alphabet[rng() % alphabet.size()];
    Result<Card> r = ParseCard("---\n" + body + "\n---\n");
    if (r.ok()) {
      EXPECT_FALSE(r->ToJson().empty());
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(ParseCardTest, InvalidUtf8StillSerialises) {
  Card c = MustParse("---\nsdk: static\ntitle: \"caf\xe9\"\n---\n");
  EXPECT_FALSE(c.ToJson().empty());
}

}  // namespace
TEST(CardTest, SpaceportSleepKeys) {
  auto c = ParseCard("---\nsdk: gradio\nspaceport:\n  sleep:\n    freeze: false\n    freeze_after: 90\n---\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sleep_freeze, false);
  EXPECT_EQ(c->sleep_freeze_after_seconds, 90);
  auto d = ParseCard("---\nsdk: gradio\nspaceport:\n  sleep:\n    freeze_after: 2m\n---\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->sleep_freeze.has_value());
  EXPECT_EQ(d->sleep_freeze_after_seconds, 120);
  auto none = ParseCard("---\nsdk: gradio\n---\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->sleep_freeze_after_seconds.has_value());
}

}  // namespace spaceport::card
