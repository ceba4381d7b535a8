// Hub tests for collections in HF's API shape (hub/api/collections_api.cc):
// creating with HF's 409 answer, items with positions and notes, who sees
// private collections and private Spaces in them, organization collections
// edited by write members only, slugs that survive a retitle, listing.
#include "hub/hub.h"
#include "hub/hub_test_support.h"

namespace spaceport::hub::testing {
namespace {

using nlohmann::json;

class CollectionsApiTest : public HubTest {
 protected:
  void SetUp() override {
    HubTest::SetUp();
    carol_ = store_->CreateUser("carol", false, clock_.UnixMillis()).value();
    carol_write_ = NewToken(carol_, store::TokenScope::kWrite);
    ASSERT_EQ(Create("tool", alice_write_).status, 200);
    ASSERT_EQ(Create("notes", bob_write_).status, 200);
    ASSERT_EQ(Create("secret", bob_write_, R"(,"private":true)").status, 200);
  }

  Reply Make(const std::string& token, const json& body) { return Do("POST", "/api/collections", token, body.dump()); }
  std::string MakeSlug(const std::string& token, const json& body) {
    Reply r = Make(token, body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json()["slug"].get<std::string>() : "";
  }
  Reply Add(const std::string& slug, const std::string& token, const std::string& id, const std::string& note = "") {
    json body = {{"item", {{"type", "space"}, {"id", id}}}};
    if (!note.empty()) body["note"] = note;
    return Do("POST", "/api/collections/" + slug + "/items", token, body.dump());
  }
  std::vector<std::string> ItemIds(const std::string& slug, const std::string& token) {
    const json c = Do("GET", "/api/collections/" + slug, token).json();
    std::vector<std::string> ids;
    for (const json& item : c["items"]) ids.push_back(item["id"]);
    return ids;
  }
  std::vector<std::string> ListedTitles(const std::string& query, const std::string& token) {
    const json list = Do("GET", "/api/collections" + query, token).json();
    std::vector<std::string> titles;
    for (const json& c : list) titles.push_back(c["title"]);
    return titles;
  }

  store::User carol_;
  std::string carol_write_;
};

TEST_F(CollectionsApiTest, CreatingAnswersHfsShapeAndASecondTitleIs409WithTheSlug) {
  Reply r = Make(alice_write_, {{"title", "Speech demos"}, {"namespace", "alice"}, {"description", "Good ones"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json c = r.json();
  const std::string slug = c["slug"];
  EXPECT_EQ(slug.rfind("alice/speech-demos-", 0), 0u) << slug;
  EXPECT_EQ(slug.size(), std::string("alice/speech-demos-").size() + 24);
  EXPECT_EQ(c["title"], "Speech demos");
  EXPECT_EQ(c["description"], "Good ones");
  EXPECT_EQ(c["owner"], (json{{"name", "alice"}, {"type", "user"}}));
  EXPECT_EQ(c["items"], json::array());
  EXPECT_EQ(c["private"], false);
  EXPECT_EQ(c["theme"], "orange");
  EXPECT_EQ(c["position"], 0);
  EXPECT_EQ(c["shareUrl"], "http://hub.test:8080/collections/" + slug);
  EXPECT_TRUE(c["lastUpdated"].is_string());

  Reply again = Make(alice_write_, {{"title", "speech DEMOS"}, {"namespace", "alice"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json()["slug"], slug);

  EXPECT_EQ(Make("", {{"title", "x"}}).status, 401);
  EXPECT_EQ(Make(alice_read_, {{"title", "x"}}).status, 403);
  EXPECT_EQ(Make(alice_write_, {{"title", "x"}, {"namespace", "bob"}}).status, 403);
  EXPECT_EQ(Make(alice_write_, {{"title", "  "}}).status, 400);
  EXPECT_EQ(Make(alice_write_, {{"title", std::string(61, 'a')}}).status, 400);
  EXPECT_EQ(Make(alice_write_, {{"title", "x"}, {"theme", "neon"}}).status, 400);
  EXPECT_EQ(Make(alice_write_, {{"title", "x"}, {"private", "yes"}}).status, 400);
  EXPECT_EQ(Make(alice_write_, {{"title", "Second"}}).json()["position"], 1);  // the caller's namespace by default
  EXPECT_EQ(Do("GET", "/api/collections/alice/speech-demos-000000000000000000000000").status, 404);
  EXPECT_EQ(Do("GET", "/api/collections/bob/" + slug.substr(6)).status, 404);  // the owner must match
}

TEST_F(CollectionsApiTest, ItemsKeepAnOrderAndNotesAndOnlyVisibleSpacesGoIn) {
  const std::string slug = MakeSlug(alice_write_, {{"title", "Picks"}});
  ASSERT_EQ(Add(slug, alice_write_, "alice/tool", "Start here").status, 200);
  Reply added = Add(slug, alice_write_, "bob/notes");
  ASSERT_EQ(added.status, 200) << added.body;
  ASSERT_EQ(added.json()["items"].size(), 2u);
  const json first = added.json()["items"][0];
  EXPECT_EQ(first["id"], "alice/tool");
  EXPECT_EQ(first["type"], "space");
  EXPECT_EQ(first["position"], 0);
  EXPECT_EQ(first["note"]["text"], "Start here");
  EXPECT_EQ(first["author"], "alice");
  EXPECT_EQ(first["_id"].get<std::string>().size(), 24u);
  EXPECT_EQ(Add(slug, alice_write_, "alice/tool").status, 409);
  EXPECT_EQ(Add(slug, alice_write_, "bob/secret").status, 404);  // alice cannot see it
  EXPECT_EQ(Add(slug, alice_write_, "alice/none").status, 404);
  EXPECT_EQ(Add(slug, bob_write_, "bob/notes").status, 403);      // not bob's collection
  Reply model = Do("POST", "/api/collections/" + slug + "/items", alice_write_,
                   R"({"item":{"type":"model","id":"alice/tool"}})");
  EXPECT_EQ(model.status, 400);

  const std::string item = first["_id"];
  Reply moved = Do("PATCH", "/api/collections/" + slug + "/items/" + item, alice_write_,
                   R"({"position":1,"note":"Then this"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(ItemIds(slug, ""), (std::vector<std::string>{"bob/notes", "alice/tool"}));
  EXPECT_EQ(Do("GET", "/api/collections/" + slug).json()["items"][1]["note"]["text"], "Then this");
  EXPECT_EQ(Do("PATCH", "/api/collections/" + slug + "/items/" + item, alice_write_, R"({"position":-1})").status, 400);
  ASSERT_EQ(Do("DELETE", "/api/collections/" + slug + "/items/" + item, alice_write_).status, 200);
  EXPECT_EQ(ItemIds(slug, ""), (std::vector<std::string>{"bob/notes"}));
  EXPECT_EQ(Do("DELETE", "/api/collections/" + slug + "/items/" + item, alice_write_).status, 404);

  // A deleted Space leaves the collection.
  ASSERT_EQ(Do("DELETE", "/api/repos/delete", bob_write_, R"({"type":"space","name":"bob/notes"})").status, 200);
  EXPECT_TRUE(ItemIds(slug, "").empty());
}

TEST_F(CollectionsApiTest, PrivateCollectionsAndPrivateSpacesInThemShowOnlyToThoseAllowed) {
  const std::string mine = MakeSlug(bob_write_, {{"title", "Drafts"}, {"private", true}});
  const std::string open = MakeSlug(bob_write_, {{"title", "Showcase"}});
  ASSERT_EQ(Add(open, bob_write_, "bob/secret").status, 200);
  ASSERT_EQ(Add(open, bob_write_, "bob/notes").status, 200);
  EXPECT_EQ(Do("GET", "/api/collections/" + mine, alice_write_).status, 404);
  EXPECT_EQ(Do("GET", "/api/collections/" + mine).status, 404);
  EXPECT_EQ(Do("GET", "/api/collections/" + mine, bob_write_).status, 200);
  EXPECT_EQ(ItemIds(open, alice_write_), (std::vector<std::string>{"bob/notes"}));
  EXPECT_EQ(ItemIds(open, bob_write_), (std::vector<std::string>{"bob/secret", "bob/notes"}));

  EXPECT_EQ(ListedTitles("?owner=bob", ""), (std::vector<std::string>{"Showcase"}));
  EXPECT_EQ(ListedTitles("?owner=bob", bob_write_), (std::vector<std::string>{"Showcase", "Drafts"}));
  // Making it public shows it to everyone.
  Reply patched = Do("PATCH", "/api/collections/" + mine, bob_write_, R"({"private":false})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["data"]["private"], false);
  EXPECT_EQ(Do("GET", "/api/collections/" + mine, alice_write_).status, 200);
}

TEST_F(CollectionsApiTest, OrganizationCollectionsAreEditedByWriteMembersOnly) {
  store::Organization lab = store_->CreateOrganization("lab", alice_.id, clock_.UnixMillis()).value();
  ASSERT_TRUE(store_->SetOrgMember(lab.id, bob_.id, store::OrgRole::kWrite).ok());
  ASSERT_TRUE(store_->SetOrgMember(lab.id, carol_.id, store::OrgRole::kRead).ok());
  EXPECT_EQ(Make(carol_write_, {{"title", "Lab picks"}, {"namespace", "lab"}}).status, 403);
  Reply made = Make(bob_write_, {{"title", "Lab picks"}, {"namespace", "lab"}, {"private", true}});
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string slug = made.json()["slug"];
  EXPECT_EQ(made.json()["owner"]["type"], "org");
  EXPECT_EQ(Add(slug, bob_write_, "alice/tool").status, 200);
  EXPECT_EQ(Do("GET", "/api/collections/" + slug, carol_write_).status, 200);  // a read member sees it
  EXPECT_EQ(Add(slug, carol_write_, "bob/notes").status, 403);                // and cannot change it
  EXPECT_EQ(Do("DELETE", "/api/collections/" + slug, carol_write_).status, 403);
  EXPECT_EQ(Do("GET", "/api/collections/" + slug, NewToken(store_->CreateUser("dan", false, 0).value(),
                                                            store::TokenScope::kWrite)).status, 404);
  EXPECT_EQ(ListedTitles("?owner=lab", carol_write_), (std::vector<std::string>{"Lab picks"}));
  ASSERT_EQ(Do("DELETE", "/api/collections/" + slug, alice_write_).status, 200);
  EXPECT_EQ(Do("GET", "/api/collections/" + slug, alice_write_).status, 404);
}

TEST_F(CollectionsApiTest, ARetitledCollectionAnswersUnderBothSlugsAndListsFilterAndMove) {
  const std::string slug = MakeSlug(alice_write_, {{"title", "Old name"}});
  const std::string other = MakeSlug(alice_write_, {{"title", "Other"}});
  clock_.Advance(Millis(1000));
  Reply r = Do("PATCH", "/api/collections/" + slug, alice_write_,
               R"({"title":"New name","description":"Fresh","theme":"green","position":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json data = r.json()["data"];
  EXPECT_EQ(data["title"], "New name");
  EXPECT_EQ(data["theme"], "green");
  EXPECT_EQ(data["position"], 1);
  EXPECT_EQ(Do("GET", "/api/collections/" + other).json()["position"], 0);
  const std::string renamed = data["slug"];
  EXPECT_NE(renamed, slug);
  EXPECT_EQ(Do("GET", "/api/collections/" + slug).json()["title"], "New name");
  EXPECT_EQ(Do("GET", "/api/collections/" + renamed).json()["title"], "New name");

  ASSERT_EQ(Add(other, alice_write_, "alice/tool").status, 200);
  EXPECT_EQ(ListedTitles("?item=spaces/alice/tool", ""), (std::vector<std::string>{"Other"}));
  EXPECT_EQ(ListedTitles("?item=spaces/alice/nothing", ""), std::vector<std::string>{});
  EXPECT_EQ(ListedTitles("?q=NAME", ""), (std::vector<std::string>{"New name"}));
  EXPECT_EQ(ListedTitles("", "").size(), 2u);
  Reply page = Do("GET", "/api/collections?owner=alice&limit=1");
  ASSERT_EQ(page.json().size(), 1u);
  EXPECT_EQ(page.headers.Get("Link").value_or(""),
            "<http://hub.test:8080/api/collections?owner=alice&limit=1&offset=1>; rel=\"next\"");
  EXPECT_EQ(ListedTitles("?owner=alice&limit=1&offset=1", ""), (std::vector<std::string>{"New name"}));
  EXPECT_FALSE(MakeSlug(bob_write_, {{"title", "Bob's"}}).empty());
  EXPECT_EQ(ListedTitles("?owner=bob&owner=alice", "").size(), 3u);
  EXPECT_EQ(ListedTitles("?owner=bob", ""), (std::vector<std::string>{"Bob's"}));
  EXPECT_EQ(Do("GET", "/api/collections?limit=1000").status, 400);
  Reply bad_offset = Do("GET", "/api/collections?offset=-1");
  EXPECT_EQ(bad_offset.status, 400);
  EXPECT_NE(bad_offset.body.find("'offset' must be an integer of at least 0"), std::string::npos) << bad_offset.body;
  EXPECT_EQ(Do("GET", "/api/collections?sort=upvotes").status, 400);
  EXPECT_EQ(Do("GET", "/api/collections?item=models/x/y").status, 400);
}

}  // namespace
}  // namespace spaceport::hub::testing
