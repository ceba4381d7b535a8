// Store conformance, accounts area: passwords, sessions, organizations,
// members and Space visibility. Every backend must pass every test here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::kT0;

class AccountsConformanceTest : public testing::ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    alice_ = MakeUser("alice");
    bob_ = MakeUser("bob");
  }

  std::vector<std::string> ListedFor(int64_t viewer) {
    SpaceQuery q;
    q.include_private_of_user = viewer != 0;
    q.viewer_user_id = viewer;
    q.descending = false;
    auto spaces = store_->ListSpaces(q);
    EXPECT_TRUE(spaces.ok()) << spaces.status().ToString();
    std::vector<std::string> ids;
    if (spaces.ok()) {
      for (const Space& s : *spaces) ids.push_back(s.full_id());
    }
    return ids;
  }

  Session MakeSession(const std::string& hash, int64_t user_id, int64_t expires_at) {
    return Session{hash, user_id, "csrf-" + hash, kT0, expires_at, kT0};
  }

  User alice_;
  User bob_;
};

TEST_P(AccountsConformanceTest, PasswordHashIsStoredPerUser) {
  auto none = store_->GetPasswordHash(alice_.id);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, "");
  ASSERT_TRUE(store_->SetPasswordHash(alice_.id, "$argon2id$v=19$x").ok());
  EXPECT_EQ(store_->GetPasswordHash(alice_.id).value(), "$argon2id$v=19$x");
  EXPECT_EQ(store_->GetPasswordHash(bob_.id).value(), "");
  EXPECT_EQ(store_->SetPasswordHash(9999, "h").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetPasswordHash(9999).status().code(), StatusCode::kNotFound);
}

TEST_P(AccountsConformanceTest, SessionsAreFoundByHashUntilTheyExpire) {
  ASSERT_TRUE(store_->CreateSession(MakeSession("h1", alice_.id, kT0 + 1000)).ok());
  auto found = store_->GetSession("h1", kT0 + 999);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->first.csrf_secret, "csrf-h1");
  EXPECT_EQ(found->second.name, "alice");
  EXPECT_EQ(store_->GetSession("h1", kT0 + 1000).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession("h2", kT0).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->TouchSession("h1", kT0 + 500, kT0 + 5000).ok());
  found = store_->GetSession("h1", kT0 + 4000);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->first.last_seen_at, kT0 + 500);
  EXPECT_EQ(store_->TouchSession("nope", kT0, kT0).code(), StatusCode::kNotFound);
}

