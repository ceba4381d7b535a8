// The collections area of the store (store/collection_store.h) on every
// backend that shares one database between areas: titles unique per owner,
// positions among an owner's collections and among a collection's items,
// private ones listed only to those allowed, items following their Space's
// deletion, and the item limit.
#include <gtest/gtest.h>

#include "store/collection_store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::ConformanceTest;
using testing::kT0;

class CollectionConformanceTest : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    auto collections = backend_->OpenCollections();
    ASSERT_TRUE(collections.ok()) << collections.status().ToString();
    collections_ = std::move(*collections);
  }

  Collection Make(const std::string& owner, const std::string& title, bool is_private = false, int64_t at = kT0) {
    Collection c;
    c.key = std::to_string(++keys_);
    c.owner = owner;
    c.title = title;
    c.is_private = is_private;
    c.created_at = c.updated_at = at;
    auto made = collections_->CreateCollection(c);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : Collection{};
  }
  std::vector<std::string> Titles(const CollectionQuery& q) {
    std::vector<std::string> out;
    const std::vector<Collection> listed = collections_->ListCollections(q).value();
    for (const Collection& c : listed) out.push_back(c.title);
    return out;
  }
  std::vector<int64_t> Spaces(int64_t collection_id) {
    std::vector<int64_t> out;
    const std::vector<CollectionItem> listed = collections_->ListItems(collection_id, 100).value();
    for (const CollectionItem& i : listed) out.push_back(i.space_id);
    return out;
  }

  std::unique_ptr<CollectionStore> collections_;
  int keys_ = 0;
};

TEST_P(CollectionConformanceTest, TitlesAreUniquePerOwnerAndCollectionsKeepTheirPlaces) {
  Collection a = Make("alice", "Speech");
  Collection b = Make("alice", "Vision", false, kT0 + 1);
  Collection c = Make("alice", "Audio", false, kT0 + 2);
  EXPECT_EQ(a.position, 0);
  EXPECT_EQ(b.position, 1);
  EXPECT_EQ(c.position, 2);
  EXPECT_EQ(Make("bob", "Speech").position, 0);  // another owner: free
  Collection twice{.key = "x", .owner = "ALICE", .title = "speech", .created_at = kT0, .updated_at = kT0};
  EXPECT_EQ(collections_->CreateCollection(twice).status().code(), StatusCode::kAlreadyExists);

  Collection moved = c;
  moved.position = 0;
  moved.description = "Sounds";
  moved.updated_at = kT0 + 5;
  auto updated = collections_->UpdateCollection(moved);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->description, "Sounds");
  EXPECT_EQ(collections_->GetCollection(a.key)->position, 1);
  EXPECT_EQ(collections_->GetCollection(b.key)->position, 2);
  Collection renamed = *updated;
  renamed.title = "Vision";
  EXPECT_EQ(collections_->UpdateCollection(renamed).status().code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(collections_->DeleteCollection(c.id).ok());
  EXPECT_EQ(collections_->GetCollection(c.key).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->GetCollection(a.key)->position, 0);
  EXPECT_EQ(collections_->GetCollection(b.key)->position, 1);
  EXPECT_EQ(collections_->DeleteCollection(c.id).code(), StatusCode::kNotFound);
}

TEST_P(CollectionConformanceTest, ListsNewestChangeFirstAndPrivateOnesOnlyToThoseAllowed) {
  Collection described = Make("carol", "Misc", false, kT0 - 1);
  described.description = "Speech and more";
  ASSERT_TRUE(collections_->UpdateCollection(described).ok());
  Make("alice", "Public speech", false, kT0);
  Make("alice", "Secret speech", true, kT0 + 1);
  Make("bob", "Bob's picks", false, kT0 + 2);
  EXPECT_EQ(Titles({}), (std::vector<std::string>{"Bob's picks", "Public speech", "Misc"}));
  EXPECT_EQ(Titles({.private_of = {"Alice"}}),
            (std::vector<std::string>{"Bob's picks", "Secret speech", "Public speech", "Misc"}));
  EXPECT_EQ(Titles({.owners = {"alice"}}), (std::vector<std::string>{"Public speech"}));
  EXPECT_EQ(Titles({.owners = {"ALICE", "bob"}}), (std::vector<std::string>{"Bob's picks", "Public speech"}));
  EXPECT_EQ(Titles({.text = "SPEECH", .private_of = {"alice"}}),
            (std::vector<std::string>{"Secret speech", "Public speech", "Misc"}));  // Misc by its description
  EXPECT_EQ(Titles({.limit = 1, .offset = 1}), (std::vector<std::string>{"Public speech"}));
}

