// The moderation area of the store (store/moderation_store.h) on every
// backend that shares one database between areas: reports (one open report
// per reporter and Space, throttle counts, distinct established reporters,
// resolving), disabled Spaces and suspended users as the other areas read
// them, and the audit log.
#include <gtest/gtest.h>

#include "store/moderation_store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::ConformanceTest;
using testing::kT0;

class ModerationConformanceTest : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    auto moderation = backend_->OpenModeration();
    ASSERT_TRUE(moderation.ok()) << moderation.status().ToString();
    moderation_ = std::move(*moderation);
  }
  std::unique_ptr<ModerationStore> moderation_;
};

TEST_P(ModerationConformanceTest, ReportsAreOnePerReporterUntilResolved) {
  Space a = MakeSpace("alice", "a");
  User bob = MakeUser("bob"), carol = MakeUser("carol");
  auto r = moderation_->AddReport(a.id, bob.id, "spam", "ads everywhere", kT0 + 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->space, "alice/a");
  EXPECT_EQ(r->reporter, "bob");
  EXPECT_EQ(r->reason, "spam");
  EXPECT_EQ(r->status, "open");
  EXPECT_EQ(moderation_->AddReport(a.id, bob.id, "spam", "again", kT0 + 11).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(moderation_->AddReport(a.id, carol.id, "not-working", "", kT0 + 12).ok());
  EXPECT_EQ(moderation_->AddReport(999, bob.id, "spam", "", kT0).status().code(), StatusCode::kNotFound);

  EXPECT_EQ(moderation_->CountReportsBy(bob.id, kT0).value(), 1);
  EXPECT_EQ(moderation_->CountReportsBy(bob.id, kT0 + 11).value(), 0);
  EXPECT_EQ(moderation_->CountReporters(a.id, kT0 + 1).value(), 2);  // both accounts made at kT0
  EXPECT_EQ(moderation_->CountReporters(a.id, kT0).value(), 0);      // none made before kT0

  auto open = moderation_->ListReports("open", 0, 10).value();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].reporter, "carol");  // newest first
  EXPECT_EQ(moderation_->ListReports("open", open[0].id, 10).value().size(), 1u);
  EXPECT_EQ(moderation_->ResolveReports(a.id, "dismissed", "dismiss", kT0 + 20).value(), 2);
  EXPECT_TRUE(moderation_->ListReports("open", 0, 10).value().empty());
  SpaceReport done = moderation_->GetReport(r->id).value();
  EXPECT_EQ(done.status, "dismissed");
  EXPECT_EQ(done.resolved_at, kT0 + 20);
  EXPECT_EQ(moderation_->ListReports("", 0, 10).value().size(), 2u);
  EXPECT_EQ(moderation_->CountReporters(a.id, kT0 + 1).value(), 0);  // resolved reports no longer count
  // Resolved: bob may report again.
  EXPECT_TRUE(moderation_->AddReport(a.id, bob.id, "spam", "still", kT0 + 30).ok());
  EXPECT_EQ(moderation_->ResolveReports(a.id, "closed", "", kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(moderation_->GetReport(12345).status().code(), StatusCode::kNotFound);
}

TEST_P(ModerationConformanceTest, DisabledAndSuspendedAreWhatTheOtherAreasRead) {
  Space a = MakeSpace("alice", "a");
  User bob = MakeUser("bob");
  ASSERT_TRUE(moderation_->SetDisabled(a.id, "Removed for spam.").ok());
  EXPECT_EQ(store_->GetSpaceById(a.id)->disabled, "Removed for spam.");
  // Updating the Space elsewhere keeps the notice.
  Space s = store_->GetSpaceById(a.id).value();
  s.stage = "RUNNING";
  ASSERT_TRUE(store_->UpdateSpace(s).ok());
  EXPECT_EQ(store_->GetSpaceById(a.id)->disabled, "Removed for spam.");
  ASSERT_TRUE(moderation_->SetDisabled(a.id, "").ok());
  EXPECT_EQ(store_->GetSpaceById(a.id)->disabled, "");
  ASSERT_TRUE(moderation_->SetSuspended(bob.id, true).ok());
  EXPECT_TRUE(store_->GetUserByName("bob")->suspended);
  EXPECT_TRUE(store_->GetUser(bob.id)->suspended);
  ASSERT_TRUE(moderation_->SetSuspended(bob.id, false).ok());
  EXPECT_FALSE(store_->GetUserByName("bob")->suspended);
  EXPECT_EQ(moderation_->SetDisabled(999, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(moderation_->SetSuspended(999, true).code(), StatusCode::kNotFound);
}

TEST_P(ModerationConformanceTest, TheAuditLogKeepsEveryActionNewestFirst) {
  ASSERT_TRUE(moderation_->Log({0, kT0, "root", "disable", "alice/a", "", 7, "spam"}).ok());
  auto second = moderation_->Log({0, kT0 + 1, "root", "suspend", "", "bob", 0, "bots"});
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->id, 0);
  auto log = moderation_->ListLog(0, 10).value();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].action, "suspend");
  EXPECT_EQ(log[0].user, "bob");
  EXPECT_EQ(log[1].space, "alice/a");
  EXPECT_EQ(log[1].report_id, 7);
  EXPECT_EQ(log[1].note, "spam");
  EXPECT_EQ(moderation_->ListLog(log[0].id, 10).value().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ModerationConformanceTest, ::testing::ValuesIn(testing::SharedDatabaseBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

}  // namespace
}  // namespace spaceport::store
