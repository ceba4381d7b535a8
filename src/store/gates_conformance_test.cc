// Conformance for gated Spaces and access requests: every backend passes.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::kT0;

class GateConformanceTest : public testing::ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    owner_ = MakeUser("owner");
    visitor_ = MakeUser("visitor");
    space_ = MakeSpace("owner", "gated");
  }

  User owner_, visitor_;
  Space space_;
};

TEST_P(GateConformanceTest, GateModesAreStoredAndValidated) {
  EXPECT_EQ(*store_->GetGate(space_.id), "");
  ASSERT_TRUE(store_->SetGate(space_.id, "manual").ok());
  EXPECT_EQ(*store_->GetGate(space_.id), "manual");
  ASSERT_TRUE(store_->SetGate(space_.id, "auto").ok());
  EXPECT_EQ(*store_->GetGate(space_.id), "auto");
  EXPECT_EQ(store_->SetGate(space_.id, "sometimes").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->GetGate(space_.id), "auto");
  ASSERT_TRUE(store_->SetGate(space_.id, "").ok());
  EXPECT_EQ(*store_->GetGate(space_.id), "");
  EXPECT_EQ(store_->SetGate(99999, "auto").code(), StatusCode::kNotFound);
}

TEST_P(GateConformanceTest, OneRequestPerVisitorAndDecisionsMoveIt) {
  auto r =
      store_->RequestAccess(space_.id, visitor_.id, R"({"company":"ACME"})", AccessRequestStatus::kPending, kT0 + 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->user_name, "visitor");
  EXPECT_EQ(r->status, AccessRequestStatus::kPending);
  EXPECT_EQ(r->fields_json, R"({"company":"ACME"})");
  EXPECT_EQ(store_->RequestAccess(space_.id, visitor_.id, "{}", AccessRequestStatus::kPending, kT0 + 2).status().code(),
            StatusCode::kAlreadyExists);

  ASSERT_TRUE(store_->DecideAccess(space_.id, visitor_.id, AccessRequestStatus::kRejected, "no", kT0 + 3).ok());
  EXPECT_TRUE(store_->ListAccessRequests(space_.id, AccessRequestStatus::kPending)->empty());
  auto rejected = store_->ListAccessRequests(space_.id, AccessRequestStatus::kRejected);
  ASSERT_EQ(rejected->size(), 1u);
  EXPECT_EQ((*rejected)[0].rejection_reason, "no");
  EXPECT_EQ((*rejected)[0].fields_json, R"({"company":"ACME"})") << "answers kept";
  EXPECT_EQ((*rejected)[0].updated_at, kT0 + 3);
  // Asking again after a rejection is refused: the rejection stands.
  EXPECT_FALSE(store_->RequestAccess(space_.id, visitor_.id, "{}", AccessRequestStatus::kPending, kT0 + 4).ok());

  // The owner may grant someone who never asked.
  User third = *store_->CreateUser("third", false, kT0);
  ASSERT_TRUE(store_->DecideAccess(space_.id, third.id, AccessRequestStatus::kAccepted, "", kT0 + 5).ok());
  auto accepted = store_->ListAccessRequests(space_.id, AccessRequestStatus::kAccepted);
  ASSERT_EQ(accepted->size(), 1u);
  EXPECT_EQ((*accepted)[0].user_name, "third");
  EXPECT_EQ(store_->DecideAccess(space_.id, 424242, AccessRequestStatus::kAccepted, "", kT0).code(),
            StatusCode::kNotFound);
}

TEST_P(GateConformanceTest, OneVisitorsRequestIsReadBack) {
  EXPECT_EQ(store_->GetAccessRequest(space_.id, visitor_.id).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(
      store_->RequestAccess(space_.id, visitor_.id, R"({"a":"b"})", AccessRequestStatus::kPending, kT0 + 1).ok());
  ASSERT_TRUE(store_->DecideAccess(space_.id, visitor_.id, AccessRequestStatus::kRejected, "why", kT0 + 2).ok());
  auto r = store_->GetAccessRequest(space_.id, visitor_.id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->user_name, "visitor");
  EXPECT_EQ(r->status, AccessRequestStatus::kRejected);
  EXPECT_EQ(r->rejection_reason, "why");
  EXPECT_EQ(r->fields_json, R"({"a":"b"})");
  EXPECT_EQ(r->created_at, kT0 + 1);
  EXPECT_EQ(store_->GetAccessRequest(space_.id, owner_.id).status().code(), StatusCode::kNotFound);
}

TEST_P(GateConformanceTest, RequestsGoWithTheSpace) {
  ASSERT_TRUE(store_->SetGate(space_.id, "manual").ok());
  ASSERT_TRUE(store_->RequestAccess(space_.id, visitor_.id, "{}", AccessRequestStatus::kPending, kT0).ok());
  ASSERT_TRUE(store_->DeleteSpace(space_.id).ok());
  EXPECT_TRUE(store_->ListAccessRequests(space_.id, AccessRequestStatus::kPending)->empty());
  EXPECT_EQ(*store_->GetGate(space_.id), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, GateConformanceTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