TEST_P(CollectionConformanceTest, ItemsKeepTheirOrderAndNotesAndFollowTheirSpaces) {
  Collection c = Make("alice", "Picks");
  Space s1 = MakeSpace("alice", "one"), s2 = MakeSpace("bob", "two"), s3 = MakeSpace("carol", "three");
  auto first = collections_->AddItem(c.id, "i1", s1.id, "the best", kT0 + 10);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->position, 0);
  EXPECT_EQ(first->note, "the best");
  ASSERT_TRUE(collections_->AddItem(c.id, "i2", s2.id, "", kT0 + 11).ok());
  ASSERT_TRUE(collections_->AddItem(c.id, "i3", s3.id, "", kT0 + 12).ok());
  EXPECT_EQ(collections_->AddItem(c.id, "i4", s1.id, "", kT0).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(collections_->AddItem(c.id, "i5", 9999, "", kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->AddItem(9999, "i6", s1.id, "", kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->GetCollection(c.key)->items, 3);
  EXPECT_EQ(collections_->GetCollection(c.key)->updated_at, kT0 + 12);
  EXPECT_EQ(Spaces(c.id), (std::vector<int64_t>{s1.id, s2.id, s3.id}));

  auto moved = collections_->UpdateItem(c.id, "i3", std::string("newest"), 0, kT0 + 20);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->position, 0);
  EXPECT_EQ(moved->note, "newest");
  EXPECT_EQ(Spaces(c.id), (std::vector<int64_t>{s3.id, s1.id, s2.id}));
  ASSERT_TRUE(collections_->UpdateItem(c.id, "i3", std::nullopt, 99, kT0 + 21).ok());  // clamped to the end
  EXPECT_EQ(Spaces(c.id), (std::vector<int64_t>{s1.id, s2.id, s3.id}));
  EXPECT_EQ(collections_->ListItems(c.id, 100)->back().note, "newest");  // kept when only the place changes
  EXPECT_EQ(collections_->UpdateItem(c.id, "nope", std::nullopt, 0, kT0).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(collections_->DeleteItem(c.id, "i1", kT0 + 30).ok());
  EXPECT_EQ(Spaces(c.id), (std::vector<int64_t>{s2.id, s3.id}));
  EXPECT_EQ(collections_->ListItems(c.id, 100)->front().position, 0);
  EXPECT_EQ(collections_->DeleteItem(c.id, "i1", kT0).code(), StatusCode::kNotFound);

  // A deleted Space leaves every collection; the collection lists those holding a Space.
  EXPECT_EQ(Titles({.space_ids = {s2.id}}), (std::vector<std::string>{"Picks"}));
  EXPECT_EQ(Titles({.space_ids = {9999, s3.id}}), (std::vector<std::string>{"Picks"}));
  ASSERT_TRUE(store_->DeleteSpace(s2.id).ok());
  EXPECT_EQ(Spaces(c.id), (std::vector<int64_t>{s3.id}));
  EXPECT_TRUE(Titles({.space_ids = {s2.id}}).empty());
  // Deleting the collection takes its items.
  ASSERT_TRUE(collections_->DeleteCollection(c.id).ok());
  EXPECT_TRUE(collections_->ListItems(c.id, 100)->empty());
}

TEST_P(CollectionConformanceTest, ACollectionHoldsAtMostAThousandItems) {
  Collection c = Make("alice", "Everything");
  for (int64_t i = 0; i < kMaxCollectionItems; ++i) {
    Space s = MakeSpace("alice", "s" + std::to_string(i));
    ASSERT_TRUE(collections_->AddItem(c.id, "k" + std::to_string(i), s.id, "", kT0).ok()) << i;
  }
  Space extra = MakeSpace("alice", "extra");
  EXPECT_EQ(collections_->AddItem(c.id, "last", extra.id, "", kT0).status().code(), StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(Backends, CollectionConformanceTest, ::testing::ValuesIn(testing::SharedDatabaseBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
