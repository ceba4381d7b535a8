// Hub: gated Spaces with the card's custom fields, through Hub::Handle with a
// real store and AccessTable: the API's answer checks, the visitor's form on
// the Space page, the owner's review page and its status codes, CSRF on the
// new forms, and each decision reaching the edge's table at once.
#include <gtest/gtest.h>

#include "card/card.h"
#include "core/strings.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub {
namespace {

using Json = nlohmann::json;
using testing::Reply;

constexpr char kOrigin[] = "http://hub.test:8080";
constexpr char kReadme[] = R"(---
sdk: gradio
extra_gated_prompt: Tell us about you.
extra_gated_fields:
  Company: text
  Use:
    type: select
    options: [Research, Teaching]
  I agree to the terms: checkbox
---
)";
const std::string kGoodForm = "Company=ACME&Use=Research&I+agree+to+the+terms=on";

struct Session {
  std::string cookie, csrf;
};

class HubGateTest : public testing::HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    HubDeps deps{store_.get(), &repos_, &git_,           &control_,      &logs_,
                 auth_.get(),  &clock_, sessions_.get(), throttle_.get()};
    deps.access_table = &table_;
    hub_ = std::make_unique<Hub>(deps, HubOptions{"http://hub.test:8080/", "apps.test", ":8080", {}});
    carol_ = store_->CreateUser("carol", false, clock_.UnixMillis()).value();
    control_.info_stage = "RUNNING";
    ASSERT_EQ(Create("demo", alice_write_).status, 200);
    store::Space demo = store_->GetSpace("alice", "demo").value();
    demo.card_json = card::ParseCard(kReadme).value().ToJson();
    ASSERT_TRUE(store_->UpdateSpace(demo).ok());
  }

  Session SessionOf(const store::User& user) {
    std::string id = sessions_->Issue(user.id).value().id;
    auto s = sessions_->Lookup(id);
    return {id, s.ok() && s->has_value() ? (*s)->csrf_secret : ""};
  }

  static http::Headers Browser(const Session& s, const std::string& origin = kOrigin) {
    http::Headers h;
    h.Add("Content-Type", "application/x-www-form-urlencoded");
    h.Add("Host", "hub.test:8080");
    h.Add("Accept", "text/html");
    if (!s.cookie.empty()) h.Add("Cookie", std::string(access::kSessionCookieName) + "=" + s.cookie);
    if (!origin.empty()) h.Add("Origin", origin);
    return h;
  }

  Reply Post(const std::string& target, const Session& s, const std::string& body, bool with_csrf = true,
             const std::string& origin = kOrigin) {
    std::string full = with_csrf ? body + (body.empty() ? "" : "&") + "csrf=" + s.csrf : body;
    return Do("POST", target, "", full, Browser(s, origin));
  }
  Reply Page(const std::string& target, const Session& s) { return Do("GET", target, "", "", Browser(s, "")); }

  void Gate(const std::string& mode) {
    Reply r = Do("PUT", "/api/spaces/alice/demo/settings", alice_write_, R"({"gated":")" + mode + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  size_t Count(store::AccessRequestStatus status) {
    return store_->ListAccessRequests(store_->GetSpace("alice", "demo")->id, status).value().size();
  }
  bool EdgeLetsIn(const store::User& user) {
    auto entry = table_.Find("alice/demo");
    return entry == nullptr || entry->AllowsApp(user.id);
  }

  access::AccessTable table_;
  store::User carol_;
};

