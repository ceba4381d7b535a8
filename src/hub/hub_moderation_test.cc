// Hub tests for reports and moderation (directory/moderation.h): reporting
// with its checks and throttle, confirmed reports lowering a Space's rank
// before anyone acts, the admins' queue and actions reaching the edge's
// access table at once, suspension, and the audit log.
#include "hub/hub.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86400LL * 1000;

class ModerationApiTest : public HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    access_table_ = &table_;
    RemakeHub({});
    root_ = store_->CreateUser("root", true, clock_.UnixMillis()).value();
    root_token_ = NewToken(root_, store::TokenScope::kWrite);
    for (const char* name : {"carol", "dave", "erin"}) {
      store::User u = store_->CreateUser(name, false, clock_.UnixMillis()).value();
      reporters_.push_back(NewToken(u, store::TokenScope::kWrite));
    }
    clock_.Advance(Millis(8 * kDayMs));  // every account so far is a week old: their reports count
  }

  Reply CreateTitled(const std::string& name, const std::string& token, const std::string& title) {
    return Create(name, token,
                  R"(,"files":[{"path":"README.md","content":"---\ntitle: )" + title +
                      R"(\nsdk: gradio\n---\nA tool.\n","encoding":"utf-8"}])");
  }
  Reply Report(const std::string& id, const std::string& token, const std::string& reason = "spam") {
    return Do("POST", "/api/spaces/" + id + "/report", token,
              R"({"reason":")" + reason + R"(","details":"copies another Space"})");
  }
  Reply Act(const std::string& id, const std::string& action, const std::string& note = "") {
    return Do("POST", "/api/moderation/spaces/" + id, root_token_,
              json{{"action", action}, {"note", note}}.dump());
  }
  std::vector<std::string> SearchIds(const std::string& query) {
    const json found = Do("GET", "/api/spaces/search?search=" + query).json();
    std::vector<std::string> ids;
    for (const json& s : found["spaces"]) ids.push_back(s["id"]);
    return ids;
  }

  access::AccessTable table_;
  store::User root_;
  std::string root_token_;
  std::vector<std::string> reporters_;
};

TEST_F(ModerationApiTest, AReportNeedsASignedInCallerAKnownReasonAndASpaceTheyCanSee) {
  ASSERT_EQ(CreateTitled("tool", alice_write_, "Tool").status, 200);
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"private":true)").status, 200);
  EXPECT_EQ(Report("alice/tool", "").status, 401);
  Reply bad = Report("alice/tool", bob_write_, "boring");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("spam, harmful, misleading, not-working, abandoned, copyright, other"), std::string::npos);
  EXPECT_EQ(Report("alice/hidden", bob_write_).status, 404);
  EXPECT_EQ(Report("alice/nothing", bob_write_).status, 404);
  Reply ok = Report("alice/tool", bob_write_, "not-working");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["reason"], "not-working");
  EXPECT_EQ(ok.json()["status"], "open");
  EXPECT_EQ(ok.json()["space"], "alice/tool");
  EXPECT_EQ(Report("alice/tool", bob_write_).status, 409);  // one open report per reporter and Space
}

TEST_F(ModerationApiTest, AReporterIsThrottledToTenReportsAnHour) {
  for (int i = 0; i < 11; ++i) ASSERT_EQ(Create("s" + std::to_string(i), alice_write_).status, 200);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Report("alice/s" + std::to_string(i), bob_write_).status, 200) << i;
  EXPECT_EQ(Report("alice/s10", bob_write_).status, 429);
  clock_.Advance(Millis(3601 * 1000));
  EXPECT_EQ(Report("alice/s10", bob_write_).status, 200);
}

