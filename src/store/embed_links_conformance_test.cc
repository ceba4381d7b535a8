// Conformance for embed links: every backend passes.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::kT0;

class EmbedLinkConformanceTest : public testing::ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    owner_ = MakeUser("owner");
    space_ = MakeSpace("owner", "demo");
  }

  EmbedLink Link(const std::string& id, int64_t space_id, int64_t created_at) {
    return {.id = id,
            .space_id = space_id,
            .name = "blog " + id,
            .created_by = owner_.id,
            .secret_hash = "hash-" + id,
            .created_at = created_at,
            .expires_at = created_at + 3600'000};
  }

  User owner_;
  Space space_;
};

TEST_P(EmbedLinkConformanceTest, CreatedLinksAreListedNewestFirstWithEveryField) {
  auto first = store_->CreateEmbedLink(Link("el_1", space_.id, kT0));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->id, "el_1");
  EXPECT_FALSE(first->revoked);
  ASSERT_TRUE(store_->CreateEmbedLink(Link("el_2", space_.id, kT0 + 5)).ok());
  Space other = MakeSpace("owner", "other");
  ASSERT_TRUE(store_->CreateEmbedLink(Link("el_3", other.id, kT0 + 9)).ok());

  auto list = store_->ListEmbedLinks(space_.id);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u) << "only this Space's links";
  EXPECT_EQ((*list)[0].id, "el_2");
  const EmbedLink& l = (*list)[1];
  EXPECT_EQ(l.id, "el_1");
  EXPECT_EQ(l.space_id, space_.id);
  EXPECT_EQ(l.name, "blog el_1");
  EXPECT_EQ(l.created_by, owner_.id);
  EXPECT_EQ(l.secret_hash, "hash-el_1");
  EXPECT_EQ(l.created_at, kT0);
  EXPECT_EQ(l.expires_at, kT0 + 3600'000);
  EXPECT_FALSE(l.revoked);
}

TEST_P(EmbedLinkConformanceTest, BadLinksAreRefusedAndNothingIsStored) {
  ASSERT_TRUE(store_->CreateEmbedLink(Link("el_1", space_.id, kT0)).ok());
  EXPECT_EQ(store_->CreateEmbedLink(Link("el_1", space_.id, kT0 + 1)).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateEmbedLink(Link("el_x", 424242, kT0)).status().code(), StatusCode::kNotFound);
  EmbedLink stranger = Link("el_y", space_.id, kT0);
  stranger.created_by = 424242;
  EXPECT_EQ(store_->CreateEmbedLink(stranger).status().code(), StatusCode::kNotFound);
  EmbedLink no_hash = Link("el_z", space_.id, kT0);
  no_hash.secret_hash = "";
  EXPECT_EQ(store_->CreateEmbedLink(no_hash).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateEmbedLink(Link("", space_.id, kT0)).status().code(), StatusCode::kInvalidArgument);
  auto list = store_->ListEmbedLinks(space_.id);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].created_at, kT0) << "the first link is untouched";
}

TEST_P(EmbedLinkConformanceTest, RevokingKeepsTheRowAndOnlyWorksOnTheSpacesOwnLinks) {
  ASSERT_TRUE(store_->CreateEmbedLink(Link("el_1", space_.id, kT0)).ok());
  ASSERT_TRUE(store_->CreateEmbedLink(Link("el_2", space_.id, kT0 + 1)).ok());
  Space other = MakeSpace("owner", "other");
  EXPECT_EQ(store_->RevokeEmbedLink(other.id, "el_1").code(), StatusCode::kNotFound) << "another Space's link";
  EXPECT_EQ(store_->RevokeEmbedLink(space_.id, "el_nope").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->RevokeEmbedLink(space_.id, "el_1").ok());
  EXPECT_TRUE(store_->RevokeEmbedLink(space_.id, "el_1").ok()) << "revoking twice is fine";
  auto list = store_->ListEmbedLinks(space_.id);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_FALSE((*list)[0].revoked) << (*list)[0].id;
  EXPECT_TRUE((*list)[1].revoked) << (*list)[1].id;
}

TEST_P(EmbedLinkConformanceTest, LinksStayWithAMovedSpaceAndGoWithADeletedOne) {
  ASSERT_TRUE(store_->CreateEmbedLink(Link("el_1", space_.id, kT0)).ok());
  ASSERT_TRUE(store_->RenameSpace(space_.id, "owner", "renamed", "owner-renamed").ok());
  ASSERT_EQ(store_->ListEmbedLinks(space_.id)->size(), 1u);
  ASSERT_TRUE(store_->DeleteSpace(space_.id).ok());
  EXPECT_TRUE(store_->ListEmbedLinks(space_.id)->empty());
  // The id is free again once its Space is gone.
  Space again = MakeSpace("owner", "again");
  EXPECT_TRUE(store_->CreateEmbedLink(Link("el_1", again.id, kT0)).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, EmbedLinkConformanceTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