TEST_F(HubGateTest, ApiAskAccessChecksAnswersAgainstTheCardsFields) {
  Gate("manual");
  const std::string ask = "/api/spaces/alice/demo/ask-access";
  struct Case {
    std::string body, error;
  };
  for (const Case& c : std::vector<Case>{
           {"{}", "field 'Company' is required"},
           {R"({"Company":"ACME","Use":"Research"})", "field 'I agree to the terms' must be ticked"},
           {R"({"Company":"ACME","Use":"Fun","I agree to the terms":"on"})", "field 'Use' must be one of"},
           {R"({"Company":"ACME","Use":"Research","I agree to the terms":"on","Age":"9"})", "unknown field 'Age'"},
           {R"({"Company":["x"]})", "field 'Company' must be a string"},
       }) {
    Reply r = Do("POST", ask, bob_write_, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.json().value("error", "").find(c.error), std::string::npos) << r.body;
  }
  EXPECT_EQ(Count(store::AccessRequestStatus::kPending), 0u) << "a refused request is not stored";

  Reply ok = Do("POST", ask, bob_write_, R"({"Company":"ACME","Use":"Research","I agree to the terms":true})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["status"], "pending");
  Reply list = Do("GET", "/api/spaces/alice/demo/user-access-request/pending", alice_write_);
  ASSERT_EQ(list.json().size(), 1u);
  EXPECT_EQ(list.json()[0]["fields"]["I agree to the terms"], "true");
  EXPECT_EQ(list.json()[0]["fields"]["Company"], "ACME");

  // A gated Space whose card defines no fields takes any answers, as before.
  ASSERT_EQ(Create("plain", alice_write_).status, 200);
  ASSERT_EQ(Do("PUT", "/api/spaces/alice/plain/settings", alice_write_, R"({"gated":"auto"})").status, 200);
  Reply free = Do("POST", "/api/spaces/alice/plain/ask-access", bob_write_, R"({"anything":"goes"})");
  EXPECT_EQ(free.status, 200) << free.body;
  EXPECT_EQ(free.json()["status"], "accepted");
}

TEST_F(HubGateTest, TheSpacePageShowsTheFormThenTheRequestsState) {
  Gate("manual");
  Reply anon = Do("GET", "/spaces/alice/demo");
  ASSERT_EQ(anon.status, 200);
  EXPECT_NE(anon.body.find("href=\"/login?next=%2Fspaces%2Falice%2Fdemo\""), std::string::npos);
  EXPECT_EQ(anon.body.find("<iframe"), std::string::npos);
  EXPECT_EQ(Page("/spaces/alice/demo", SessionOf(alice_)).body.find("gate-pending"), std::string::npos)
      << "nothing waits yet";

  Session bob = SessionOf(bob_);
  Reply form = Page("/spaces/alice/demo", bob);
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("Tell us about you."), std::string::npos);
  EXPECT_NE(form.body.find("action=\"/spaces/alice/demo/ask-access\""), std::string::npos);
  EXPECT_NE(form.body.find("name=\"csrf\" value=\"" + bob.csrf + "\""), std::string::npos);
  EXPECT_NE(form.body.find("type=\"checkbox\" value=\"on\" id=\"gate-field-2\" name=\"I agree to the terms\" required"),
            std::string::npos);
  EXPECT_NE(form.body.find("<option value=\"Teaching\">Teaching</option>"), std::string::npos);
  EXPECT_EQ(form.body.find("<iframe"), std::string::npos);

  Reply bad = Post("/spaces/alice/demo/ask-access", bob, "Company=ACME&Use=Research");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("field &#39;I agree to the terms&#39; must be ticked"), std::string::npos) << bad.body;
  Reply sent = Post("/spaces/alice/demo/ask-access", bob, kGoodForm);
  ASSERT_EQ(sent.status, 303) << sent.body;
  EXPECT_EQ(sent.headers.Get("Location").value_or(""), "/spaces/alice/demo");
  EXPECT_EQ(Post("/spaces/alice/demo/ask-access", bob, kGoodForm).status, 409);

  Reply pending = Page("/spaces/alice/demo", bob);
  EXPECT_NE(pending.body.find("data-state=\"pending\""), std::string::npos);
  EXPECT_EQ(pending.body.find("id=\"gate-form\""), std::string::npos);
  EXPECT_FALSE(EdgeLetsIn(bob_));

  Reply owner = Page("/spaces/alice/demo", SessionOf(alice_));
  EXPECT_NE(owner.body.find("href=\"/spaces/alice/demo/settings/access\""), std::string::npos);
  EXPECT_NE(owner.body.find("<strong id=\"gate-pending\">(1 waiting)</strong>"), std::string::npos)
      << "the owner sees that bob's request waits";
  EXPECT_NE(owner.body.find("<iframe"), std::string::npos);
}

