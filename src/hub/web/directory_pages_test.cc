// Hub tests for the directory's pages (hub/web/directory_pages.cc): the
// search page's facets and sorts escape what they echo, the report form
// needs a session with its CSRF field, and the moderation pages are for
// admins only.
#include "hub/hub.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

constexpr char kOrigin[] = "http://hub.test:8080";

class DirectoryPagesTest : public HubTest {
 protected:
  struct Session {
    std::string cookie, csrf;
  };
  Session SessionOf(const store::User& user) {
    std::string id = sessions_->Issue(user.id).value().id;
    auto s = sessions_->Lookup(id);
    return {id, s.ok() && s->has_value() ? (*s)->csrf_secret : ""};
  }
  static http::Headers Browser(const Session& s) {
    http::Headers h;
    h.Add("Content-Type", "application/x-www-form-urlencoded");
    h.Add("Host", "hub.test:8080");
    h.Add("Accept", "text/html");
    h.Add("Origin", kOrigin);
    if (!s.cookie.empty()) h.Add("Cookie", std::string(access::kSessionCookieName) + "=" + s.cookie);
    return h;
  }
  Reply Page(const std::string& target, const Session& s) { return Do("GET", target, "", "", Browser(s)); }
  Reply Post(const std::string& target, const Session& s, const std::string& body) {
    return Do("POST", target, "", body, Browser(s));
  }
};

TEST_F(DirectoryPagesTest, TheSearchPageShowsFacetsAndSortsAndEscapesTheQuery) {
  ASSERT_EQ(Create("whisper", alice_write_,
                   R"(,"files":[{"path":"README.md","content":"---\ntitle: Whisper\nsdk: gradio\ntags: [audio, asr]\n---\n","encoding":"utf-8"}])")
                .status,
            200);
  store::Space built = store_->GetSpace("alice", "whisper").value();  // as a build would store the card
  built.card_json = R"({"title":"Whisper","sdk":"gradio","tags":["audio","asr"]})";
  ASSERT_TRUE(store_->UpdateSpace(built).ok());
  Reply r = Page("/spaces?search=whisper", {});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("data-id=\"alice/whisper\""), std::string::npos);
  EXPECT_NE(r.body.find("data-facet=\"sdk:gradio\""), std::string::npos);
  EXPECT_NE(r.body.find("data-facet=\"filter:audio\" href=\"/spaces?search=whisper&amp;filter=audio\""),
            std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("data-facet=\"filter:gradio\""), std::string::npos);  // the sdk is not a tag facet
  r = Page("/spaces?search=whisper&filter=asr", {});
  EXPECT_NE(r.body.find("data-id=\"alice/whisper\""), std::string::npos);
  r = Page("/spaces?search=whisper&filter=video", {});
  EXPECT_EQ(r.body.find("data-id=\"alice/whisper\""), std::string::npos);
  r = Page("/spaces?search=whisper", {});
  EXPECT_NE(r.body.find("data-sort=\"likes\" href=\"/spaces?search=whisper&amp;sort=likes\""), std::string::npos)
      << r.body;
  r = Page("/spaces?search=%22%3E%3Cimg%20x", {});
  EXPECT_EQ(r.body.find("\"><img"), std::string::npos);
  r = Page("/spaces?sort=nonsense", {});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unsupported sort"), std::string::npos);
}

TEST_F(DirectoryPagesTest, TheReportFormNeedsASessionAndItsCsrfField) {
  ASSERT_EQ(Create("tool", alice_write_).status, 200);
  Session bob = SessionOf(bob_);
  Reply page = Page("/spaces/alice/tool", bob);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"report-submit\""), std::string::npos);
  EXPECT_NE(Page("/spaces/alice/tool", {}).body.find("to report this Space"), std::string::npos);  // anonymous
  EXPECT_EQ(Post("/spaces/alice/tool/report", bob, "reason=spam&details=x").status, 403);  // no CSRF field
  EXPECT_EQ(Post("/spaces/alice/tool/report", {}, "reason=spam").status, 401);
  EXPECT_TRUE(moderation_store_->ListReports("", 0, 10).value().empty());
  Reply sent = Post("/spaces/alice/tool/report", bob, "reason=spam&details=ads&csrf=" + bob.csrf);
  ASSERT_EQ(sent.status, 303) << sent.body;
  EXPECT_EQ(sent.headers.Get("Location").value_or(""), "/spaces/alice/tool?reported=1#report");
  ASSERT_EQ(moderation_store_->ListReports("open", 0, 10).value().size(), 1u);
  EXPECT_EQ(Post("/spaces/alice/tool/report", bob, "reason=boring&csrf=" + bob.csrf).status, 400);
}

TEST_F(DirectoryPagesTest, TheModerationPagesAreForAdminsOnly) {
  ASSERT_EQ(Create("tool", alice_write_).status, 200);
  store::User root = store_->CreateUser("root", true, clock_.UnixMillis()).value();
  Session admin = SessionOf(root), bob = SessionOf(bob_);
  ASSERT_EQ(Post("/spaces/alice/tool/report", bob, "reason=spam&csrf=" + bob.csrf).status, 303);
  Reply anon = Page("/moderation", {});
  EXPECT_EQ(anon.status, 303);
  EXPECT_EQ(anon.headers.Get("Location").value_or(""), "/login?next=%2Fmoderation");
  EXPECT_EQ(Page("/moderation", bob).status, 403);
  Reply queue = Page("/moderation", admin);
  ASSERT_EQ(queue.status, 200) << queue.body;
  EXPECT_NE(queue.body.find("<a href=\"/spaces/alice/tool\">alice/tool</a>"), std::string::npos);
  EXPECT_EQ(Post("/moderation/spaces/alice/tool", bob, "action=disable&csrf=" + bob.csrf).status, 403);
  EXPECT_EQ(Post("/moderation/spaces/alice/tool", admin, "action=disable").status, 403);  // no CSRF field
  EXPECT_EQ(store_->GetSpace("alice", "tool")->disabled, "");
  Reply done = Post("/moderation/spaces/alice/tool", admin, "action=disable&note=Gone.&csrf=" + admin.csrf);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(store_->GetSpace("alice", "tool")->disabled, "Gone.");
  queue = Page("/moderation?done=disable", admin);
  EXPECT_NE(queue.body.find("id=\"queue-empty\""), std::string::npos);
  EXPECT_NE(queue.body.find("Gone."), std::string::npos);  // in the audit log
  EXPECT_NE(Page("/spaces/alice/tool", {}).body.find("This Space is disabled: Gone."), std::string::npos);
}

}  // namespace
}  // namespace spaceport::hub::testing