TEST_F(ModerationApiTest, ThreeEstablishedReportersLowerASpaceBeforeAnyAdminActs) {
  ASSERT_EQ(CreateTitled("vision-tool", alice_write_, "Vision tool").status, 200);
  ASSERT_EQ(CreateTitled("vision-kit", bob_write_, "Vision kit").status, 200);
  for (const char* id : {"alice/vision-tool", "bob/vision-kit"}) {  // some quality to lose
    ASSERT_EQ(Do("POST", std::string("/api/spaces/") + id + "/like", reporters_[0]).status, 200);
  }
  std::vector<std::string> before = SearchIds("vision");
  ASSERT_EQ(before.size(), 2u);
  const std::string first = before[0], second = before[1];

  // Fresh accounts do not count, however many.
  store::User fresh = store_->CreateUser("fresh", false, clock_.UnixMillis()).value();
  ASSERT_EQ(Report(first, NewToken(fresh, store::TokenScope::kWrite)).status, 200);
  ASSERT_EQ(Report(first, reporters_[0]).status, 200);
  ASSERT_EQ(Report(first, reporters_[1]).status, 200);
  EXPECT_EQ(SearchIds("vision"), before);
  ASSERT_EQ(Report(first, reporters_[2]).status, 200);
  EXPECT_EQ(SearchIds("vision"), (std::vector<std::string>{second, first}));

  // Dismissing the reports restores the rank.
  ASSERT_EQ(Act(first, "dismiss", "not spam").status, 200);
  EXPECT_EQ(SearchIds("vision"), before);
}

TEST_F(ModerationApiTest, OnlyAdminsSeeTheQueueAndActAndEveryActionIsLogged) {
  ASSERT_EQ(CreateTitled("tool", alice_write_, "Tool").status, 200);
  ASSERT_EQ(Report("alice/tool", bob_write_, "copyright").status, 200);
  EXPECT_EQ(Do("GET", "/api/moderation/reports", bob_write_).status, 403);
  EXPECT_EQ(Do("GET", "/api/moderation/reports").status, 401);
  EXPECT_EQ(Do("POST", "/api/moderation/spaces/alice/tool", bob_write_, R"({"action":"disable"})").status, 403);
  EXPECT_EQ(Do("GET", "/api/moderation/log", alice_write_).status, 403);

  Reply queue = Do("GET", "/api/moderation/reports", root_token_);
  ASSERT_EQ(queue.status, 200) << queue.body;
  ASSERT_EQ(queue.json().size(), 1u);
  EXPECT_EQ(queue.json()[0]["reporter"], "bob");
  EXPECT_EQ(queue.json()[0]["reason"], "copyright");
  const int64_t report = queue.json()[0]["id"];

  EXPECT_EQ(Act("alice/tool", "delete").status, 400);
  Reply hide = Do("POST", "/api/moderation/spaces/alice/tool", root_token_,
                  json{{"action", "hide"}, {"note", "while we look"}, {"report", report}}.dump());
  ASSERT_EQ(hide.status, 200) << hide.body;
  EXPECT_EQ(SearchIds("tool").size(), 0u);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/tool").status, 200);  // hidden from the directory, not gone
  EXPECT_EQ(Do("GET", "/api/moderation/reports", root_token_).json().size(), 0u);
  Reply actioned = Do("GET", "/api/moderation/reports?status=actioned", root_token_);
  ASSERT_EQ(actioned.json().size(), 1u);
  EXPECT_EQ(actioned.json()[0]["resolution"], "hide");
  ASSERT_EQ(Act("alice/tool", "unhide").status, 200);
  EXPECT_EQ(SearchIds("tool").size(), 1u);

  Reply log = Do("GET", "/api/moderation/log", root_token_);
  ASSERT_EQ(log.status, 200) << log.body;
  ASSERT_EQ(log.json().size(), 2u);
  EXPECT_EQ(log.json()[0]["action"], "unhide");  // newest first
  EXPECT_EQ(log.json()[1]["action"], "hide");
  EXPECT_EQ(log.json()[1]["actor"], "root");
  EXPECT_EQ(log.json()[1]["space"], "alice/tool");
  EXPECT_EQ(log.json()[1]["report"], report);
  EXPECT_EQ(log.json()[1]["note"], "while we look");
  EXPECT_EQ(Do("GET", "/api/moderation/log?limit=1", root_token_).json().size(), 1u);
  EXPECT_EQ(Do("GET", "/api/moderation/log?limit=-1", root_token_).status, 400);
}