TEST_F(HubGateTest, TheCardsHeadingDescriptionButtonAndCountryListShapeTheForm) {
  store::Space demo = store_->GetSpace("alice", "demo").value();
  demo.card_json = card::ParseCard(R"(---
sdk: gradio
extra_gated_heading: Acknowledge the <license>
extra_gated_description: Reviewed within a day.
extra_gated_button_content: Agree and ask
extra_gated_fields:
  Country: country
---
)")
                       .value()
                       .ToJson();
  ASSERT_TRUE(store_->UpdateSpace(demo).ok());
  Gate("manual");
  Session bob = SessionOf(bob_);
  Reply form = Page("/spaces/alice/demo", bob);
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("<h2 id=\"gate-heading\">Acknowledge the &lt;license&gt;</h2>"), std::string::npos);
  EXPECT_NE(form.body.find("Reviewed within a day."), std::string::npos);
  EXPECT_NE(form.body.find(">Agree and ask</button>"), std::string::npos);
  EXPECT_NE(form.body.find("<select id=\"gate-field-0\" name=\"Country\" required"), std::string::npos);
  EXPECT_NE(form.body.find("<option>Côte d&#39;Ivoire</option>"), std::string::npos);
  EXPECT_NE(form.body.find("<option>Japan</option>"), std::string::npos);

  Reply bad = Post("/spaces/alice/demo/ask-access", bob, "Country=Atlantis");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("must be a country from the list"), std::string::npos) << bad.body;
  EXPECT_EQ(Count(store::AccessRequestStatus::kPending), 0u);
  EXPECT_EQ(Post("/spaces/alice/demo/ask-access", bob, "Country=Japan").status, 303);
  EXPECT_EQ(Count(store::AccessRequestStatus::kPending), 1u);
}

TEST_F(HubGateTest, TheVisitorsFormIsRefusedWithoutItsCsrfFieldOrFromAnotherSite) {
  Gate("manual");
  Session bob = SessionOf(bob_);
  EXPECT_EQ(Post("/spaces/alice/demo/ask-access", bob, kGoodForm, false).status, 403);
  EXPECT_EQ(Post("/spaces/alice/demo/ask-access", bob, kGoodForm, true, "https://evil.test").status, 403);
  EXPECT_EQ(Do("POST", "/spaces/alice/demo/ask-access", "", kGoodForm, Browser(Session{})).status, 401);
  EXPECT_EQ(Count(store::AccessRequestStatus::kPending), 0u);
  Session carol = SessionOf(carol_);
  ASSERT_EQ(Create("open", alice_write_).status, 200);
  EXPECT_EQ(Post("/spaces/alice/open/ask-access", carol, "").status, 400) << "not gated";
  EXPECT_EQ(Post("/spaces/alice/none/ask-access", carol, "").status, 404);
}

TEST_F(HubGateTest, TheReviewPageNeedsTheWriteLevel) {
  Gate("manual");
  Reply anon = Do("GET", "/spaces/alice/demo/settings/access");
  EXPECT_EQ(anon.status, 303);
  EXPECT_EQ(anon.headers.Get("Location").value_or(""), "/login?next=%2Fspaces%2Falice%2Fdemo%2Fsettings%2Faccess");
  EXPECT_EQ(Page("/spaces/alice/demo/settings/access", SessionOf(bob_)).status, 403);
  ASSERT_EQ(Create("hidden", alice_write_, R"(,"visibility":"private")").status, 200);
  EXPECT_EQ(Page("/spaces/alice/hidden/settings/access", SessionOf(bob_)).status, 404);
  EXPECT_EQ(Page("/spaces/alice/nothing/settings/access", SessionOf(bob_)).status, 404);
  Reply owner = Page("/spaces/alice/demo/settings/access", SessionOf(alice_));
  ASSERT_EQ(owner.status, 200);
  EXPECT_NE(owner.body.find("<option value=\"manual\" selected>"), std::string::npos);

  Session bob = SessionOf(bob_);
  ASSERT_EQ(Post("/spaces/alice/demo/ask-access", bob, kGoodForm).status, 303);
  EXPECT_EQ(Post("/spaces/alice/demo/settings/access/decide", bob, "user=bob&status=accepted").status, 403)
      << "a visitor cannot accept themselves";
  EXPECT_EQ(Post("/spaces/alice/demo/settings/access/gate", bob, "mode=off").status, 403);
  EXPECT_EQ(Count(store::AccessRequestStatus::kPending), 1u);
  EXPECT_FALSE(EdgeLetsIn(bob_));
}

