// Conformance for OAuth consent grants: every backend passes.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::kT0;

class OAuthGrantConformanceTest : public testing::ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    alice_ = MakeUser("alice");
    bob_ = MakeUser("bob");
    app_ = MakeSpace("alice", "app");
    other_ = MakeSpace("alice", "other");
  }

  User alice_, bob_;
  Space app_, other_;
};

TEST_P(OAuthGrantConformanceTest, GrantsAreKeptPerUserAndSpaceAndReplacedOnSave) {
  EXPECT_EQ(store_->GetOAuthGrant(bob_.id, app_.id).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, app_.id, "openid profile", kT0 + 1).ok());
  auto g = store_->GetOAuthGrant(bob_.id, app_.id);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->scopes, "openid profile");
  EXPECT_EQ(g->granted_at, kT0 + 1);
  EXPECT_EQ(store_->GetOAuthGrant(alice_.id, app_.id).status().code(), StatusCode::kNotFound) << "per user";
  EXPECT_EQ(store_->GetOAuthGrant(bob_.id, other_.id).status().code(), StatusCode::kNotFound) << "per Space";

  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, app_.id, "openid profile read-repos", kT0 + 2).ok());
  EXPECT_EQ(store_->GetOAuthGrant(bob_.id, app_.id)->scopes, "openid profile read-repos");
  EXPECT_EQ(store_->GetOAuthGrant(bob_.id, app_.id)->granted_at, kT0 + 2);

  EXPECT_EQ(store_->SaveOAuthGrant(bob_.id, 424242, "openid", kT0).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SaveOAuthGrant(424242, app_.id, "openid", kT0).code(), StatusCode::kNotFound);
}

TEST_P(OAuthGrantConformanceTest, ListShowsTheSpacesNewestFirstAndRevokeRemovesOne) {
  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, app_.id, "openid", kT0 + 1).ok());
  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, other_.id, "profile", kT0 + 2).ok());
  ASSERT_TRUE(store_->SaveOAuthGrant(alice_.id, app_.id, "openid", kT0 + 3).ok());
  auto list = store_->ListOAuthGrants(bob_.id);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].space.full_id(), "alice/other");
  EXPECT_EQ((*list)[0].space_id, other_.id);
  EXPECT_EQ((*list)[0].scopes, "profile");
  EXPECT_EQ((*list)[1].space.full_id(), "alice/app");
  EXPECT_EQ((*list)[1].granted_at, kT0 + 1);

  ASSERT_TRUE(store_->RevokeOAuthGrant(bob_.id, other_.id).ok());
  EXPECT_EQ(store_->RevokeOAuthGrant(bob_.id, other_.id).code(), StatusCode::kNotFound);
  ASSERT_EQ(store_->ListOAuthGrants(bob_.id)->size(), 1u);
  EXPECT_TRUE(store_->GetOAuthGrant(alice_.id, app_.id).ok()) << "another user's grant stays";
}

TEST_P(OAuthGrantConformanceTest, GrantsGoWithTheSpaceOrUserAndAreDroppedOnRename) {
  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, app_.id, "openid", kT0).ok());
  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, other_.id, "openid", kT0).ok());
  ASSERT_TRUE(store_->SaveOAuthGrant(alice_.id, other_.id, "openid", kT0).ok());

  ASSERT_TRUE(store_->RenameSpace(app_.id, "alice", "renamed", "alice-renamed").ok());
  EXPECT_EQ(store_->GetOAuthGrant(bob_.id, app_.id).status().code(), StatusCode::kNotFound)
      << "a moved Space has a new OAuth client: consent is asked again";
  EXPECT_TRUE(store_->GetOAuthGrant(bob_.id, other_.id).ok());

  ASSERT_TRUE(store_->DeleteSpace(other_.id).ok());
  EXPECT_TRUE(store_->ListOAuthGrants(bob_.id)->empty());
  EXPECT_TRUE(store_->ListOAuthGrants(alice_.id)->empty());

  // A Space re-created under the same name starts without grants.
  Space again = MakeSpace("alice", "other");
  EXPECT_EQ(store_->GetOAuthGrant(bob_.id, again.id).status().code(), StatusCode::kNotFound);
}

TEST_P(OAuthGrantConformanceTest, GrantsSurviveAReopen) {
  if (!backend_->persistent()) GTEST_SKIP() << "in-memory backend";
  ASSERT_TRUE(store_->SaveOAuthGrant(bob_.id, app_.id, "openid profile", kT0).ok());
  store_.reset();
  auto reopened = backend_->Open(std::string(32, 'a'));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->GetOAuthGrant(bob_.id, app_.id)->scopes, "openid profile");
}

INSTANTIATE_TEST_SUITE_P(Backends, OAuthGrantConformanceTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