TEST_P(AccountsConformanceTest, SessionsCanBeRevokedOneByOneOrPerUser) {
  ASSERT_TRUE(store_->CreateSession(MakeSession("a1", alice_.id, kT0 + 1000)).ok());
  ASSERT_TRUE(store_->CreateSession(MakeSession("a2", alice_.id, kT0 + 1000)).ok());
  ASSERT_TRUE(store_->CreateSession(MakeSession("b1", bob_.id, kT0 + 1000)).ok());
  EXPECT_EQ(store_->CreateSession(MakeSession("a1", bob_.id, kT0)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateSession(MakeSession("x", 9999, kT0)).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateSession(Session{"", alice_.id, "c", kT0, kT0, kT0}).code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->DeleteSession("a1").ok());
  ASSERT_TRUE(store_->DeleteSession("a1").ok());  // idempotent
  EXPECT_FALSE(store_->GetSession("a1", kT0).ok());
  EXPECT_TRUE(store_->GetSession("a2", kT0).ok());
  ASSERT_TRUE(store_->DeleteUserSessions(alice_.id).ok());
  EXPECT_FALSE(store_->GetSession("a2", kT0).ok());
  EXPECT_TRUE(store_->GetSession("b1", kT0).ok());
}

TEST_P(AccountsConformanceTest, ExpiredSessionsAreSwept) {
  ASSERT_TRUE(store_->CreateSession(MakeSession("old", alice_.id, kT0 + 10)).ok());
  ASSERT_TRUE(store_->CreateSession(MakeSession("new", alice_.id, kT0 + 1000)).ok());
  EXPECT_EQ(store_->DeleteExpiredSessions(kT0 + 10).value(), 1);
  EXPECT_TRUE(store_->GetSession("new", kT0).ok());
}

TEST_P(AccountsConformanceTest, OrganizationsShareTheUserNamespace) {
  auto org = store_->CreateOrganization("acme", alice_.id, kT0);
  ASSERT_TRUE(org.ok()) << org.status().ToString();
  EXPECT_EQ(store_->CreateOrganization("ACME", bob_.id, kT0).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateOrganization("Bob", alice_.id, kT0).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateUser("Acme", false, kT0).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateOrganization("-bad", alice_.id, kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateOrganization("ghosts", 9999, kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetOrganizationByName("ghosts").status().code(), StatusCode::kNotFound);  // rolled back
  EXPECT_EQ(store_->GetOrganizationByName("ACME").value().id, org->id);
  EXPECT_EQ(store_->GetOrganizationByName("alice").status().code(), StatusCode::kNotFound);
}

TEST_P(AccountsConformanceTest, MembersHaveRolesAndAnOrgKeepsAnAdmin) {
  Organization org = store_->CreateOrganization("acme", alice_.id, kT0).value();
  EXPECT_EQ(store_->GetOrgRole("acme", alice_.id).value(), OrgRole::kAdmin);
  EXPECT_EQ(store_->GetOrgRole("acme", bob_.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetOrgRole("alice", alice_.id).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->SetOrgMember(org.id, bob_.id, OrgRole::kRead).ok());
  EXPECT_EQ(store_->GetOrgRole("ACME", bob_.id).value(), OrgRole::kRead);
  ASSERT_TRUE(store_->SetOrgMember(org.id, bob_.id, OrgRole::kWrite).ok());
  EXPECT_EQ(store_->GetOrgRole("acme", bob_.id).value(), OrgRole::kWrite);
  EXPECT_EQ(store_->SetOrgMember(org.id, 9999, OrgRole::kRead).code(), StatusCode::kNotFound);

  auto members = store_->ListOrgMembers(org.id).value();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].user.name, "alice");
  EXPECT_EQ(members[1].role, OrgRole::kWrite);
  auto memberships = store_->ListMemberships(bob_.id).value();
  ASSERT_EQ(memberships.size(), 1u);
  EXPECT_EQ(memberships[0].org.name, "acme");

  EXPECT_EQ(store_->SetOrgMember(org.id, alice_.id, OrgRole::kWrite).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->RemoveOrgMember(org.id, alice_.id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->SetOrgMember(org.id, bob_.id, OrgRole::kAdmin).ok());
  ASSERT_TRUE(store_->RemoveOrgMember(org.id, alice_.id).ok());
  EXPECT_EQ(store_->RemoveOrgMember(org.id, alice_.id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListMemberships(alice_.id).value().empty());
}

TEST_P(AccountsConformanceTest, VisibilityRoundTripsAndIsPrivateMirrorsIt) {
  Space pub = MakeSpace("alice", "pub", Visibility::kPublic);
  Space prot = MakeSpace("alice", "prot", Visibility::kProtected);
  Space priv = MakeSpace("alice", "priv", Visibility::kPrivate);
  EXPECT_EQ(store_->GetSpace("alice", "prot").value().visibility, Visibility::kProtected);
  EXPECT_FALSE(store_->GetSpace("alice", "prot").value().is_private);
  Space got = store_->GetSpace("alice", "priv").value();
  EXPECT_EQ(got.visibility, Visibility::kPrivate);
  EXPECT_TRUE(got.is_private);
  EXPECT_EQ(pub.visibility, Visibility::kPublic);

  // An older caller that only flips is_private still gets what it means.
  got.is_private = false;
  ASSERT_TRUE(store_->UpdateSpace(got).ok());
  EXPECT_EQ(store_->GetSpace("alice", "priv").value().visibility, Visibility::kPublic);
  prot.is_private = true;
  ASSERT_TRUE(store_->UpdateSpace(prot).ok());
  EXPECT_EQ(store_->GetSpace("alice", "prot").value().visibility, Visibility::kPrivate);
  prot.SetVisibility(Visibility::kProtected);
  ASSERT_TRUE(store_->UpdateSpace(prot).ok());
  EXPECT_EQ(store_->GetSpace("alice", "prot").value().effective_visibility(), Visibility::kProtected);
}

TEST_P(AccountsConformanceTest, PrivateSpacesAreListedToOwnersAndOrgMembersOnly) {
  User carol = MakeUser("carol");
  Organization org = store_->CreateOrganization("acme", alice_.id, kT0).value();
  ASSERT_TRUE(store_->SetOrgMember(org.id, bob_.id, OrgRole::kRead).ok());
  MakeSpace("acme", "secret", Visibility::kPrivate);
  MakeSpace("acme", "shown", Visibility::kProtected);
  MakeSpace("carol", "mine", Visibility::kPrivate);
  std::vector<std::string> members_view = {"acme/secret", "acme/shown"};
  EXPECT_EQ(ListedFor(alice_.id), members_view);
  EXPECT_EQ(ListedFor(bob_.id), members_view);
  EXPECT_EQ(ListedFor(carol.id), (std::vector<std::string>{"acme/shown", "carol/mine"}));
  EXPECT_EQ(ListedFor(0), (std::vector<std::string>{"acme/shown"}));

  SpaceQuery all;
  all.include_all_private = true;
  EXPECT_EQ(store_->CountSpaces(all).value(), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsConformanceTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