TEST_F(HubGateTest, DecisionsOnTheReviewPageReachTheEdgeAtOnce) {
  Gate("manual");
  Session bob = SessionOf(bob_), carol = SessionOf(carol_), alice = SessionOf(alice_);
  ASSERT_EQ(Post("/spaces/alice/demo/ask-access", bob, kGoodForm).status, 303);
  ASSERT_EQ(Post("/spaces/alice/demo/ask-access", carol, kGoodForm).status, 303);
  Reply review = Page("/spaces/alice/demo/settings/access", alice);
  EXPECT_NE(review.body.find("<tr data-user=\"bob\">"), std::string::npos);
  EXPECT_NE(review.body.find("<dt>Company</dt><dd>ACME</dd>"), std::string::npos) << review.body;

  const std::string decide = "/spaces/alice/demo/settings/access/decide";
  EXPECT_EQ(Post(decide, alice, "user=bob&status=accepted", false).status, 403) << "no csrf field";
  EXPECT_EQ(Post(decide, alice, "user=bob&status=accepted", true, "https://evil.test").status, 403);
  EXPECT_FALSE(EdgeLetsIn(bob_));
  EXPECT_EQ(Post(decide, alice, "user=bob&status=maybe").status, 400);
  EXPECT_EQ(Post(decide, alice, "user=nobody&status=accepted").status, 404);
  Reply accepted = Post(decide, alice, "user=bob&status=accepted");
  ASSERT_EQ(accepted.status, 303) << accepted.body;
  EXPECT_EQ(accepted.headers.Get("Location").value_or(""), "/spaces/alice/demo/settings/access");
  EXPECT_TRUE(EdgeLetsIn(bob_));
  Reply app = Page("/spaces/alice/demo", bob);
  EXPECT_NE(app.body.find("<iframe class=\"app\" src=\"/.spaceport/handoff?space=alice%2Fdemo\""), std::string::npos);
  EXPECT_EQ(app.body.find("id=\"gate\""), std::string::npos);

  ASSERT_EQ(Post(decide, alice, "user=carol&status=rejected&reason=" + UrlEncode("not <now>")).status, 303);
  EXPECT_FALSE(EdgeLetsIn(carol_));
  Reply refused = Page("/spaces/alice/demo", carol);
  EXPECT_NE(refused.body.find("data-state=\"rejected\""), std::string::npos);
  EXPECT_NE(refused.body.find("Reason: not &lt;now&gt;"), std::string::npos);
  EXPECT_EQ(refused.body.find("id=\"gate-form\""), std::string::npos);
  EXPECT_EQ(Post("/spaces/alice/demo/ask-access", carol, kGoodForm).status, 409);
  EXPECT_EQ(Post(decide, alice, "user=carol&status=rejected&reason=" + std::string(1001, 'x')).status, 400);
}

TEST_F(HubGateTest, TheGateModeIsSetOnTheReviewPage) {
  Session alice = SessionOf(alice_);
  const std::string gate = "/spaces/alice/demo/settings/access/gate";
  EXPECT_EQ(Post(gate, alice, "mode=manual", false).status, 403);
  EXPECT_EQ(store_->GetGate(store_->GetSpace("alice", "demo")->id).value(), "");
  EXPECT_TRUE(EdgeLetsIn(bob_));
  ASSERT_EQ(Post(gate, alice, "mode=manual").status, 303);
  EXPECT_EQ(store_->GetGate(store_->GetSpace("alice", "demo")->id).value(), "manual");
  EXPECT_FALSE(EdgeLetsIn(bob_));
  EXPECT_TRUE(EdgeLetsIn(alice_));
  EXPECT_EQ(Post(gate, alice, "mode=sometimes").status, 400);
  ASSERT_EQ(Post(gate, alice, "mode=off").status, 303);
  EXPECT_EQ(store_->GetGate(store_->GetSpace("alice", "demo")->id).value(), "");
  EXPECT_TRUE(EdgeLetsIn(bob_));
}

}  // namespace
}  // namespace spaceport::hub