TEST_F(ModerationApiTest, DisablingReachesTheEdgeAtOnceWithTheNoticeAndEnablingUndoesIt) {
  ASSERT_EQ(CreateTitled("tool", alice_write_, "Tool").status, 200);
  EXPECT_EQ(table_.Find("alice/tool"), nullptr);  // public: no entry
  Reply r = Act("alice/tool", "disable", "Removed after a copyright claim.");
  ASSERT_EQ(r.status, 200) << r.body;
  std::shared_ptr<const access::SpaceAccess> rules = table_.Find("alice/tool");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->disabled, "Removed after a copyright claim.");
  json info = Do("GET", "/api/spaces/alice/tool").json();
  EXPECT_EQ(info["disabled"], true);
  EXPECT_EQ(info["disabledNotice"], "Removed after a copyright claim.");
  EXPECT_EQ(SearchIds("tool").size(), 0u);

  // Other changes to the Space's access keep the notice: it lives in the store.
  ASSERT_EQ(Do("PUT", "/api/spaces/alice/tool/settings", alice_write_, R"({"gated":"auto"})").status, 200);
  ASSERT_NE(table_.Find("alice/tool"), nullptr);
  EXPECT_EQ(table_.Find("alice/tool")->disabled, "Removed after a copyright claim.");
  ASSERT_EQ(Do("PUT", "/api/spaces/alice/tool/settings", alice_write_, R"({"gated":false})").status, 200);

  ASSERT_EQ(Act("alice/tool", "enable").status, 200);
  EXPECT_EQ(table_.Find("alice/tool"), nullptr);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/tool").json()["disabled"], false);
  EXPECT_EQ(SearchIds("tool").size(), 1u);
}

TEST_F(ModerationApiTest, ASuspendedUserCannotSignInAndTheirSpacesAreDisabledUntilUnsuspended) {
  ASSERT_EQ(CreateTitled("one", bob_write_, "One").status, 200);
  ASSERT_EQ(CreateTitled("two", bob_write_, "Two").status, 200);
  ASSERT_EQ(Act("bob/two", "disable", "Spam.").status, 200);
  EXPECT_EQ(Do("POST", "/api/moderation/users/root", root_token_, R"({"action":"suspend"})").status, 400);
  EXPECT_EQ(Do("POST", "/api/moderation/users/nobody", root_token_, R"({"action":"suspend"})").status, 404);
  EXPECT_EQ(Do("POST", "/api/moderation/users/bob", alice_write_, R"({"action":"suspend"})").status, 403);

  Reply r = Do("POST", "/api/moderation/users/bob", root_token_, R"({"action":"suspend","note":"spam wave"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Reply me = Do("GET", "/api/whoami-v2", bob_write_);
  EXPECT_EQ(me.status, 401);
  EXPECT_NE(me.body.find("suspended"), std::string::npos) << me.body;
  ASSERT_NE(table_.Find("bob/one"), nullptr);
  EXPECT_EQ(table_.Find("bob/one")->disabled, directory::kSuspendedNotice);
  EXPECT_EQ(table_.Find("bob/two")->disabled, "Spam.");

  ASSERT_EQ(Do("POST", "/api/moderation/users/bob", root_token_, R"({"action":"unsuspend"})").status, 200);
  EXPECT_EQ(Do("GET", "/api/whoami-v2", bob_write_).status, 200);
  EXPECT_EQ(table_.Find("bob/one"), nullptr);
  ASSERT_NE(table_.Find("bob/two"), nullptr);  // disabled on its own account: stays so
  EXPECT_EQ(table_.Find("bob/two")->disabled, "Spam.");

  Reply log = Do("GET", "/api/moderation/log", root_token_);
  ASSERT_EQ(log.json().size(), 3u);
  EXPECT_EQ(log.json()[0]["action"], "unsuspend");
  EXPECT_EQ(log.json()[1]["action"], "suspend");
  EXPECT_EQ(log.json()[1]["user"], "bob");
  EXPECT_EQ(log.json()[1]["note"], "spam wave");
}

}  // namespace
}  // namespace spaceport::hub::testing
