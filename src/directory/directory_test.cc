// The directory over the real SQLite store (a temp file): ranking, prefixes,
// filters, sorts, visibility, the index's upkeep and walks deeper than one
// step.
#include "directory/directory.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "directory/directory_fixture.h"

namespace spaceport::directory {
namespace {

using DirectoryTest = DirectoryFixture;

TEST_F(DirectoryTest, TitleMatchBeatsAReadmeMention) {
  Add("alice", "mentions", R"({"title":"Image tools"})", "Built after seeing the whisper demo last year.");
  Add("alice", "titled", R"({"title":"Whisper"})", "Speech to text.");
  EXPECT_EQ(Names("whisper "), (std::vector<std::string>{"titled", "mentions"}));
}

TEST_F(DirectoryTest, VerifiedBeatsAnOtherwiseEqualBrokenSpace) {
  store::Space broken = Add("alice", "broken", R"({"title":"Chat demo"})", "A chat demo.");
  store::Space working = Add("alice", "working", R"({"title":"Chat demo"})", "A chat demo.");
  // Equal text: the newer document wins the tie...
  ASSERT_EQ(Names("chat demo "), (std::vector<std::string>{"working", "broken"}));
  // ...until only the older one is verified.
  ASSERT_TRUE(directory_store_->SetSignals(broken.id, {.verified = true}).ok());
  ASSERT_TRUE(directory_->Refresh(broken.id, 0).ok());
  EXPECT_EQ(Names("chat demo "), (std::vector<std::string>{"broken", "working"}));
  (void)working;
}

TEST_F(DirectoryTest, AnExcludedWordInTheReadmeExcludesATitleMatch) {
  Add("alice", "keep", R"({"title":"Whisper"})", "Speech.");
  Add("alice", "drop", R"({"title":"Whisper"})", "Uses llama underneath.");
  EXPECT_EQ(Names("whisper -llama "), std::vector<std::string>{"keep"});
}

TEST_F(DirectoryTest, PrefixFindsByTheFirstLetters) {
  Add("alice", "asr", R"({"title":"Whisper large"})", "");
  Add("alice", "other", R"({"title":"Diffusion"})", "");
  EXPECT_EQ(Names("whi"), (std::vector<std::string>{"asr"}));
  EXPECT_EQ(Names("whi "), std::vector<std::string>{});  // a finished word is whole
  EXPECT_EQ(Names("lar"), (std::vector<std::string>{"asr"}));
}

TEST_F(DirectoryTest, SearchesEveryField) {
  Add("alice", "a", R"({"short_description":"zebra crossing"})", "");
  Add("alice", "b", R"({"tags":["okapi"]})", "");
  Add("alice", "c", R"({"models":["acme/narwhal-7b"]})", "");
  Add("alice", "d", "{}", "---\ntitle: ignored\n---\nplatypus facts");
  Add("alice", "quokka-finder", "{}", "");
  EXPECT_EQ(Names("zebra "), std::vector<std::string>{"a"});
  EXPECT_EQ(Names("okapi "), std::vector<std::string>{"b"});
  EXPECT_EQ(Names("narwhal "), std::vector<std::string>{"c"});
  EXPECT_EQ(Names("platypus "), std::vector<std::string>{"d"});
  EXPECT_EQ(Names("ignored "), std::vector<std::string>{});  // front matter is not README text
  EXPECT_EQ(Names("quokka "), std::vector<std::string>{"quokka-finder"});
  EXPECT_EQ(Names("alice quokka "), std::vector<std::string>{"quokka-finder"});
}

TEST_F(DirectoryTest, FiltersAndSortsCombine) {
  Add("alice", "g1", R"({"title":"Translator"})", "", "gradio");
  Add("alice", "s1", R"({"title":"Translator"})", "", "streamlit");
  store::Space g2 = Add("alice", "g2", R"({"title":"Translator"})", "", "gradio");
  auto bob = store_->CreateUser("bob", false, kT0);
  ASSERT_TRUE(bob.ok());
  ASSERT_TRUE(store_->Like(bob->id, g2.id, kT0).ok());
  ASSERT_TRUE(store_->Like(alice_.id, g2.id, kT0).ok());

  DirectoryQuery q{.search = "translator ", .sdks = {"gradio"}, .sort = "createdAt"};
  EXPECT_EQ(Names(q), (std::vector<std::string>{"g2", "g1"}));
  q.descending = false;
  EXPECT_EQ(Names(q), (std::vector<std::string>{"g1", "g2"}));
  q.sort = "likes";
  q.descending = true;
  EXPECT_EQ(Names(q), (std::vector<std::string>{"g2", "g1"}));
  EXPECT_EQ(store_->GetSpaceById(g2.id)->likes, 2);  // the counter the sort reads
  q.sdks = {"streamlit"};
  EXPECT_EQ(Names(q), std::vector<std::string>{"s1"});

  Result<SearchPage> page = directory_->Search({.search = "translator ", .sdks = {"gradio"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 2);
  EXPECT_TRUE(page->exact);
  // A facet counts its own dimension without its own filter.
  EXPECT_EQ(page->facets.sdk.at("gradio"), 2);
  EXPECT_EQ(page->facets.sdk.at("streamlit"), 1);
  EXPECT_EQ(page->facets.stage.at("RUNNING"), 2);
}

TEST_F(DirectoryTest, PrivateSpacesAreInvisibleToStrangersInResultsAndFacets) {
  Add("alice", "open", R"({"title":"Secret sauce"})", "", "gradio");
  store::Space hidden = Add("alice", "closed", R"({"title":"Secret sauce"})", "", "docker", true);
  Result<SearchPage> stranger = directory_->Search({.search = "secret "});
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(stranger->space_ids.size(), 1u);
  EXPECT_EQ(stranger->total, 1);
  EXPECT_EQ(stranger->facets.sdk.count("docker"), 0u);

  DirectoryQuery mine{.search = "secret "};
  mine.may_see_private = [&](const store::DirectoryCandidate& c) { return c.owner == "alice"; };
  Result<SearchPage> owner = directory_->Search(mine);
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->total, 2);
  EXPECT_EQ(owner->facets.sdk.at("docker"), 1);
  EXPECT_NE(std::find(owner->space_ids.begin(), owner->space_ids.end(), hidden.id), owner->space_ids.end());
}

TEST_F(DirectoryTest, RenameReindexesAndDeleteRemoves) {
  store::Space s = Add("alice", "old-name", R"({"title":"Thing"})", "");
  ASSERT_TRUE(store_->RenameSpace(s.id, "alice", "brandnew", "alice-brandnew").ok());
  EXPECT_EQ(Names("brandnew "), std::vector<std::string>{"brandnew"});
  EXPECT_EQ(Names("old "), std::vector<std::string>{});
  ASSERT_TRUE(store_->DeleteSpace(s.id).ok());
  EXPECT_EQ(Names("thing "), std::vector<std::string>{});
  EXPECT_EQ(directory_store_->CountDocuments().value(), 0);
}

TEST_F(DirectoryTest, ReindexingReplacesTheWords) {
  store::Space s = Add("alice", "app", R"({"title":"Alpha"})", "");
  s.card_json = R"({"title":"Beta"})";
  ASSERT_TRUE(directory_->IndexSpace(s, "").ok());
  EXPECT_EQ(Names("alpha "), std::vector<std::string>{});
  EXPECT_EQ(Names("beta "), std::vector<std::string>{"app"});
  EXPECT_EQ(directory_store_->CountDocuments().value(), 1);
}

TEST_F(DirectoryTest, LikesMoveADocumentUpTheIndex) {
  store::Space s = Add("alice", "app", "{}", "");
  int64_t before = directory_store_->DocidOf(s.id).value();
  EXPECT_EQ(store::BucketOfDocid(before), 0);
  ASSERT_TRUE(directory_->Refresh(s.id, 100).ok());
  int64_t after = directory_store_->DocidOf(s.id).value();
  EXPECT_GT(store::BucketOfDocid(after), 0);
  EXPECT_EQ(store::SpaceOfDocid(after), s.id);
  EXPECT_EQ(Names("app "), std::vector<std::string>{"app"});  // still found under its new docid
}

TEST_F(DirectoryTest, HiddenAbandonedAndDuplicates) {
  store::Space original = Add("alice", "original", R"({"title":"Sketch to image"})", "");
  store::Space copy = Add("alice", "copy", R"({"title":"Sketch to image"})", "");
  store::Space old = Add("alice", "old", R"({"title":"Sketch to image"})", "");
  store::Space gone = Add("alice", "gone", R"({"title":"Sketch to image"})", "");
  ASSERT_TRUE(directory_store_->SetSignals(copy.id, {.duplicate_of = original.id}).ok());
  ASSERT_TRUE(directory_store_->SetSignals(old.id, {.abandoned = true}).ok());
  ASSERT_TRUE(directory_store_->SetSignals(gone.id, {.hidden = true}).ok());
  Result<SearchPage> page = directory_->Search({.search = "sketch "});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->space_ids, std::vector<int64_t>{original.id});
  EXPECT_EQ(page->similar.at(original.id), 1);
  page = directory_->Search({.search = "sketch ", .include_abandoned = true, .include_duplicates = true});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->space_ids.size(), 3u);  // hidden stays hidden
}

TEST_F(DirectoryTest, WalksDeeperForSelectiveFiltersAndEstimatesBeyondTheCap) {
  std::vector<store::DirectoryEntry> docs;
  for (int i = 0; i < 1200; ++i) {
    store::Space s;
    s.owner = "alice";
    s.name = "bulk-" + std::to_string(i);
    s.sdk = i == 7 ? "docker" : "gradio";  // the oldest docker Space is deep in the index
    s.stage = "RUNNING";
    auto created = store_->CreateSpace(s, kT0 + i);
    ASSERT_TRUE(created.ok());
    docs.push_back({.space_id = created->id, .text = {.owner = "alice", .name = s.name, .readme = "common words here"}});
  }
  ASSERT_TRUE(directory_store_->IndexMany(docs).ok());
  Result<SearchPage> page = directory_->Search({.search = "common ", .sdks = {"docker"}});
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page->space_ids.size(), 1u);
  EXPECT_TRUE(page->exact);  // the walk reached the end of the matches
  page = directory_->Search({.search = "common ", .limit = 10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->space_ids.size(), 10u);
  EXPECT_FALSE(page->exact);  // one step filled the page
  EXPECT_EQ(page->total, kFirstStep);  // not counted: what the first step read
  page = directory_->Search({.search = "common ", .limit = 10, .count = true});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 1200);  // estimated from the full count: every match was kept
}

TEST_F(DirectoryTest, RefusesBadParameters) {
  EXPECT_EQ(directory_->Search({.search = ""}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(directory_->Search({.search = "x", .sort = "random"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(directory_->Search({.search = "x", .limit = 0}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spaceport::directory
