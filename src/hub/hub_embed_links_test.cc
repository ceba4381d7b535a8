// Hub: the embed-links API (create, list, revoke), what it publishes to the
// edge's AccessTable, and the "Embed this Space" panel of the Space page.
#include <gtest/gtest.h>

#include "access/access_table.h"
#include "access/embed_links.h"
#include "core/strings.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub {
namespace {

using Json = nlohmann::json;
using testing::Reply;

class HubEmbedLinksTest : public testing::HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    HubDeps deps{store_.get(), &repos_, &git_, &control_, &logs_, auth_.get(), &clock_, sessions_.get(), throttle_.get()};
    deps.access_table = &table_;
    hub_ = std::make_unique<Hub>(deps, HubOptions{"http://hub.test:8080/", "apps.test", ":8080", {}});
    ASSERT_EQ(Create("vault", alice_write_, R"(,"private":true)").status, 200);
  }

  Reply MakeLink(const std::string& body, const std::string& token = "", const std::string& space = "alice/vault") {
    return Do("POST", "/api/spaces/" + space + "/embed-links", token.empty() ? alice_write_ : token, body);
  }

  // The link token in a created link's URL.
  static std::string TokenOf(const Reply& r) {
    std::string url = r.json().value("url", "");
    size_t t = url.find("?t=");
    return t == std::string::npos ? "" : url.substr(t + 3);
  }

  std::shared_ptr<const access::SpaceAccess> Entry(const std::string& id = "alice/vault") { return table_.Find(id); }

  void SetCard(const std::string& name, const std::string& card_json) {
    store::Space s = store_->GetSpace("alice", name).value();
    s.card_json = card_json;
    ASSERT_TRUE(store_->UpdateSpace(s).ok());
  }

  Reply Page(const std::string& space, const std::string& token = "") {
    http::Headers h;
    h.Add("Accept", "text/html");
    return Do("GET", "/spaces/" + space, token, "", h);
  }

  access::AccessTable table_;
};

