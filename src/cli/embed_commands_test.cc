// Tests of embed-link create|list|revoke against FakeHub: the requests sent
// and the output for people and --json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/fake_hub.h"
#include "cli/test_support.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;
using testing::RunCli;

class EmbedCommandsTest : public testing::FakeHubTest {};

constexpr char kCreated[] =
    R"({"id":"el_0123456789abcdef","name":"blog","expiresAt":"2026-01-08T00:00:00.000Z","revoked":false,)"
    R"("url":"http://alice-vault.localhost:8080/.spaceport/embed?t=el_0123456789abcdef.s3cr3t"})";

TEST_F(EmbedCommandsTest, CreateSendsTheLifetimeInSecondsAndPrintsTheUrlAndASnippet) {
  hub_.Route("POST", "/api/spaces/alice/vault/embed-links", 200, kCreated);
  auto r = RunCli({"embed-link", "create", "alice/vault", "--expires", "7d", "--name", "blog"}, Env());
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = hub_.RequestsTo("POST", "/api/spaces/alice/vault/embed-links");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer sp_test");
  EXPECT_EQ(json::parse(reqs[0].body), json({{"expiresIn", 7 * 86400}, {"name", "blog"}}));
  EXPECT_NE(r.out.find("http://alice-vault.localhost:8080/.spaceport/embed?t=el_0123456789abcdef.s3cr3t\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("<iframe src=\"http://alice-vault.localhost:8080/.spaceport/embed?t="), std::string::npos);

  for (const auto& [flag, seconds] : std::vector<std::pair<std::string, int64_t>>{
           {"90s", 90}, {"30m", 1800}, {"12h", 43200}, {"600", 600}}) {
    ASSERT_EQ(RunCli({"embed-link", "create", "alice/vault", "--expires", flag}, Env()).code, 0) << flag;
    EXPECT_EQ(json::parse(hub_.RequestsTo("POST", "/api/spaces/alice/vault/embed-links").back().body),
              json({{"expiresIn", seconds}}))
        << flag;
  }
  auto j = RunCli({"embed-link", "create", "alice/vault", "--json"}, Env());
  ASSERT_EQ(j.code, 0);
  EXPECT_EQ(json::parse(j.out)["id"], "el_0123456789abcdef");
  EXPECT_EQ(json::parse(hub_.RequestsTo("POST", "/api/spaces/alice/vault/embed-links").back().body), json::object())
      << "the server's default lifetime";
}

TEST_F(EmbedCommandsTest, BadArgumentsNeverReachTheServer) {
  for (const char* bad : {"soon", "7w", "-5", "0", "d", ""}) {
    EXPECT_EQ(RunCli({"embed-link", "create", "alice/vault", "--expires", bad}, Env()).code, 2) << bad;
  }
  EXPECT_EQ(RunCli({"embed-link", "create", "not-an-id"}, Env()).code, 2);
  EXPECT_EQ(RunCli({"embed-link", "revoke", "alice/vault", "../x"}, Env()).code, 2);
  EXPECT_EQ(RunCli({"embed-link", "revoke", "alice/vault"}, Env()).code, 2);
  EXPECT_EQ(RunCli({"embed-link", "create", "alice/vault"}, Env(false)).code, 1) << "needs a token";
  EXPECT_TRUE(hub_.Requests().empty());
}

TEST_F(EmbedCommandsTest, ListShowsEachLinksStateAndRevokeSendsDelete) {
  hub_.Route("GET", "/api/spaces/alice/vault/embed-links", 200,
             R"([{"id":"el_1111111111111111","name":"blog","expiresAt":"2026-01-08T00:00:00.000Z","revoked":false,"expired":false},)"
             R"({"id":"el_2222222222222222","name":"","expiresAt":"2025-01-01T00:00:00.000Z","revoked":true,"expired":true}])");
  auto list = RunCli({"embed-link", "list", "alice/vault"}, Env());
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out,
            "el_1111111111111111  live  until 2026-01-08T00:00:00.000Z  blog\n"
            "el_2222222222222222  revoked  until 2025-01-01T00:00:00.000Z\n");

  hub_.Route("DELETE", "/api/spaces/alice/vault/embed-links/el_1111111111111111", 200,
             R"({"id":"el_1111111111111111","revoked":true})");
  auto revoked = RunCli({"embed-link", "revoke", "alice/vault", "el_1111111111111111"}, Env());
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  EXPECT_EQ(hub_.RequestsTo("DELETE", "/api/spaces/alice/vault/embed-links/el_1111111111111111").size(), 1u);
  EXPECT_NE(revoked.out.find("Revoked embed link el_1111111111111111 of alice/vault"), std::string::npos);

  hub_.Route("DELETE", "/api/spaces/alice/vault/embed-links/el_3333333333333333", 404,
             R"({"error":"embed link el_3333333333333333 not found"})");
  auto missing = RunCli({"embed-link", "revoke", "alice/vault", "el_3333333333333333"}, Env());
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "error: embed link el_3333333333333333 not found (HTTP 404)\n");
}

}  // namespace
}  // namespace spaceport::cli