namespace spaceport::hub {
namespace {

// Visibility after creation, as on HF: PUT .../settings {private} or
// {visibility}; the store, the API's answers and the edge's rules follow
// at once; bad values change nothing.
TEST_F(HubGateTest, SettingsChangeTheVisibilityEverywhereAtOnce) {
  const std::string settings = "/api/spaces/alice/demo/settings";
  ASSERT_EQ(Do("GET", "/api/spaces/alice/demo", bob_write_).status, 200);
  Reply r = Do("PUT", settings, alice_write_, R"({"private":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["private"], true);
  EXPECT_EQ(r.json()["visibility"], "private");
  EXPECT_TRUE(store_->GetSpace("alice", "demo")->is_private);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo", bob_write_).status, 404) << "a stranger no longer sees it";
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo", alice_read_).status, 200);
  auto entry = table_.Find("alice/demo");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->visibility, store::Visibility::kPrivate);
  EXPECT_FALSE(entry->AllowsApp(bob_.id)) << "the edge shuts the stranger out";
  EXPECT_TRUE(entry->AllowsApp(alice_.id));
  Reply listing = Do("GET", "/api/spaces?author=alice", bob_write_);
  EXPECT_EQ(listing.body.find("alice/demo"), std::string::npos) << listing.body;

  // Refused: nothing changes.
  for (const char* bad : {R"({"private":"yes"})", R"({"visibility":"secret"})",
                          R"({"private":false,"visibility":"private"})", R"({"private":false,"gated":"maybe"})"}) {
    Reply refused = Do("PUT", settings, alice_write_, bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_TRUE(store_->GetSpace("alice", "demo")->is_private) << bad;
  }
  EXPECT_EQ(Do("PUT", settings, bob_write_, R"({"private":false})").status, 404) << "a stranger cannot find it";

  r = Do("PUT", settings, alice_write_, R"({"visibility":"protected"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["visibility"], "protected");
  EXPECT_EQ(Do("GET", "/api/spaces/alice/demo", bob_write_).status, 200);
  EXPECT_TRUE(table_.Find("alice/demo")->AllowsApp(bob_.id));
  // private:false keeps a protected Space protected.
  r = Do("PUT", settings, alice_write_, R"({"private":false})");
  EXPECT_EQ(r.json()["visibility"], "protected");
  r = Do("PUT", settings, alice_write_, R"({"private":true})");
  r = Do("PUT", settings, alice_write_, R"({"private":false})");
  EXPECT_EQ(r.json()["visibility"], "public");
  EXPECT_EQ(store_->GetSpace("alice", "demo")->visibility, store::Visibility::kPublic);
}

TEST_F(HubGateTest, TheOwnersAccessPageChangesTheVisibility) {
  Session alice = SessionOf(alice_), bob = SessionOf(bob_);
  Reply space_page = Page("/spaces/alice/demo", alice);
  EXPECT_NE(space_page.body.find("id=\"access-settings\""), std::string::npos) << "the owner finds the settings";
  EXPECT_EQ(Page("/spaces/alice/demo", bob).body.find("id=\"access-settings\""), std::string::npos);
  Reply page = Page("/spaces/alice/demo/settings/access", alice);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"visibility\""), std::string::npos);
  const std::string action = "/spaces/alice/demo/settings/access/visibility";
  EXPECT_EQ(Post(action, alice, "visibility=private", false).status, 403) << "no CSRF field";
  EXPECT_EQ(Post(action, bob, "visibility=private").status, 403) << "not a writer";
  EXPECT_EQ(Post(action, alice, "visibility=hidden").status, 400);
  EXPECT_FALSE(store_->GetSpace("alice", "demo")->is_private);
  Reply done = Post(action, alice, "visibility=private");
  EXPECT_EQ(done.status, 303) << done.body;
  EXPECT_TRUE(store_->GetSpace("alice", "demo")->is_private);
  EXPECT_EQ(table_.Find("alice/demo")->visibility, store::Visibility::kPrivate);
}

}  // namespace
}  // namespace spaceport::hub