TEST_F(HubEmbedLinksTest, CreateGivesAnAppHostUrlWhoseTokenTheEdgeAccepts) {
  Reply r = MakeLink(R"({"expiresIn": 3600, "name": "blog"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  EXPECT_TRUE(access::IsEmbedLinkId(j.value("id", ""))) << j;
  EXPECT_EQ(j["name"], "blog");
  EXPECT_EQ(j["createdBy"], "alice");
  EXPECT_EQ(j["expiresAt"], FormatIsoTime(clock_.UnixMillis() + 3600'000));
  EXPECT_EQ(j["revoked"], false);
  EXPECT_TRUE(StartsWith(j.value("url", ""), "http://alice-vault.apps.test:8080/.spaceport/embed?t=")) << j;

  auto entry = Entry();
  ASSERT_NE(entry, nullptr);
  auto grant = access::CheckEmbedToken(entry.get(), TokenOf(r), clock_.UnixMillis());
  ASSERT_TRUE(grant.has_value()) << "the edge knows the new link at once";
  EXPECT_EQ(grant->link_id, j["id"]);
  EXPECT_EQ(grant->expires_at_ms, clock_.UnixMillis() + 3600'000);
}

TEST_F(HubEmbedLinksTest, DefaultsToSevenDaysAndRefusesOtherLifetimes) {
  Reply r = MakeLink("");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["expiresAt"], FormatIsoTime(clock_.UnixMillis() + 7LL * 86400'000));
  EXPECT_EQ(r.json()["name"], "");
  for (const char* bad : {R"({"expiresIn": 59})", R"({"expiresIn": 7776001})", R"({"expiresIn": "soon"})",
                          R"({"expiresIn": -5})", R"({"name": 5})", R"([1])", "{not json"}) {
    Reply refused = MakeLink(bad);
    EXPECT_EQ(refused.status, 400) << bad << " " << refused.body;
    EXPECT_TRUE(refused.json().contains("error")) << refused.body;
  }
  EXPECT_EQ(MakeLink(R"({"name": ")" + std::string(101, 'x') + R"("})").status, 400);
  EXPECT_EQ(MakeLink(R"({"expiresIn": 7776000})").status, 200) << "90 days is allowed";
  EXPECT_EQ(Do("GET", "/api/spaces/alice/vault/embed-links", alice_write_).json().size(), 2u)
      << "nothing stored for refused requests";
}

TEST_F(HubEmbedLinksTest, OnlyWritersMakeAndRevokeLinksAndStrangersSeeNothing) {
  EXPECT_EQ(MakeLink("{}", alice_read_).status, 403) << "a read token never makes a link";
  EXPECT_EQ(MakeLink("{}", bob_write_).status, 404) << "a private Space is not there for strangers";
  // Anonymous callers are asked to sign in before any Space is looked up, so 401 leaks nothing.
  EXPECT_EQ(Do("POST", "/api/spaces/alice/vault/embed-links", "", "{}").status, 401);
  EXPECT_EQ(Do("POST", "/api/spaces/alice/nothing/embed-links", "", "{}").status, 401);
  EXPECT_EQ(Do("GET", "/api/spaces/alice/vault/embed-links", bob_write_).status, 404);
  Reply made = MakeLink("{}");
  ASSERT_EQ(made.status, 200);
  std::string id = made.json()["id"];
  EXPECT_EQ(Do("GET", "/api/spaces/alice/vault/embed-links", alice_read_).status, 200) << "listing needs no write token";
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/vault/embed-links/" + id, alice_read_).status, 403);
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/vault/embed-links/" + id, bob_write_).status, 404);
  ASSERT_NE(Entry(), nullptr);
  EXPECT_EQ(Entry()->embed_links.size(), 1u) << "refused revocations change nothing";
}

TEST_F(HubEmbedLinksTest, ListingNeverShowsTheSecretAndRevokingReachesTheEdgeAtOnce) {
  Reply made = MakeLink(R"({"name": "blog"})");
  ASSERT_EQ(made.status, 200);
  std::string id = made.json()["id"];
  std::string token = TokenOf(made);
  std::string secret = token.substr(token.find('.') + 1);

  Reply list = Do("GET", "/api/spaces/alice/vault/embed-links", alice_write_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json().size(), 1u);
  EXPECT_EQ(list.json()[0]["id"], id);
  EXPECT_FALSE(list.json()[0].contains("url"));
  EXPECT_EQ(list.body.find(secret), std::string::npos);
  EXPECT_EQ(list.body.find(access::HashToken(secret)), std::string::npos);

  Reply revoked = Do("DELETE", "/api/spaces/alice/vault/embed-links/" + id, alice_write_);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_FALSE(access::CheckEmbedToken(Entry().get(), token, clock_.UnixMillis()).has_value());
  EXPECT_EQ(Do("GET", "/api/spaces/alice/vault/embed-links", alice_write_).json()[0]["revoked"], true);
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/vault/embed-links/el_0000000000000000", alice_write_).status, 404);
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/vault/embed-links/nonsense", alice_write_).status, 404);

  // Another Space of the same owner cannot revoke (or see) this one's links.
  ASSERT_EQ(Create("other", alice_write_, R"(,"private":true)").status, 200);
  Reply second = MakeLink("{}");
  std::string second_id = second.json()["id"];
  EXPECT_EQ(Do("DELETE", "/api/spaces/alice/other/embed-links/" + second_id, alice_write_).status, 404);
  EXPECT_TRUE(access::CheckEmbedToken(Entry().get(), TokenOf(second), clock_.UnixMillis()).has_value());
  EXPECT_FALSE(access::CheckEmbedToken(Entry("alice/other").get(), TokenOf(second), clock_.UnixMillis()).has_value());
}

TEST_F(HubEmbedLinksTest, ExpiredLinksAreNotPublishedAgain) {
  Reply made = MakeLink(R"({"expiresIn": 60})");
  ASSERT_EQ(made.status, 200);
  clock_.Advance(Millis(61'000));
  ASSERT_EQ(MakeLink("{}").status, 200);  // republishes the entry
  EXPECT_EQ(Entry()->embed_links.count(made.json()["id"].get<std::string>()), 0u);
  Json list = Do("GET", "/api/spaces/alice/vault/embed-links", alice_write_).json();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["expired"], true);
  EXPECT_EQ(list[0]["expired"], false);
}

TEST_F(HubEmbedLinksTest, LinksMoveWithTheSpaceAndGoWhenItIsDeleted) {
  Reply made = MakeLink("{}");
  ASSERT_EQ(made.status, 200);
  std::string token = TokenOf(made);
  Reply moved = Do("POST", "/api/repos/move", alice_write_,
                   R"({"fromRepo":"alice/vault","toRepo":"alice/safe","type":"space"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Entry("alice/vault"), nullptr);
  EXPECT_TRUE(access::CheckEmbedToken(Entry("alice/safe").get(), token, clock_.UnixMillis()).has_value());
  Json list = Do("GET", "/api/spaces/alice/safe/embed-links", alice_write_).json();
  ASSERT_EQ(list.size(), 1u);

  ASSERT_EQ(Do("DELETE", "/api/repos/delete", alice_write_, R"({"type":"space","name":"alice/safe"})").status, 200);
  EXPECT_EQ(Entry("alice/safe"), nullptr);
  ASSERT_EQ(Create("safe", alice_write_, R"(,"private":true)").status, 200);
  EXPECT_TRUE(Do("GET", "/api/spaces/alice/safe/embed-links", alice_write_).json().empty())
      << "a new Space of the same name has none of the old links";
  EXPECT_FALSE(access::CheckEmbedToken(Entry("alice/safe").get(), token, clock_.UnixMillis()).has_value());
}

TEST_F(HubEmbedLinksTest, PublicSpaceGetsACopyableEscapedSnippet) {
  ASSERT_EQ(Create("open", alice_write_).status, 200);
  SetCard("open", R"({"title":"Open","spaceport":{"embed":{"allow":["https://blog.example.com"]}}})");
  Reply page = Page("alice/open");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("Embed this Space"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;iframe src=&quot;http://alice-open.apps.test:8080/&quot; width=&quot;850&quot; "
                           "height=&quot;450&quot; frameborder=&quot;0&quot;&gt;&lt;/iframe&gt;"),
            std::string::npos)
      << page.body;
  EXPECT_EQ(page.body.find("<iframe src=\"http://alice-open.apps.test:8080/\" width"), std::string::npos)
      << "the snippet is text, not an element";
  EXPECT_NE(page.body.find("id=\"embed-allow\""), std::string::npos);
  EXPECT_NE(page.body.find("https://blog.example.com"), std::string::npos);
}

TEST_F(HubEmbedLinksTest, PrivateSpaceShowsItsWritersHowToMakeALinkAndDisabledEmbeddingHidesThePanel) {
  Reply owner = Page("alice/vault", alice_write_);
  ASSERT_EQ(owner.status, 200);
  EXPECT_NE(owner.body.find("id=\"embed-private\""), std::string::npos) << owner.body;
  EXPECT_NE(owner.body.find("spaceport embed-link create alice/vault"), std::string::npos);
  EXPECT_EQ(owner.body.find("id=\"embed-snippet\""), std::string::npos) << "a plain iframe would show a 404";

  ASSERT_EQ(Create("noframe", alice_write_).status, 200);
  SetCard("noframe", R"({"disable_embedding":true})");
  Reply hidden = Page("alice/noframe", alice_write_);
  ASSERT_EQ(hidden.status, 200);
  EXPECT_EQ(hidden.body.find("Embed this Space"), std::string::npos);
}

}  // namespace
}  // namespace spaceport::hub
