#include "runtime/sleep_policy.h"

#include <gtest/gtest.h>

namespace spaceport::runtime {
namespace {

constexpr Millis kMinute{60000};

SleepSettings Settings(bool freeze, Millis freeze_after, int64_t sleep_seconds) {
  SleepSettings s;
  s.freeze = freeze;
  s.freeze_after = freeze_after;
  s.sleep_time_seconds = sleep_seconds;
  return s;
}

TEST(SleepPolicyTest, RunningFreezesAfterFreezeAfterThenStopsAfterSleepTime) {
  SleepSettings s = Settings(true, kMinute, 600);
  SleepDecision d = NextSleepStep(Rung::kRunning, s, false, Millis(20000));
  EXPECT_EQ(d.step, SleepStep::kStay);
  EXPECT_EQ(d.recheck_in, Millis(40000));
  EXPECT_EQ(NextSleepStep(Rung::kRunning, s, false, kMinute).step, SleepStep::kFreeze);
  d = NextSleepStep(Rung::kFrozen, s, false, kMinute);
  EXPECT_EQ(d.step, SleepStep::kStay);
  EXPECT_EQ(d.recheck_in, Millis(540000));
  EXPECT_EQ(NextSleepStep(Rung::kFrozen, s, false, Millis(600000)).step, SleepStep::kStop);
}

TEST(SleepPolicyTest, ASleepTimeShorterThanFreezeAfterStopsDirectly) {
  SleepSettings s = Settings(true, kMinute, 30);
  EXPECT_EQ(NextSleepStep(Rung::kRunning, s, false, Millis(10000)).recheck_in, Millis(20000));
  EXPECT_EQ(NextSleepStep(Rung::kRunning, s, false, Millis(30000)).step, SleepStep::kStop);
}

TEST(SleepPolicyTest, WithoutFreezeRunningGoesStraightToStopped) {
  SleepSettings s = Settings(false, kMinute, 600);
  SleepDecision d = NextSleepStep(Rung::kRunning, s, false, Millis(120000));
  EXPECT_EQ(d.step, SleepStep::kStay);
  EXPECT_EQ(d.recheck_in, Millis(480000));
  EXPECT_EQ(NextSleepStep(Rung::kRunning, s, false, Millis(600000)).step, SleepStep::kStop);
}

TEST(SleepPolicyTest, SleepTimeMinusOneOrZeroNeverStops) {
  for (int64_t never : {-1, 0}) {
    SleepSettings s = Settings(true, kMinute, never);
    EXPECT_EQ(NextSleepStep(Rung::kRunning, s, false, kMinute).step, SleepStep::kFreeze);
    SleepDecision d = NextSleepStep(Rung::kFrozen, s, false, Millis(365LL * 24 * 3600 * 1000));
    EXPECT_EQ(d.step, SleepStep::kStay);
    EXPECT_EQ(d.recheck_in, Millis::max());
    EXPECT_EQ(NextSleepStep(Rung::kRunning, Settings(false, kMinute, never), false, kMinute * 10000).recheck_in,
              Millis::max());
  }
}

TEST(SleepPolicyTest, ARequestInFlightIsNeverIdle) {
  SleepSettings s = Settings(true, kMinute, 600);
  SleepDecision d = NextSleepStep(Rung::kRunning, s, true, Millis(3600000));
  EXPECT_EQ(d.step, SleepStep::kStay);
  EXPECT_EQ(d.recheck_in, kMinute);
}

TEST(SleepPolicyTest, TransitionsAndSleepingRungsStay) {
  SleepSettings s = Settings(true, kMinute, 600);
  for (Rung r : {Rung::kFreezing, Rung::kStopping, Rung::kStopped, Rung::kCheckpointed}) {
    SleepDecision d = NextSleepStep(r, s, false, Millis(3600000));
    EXPECT_EQ(d.step, SleepStep::kStay);
    EXPECT_EQ(d.recheck_in, Millis::max());
  }
}

TEST(SleepPolicyTest, EvictionsAreLeastRecentlyUsedFirstAndSpareTheNewest) {
  SteadyTime t0{};
  std::vector<MemoryCandidate> c = {
      {"a/newest", 100, t0 + Millis(300), true},
      {"a/oldest", 100, t0 + Millis(100), true},
      {"a/busy", 100, t0 + Millis(50), false},
      {"a/middle", 100, t0 + Millis(200), true},
  };
  EXPECT_TRUE(SelectEvictions(c, 400).empty());
  EXPECT_EQ(SelectEvictions(c, 300), std::vector<std::string>{"a/oldest"});
  EXPECT_EQ(SelectEvictions(c, 150), (std::vector<std::string>{"a/oldest", "a/middle"}));
  EXPECT_EQ(SelectEvictions(c, 0), (std::vector<std::string>{"a/oldest", "a/middle"}));
}

TEST(SpaceActivityTest, ARequestBeforeTheRecheckAbortsTheSleep) {
  SpaceActivity a;
  uint64_t seen = a.requests();
  a.BeginRequest(SteadyTime{});
  EXPECT_FALSE(a.BeginSleep(Rung::kFreezing, Rung::kRunning, seen));
  EXPECT_EQ(a.rung(), Rung::kRunning);
  EXPECT_FALSE(a.NeedsWake());
}

TEST(SpaceActivityTest, ARequestThatCameAndWentBeforeTheRecheckAbortsTheSleep) {
  SpaceActivity a;
  uint64_t seen = a.requests();
  a.BeginRequest(SteadyTime{});
  a.EndRequest(SteadyTime{});
  EXPECT_FALSE(a.BeginSleep(Rung::kStopping, Rung::kFrozen, seen));
  EXPECT_EQ(a.rung(), Rung::kFrozen);
}

TEST(SpaceActivityTest, ARequestAfterThePublishSeesTheAppGoingDown) {
  SpaceActivity a;
  ASSERT_TRUE(a.BeginSleep(Rung::kFreezing, Rung::kRunning, a.requests()));
  a.BeginRequest(SteadyTime{});
  EXPECT_TRUE(a.NeedsWake());
  EXPECT_EQ(RungName(a.rung()), "running");
  a.SetRung(Rung::kFrozen);
  EXPECT_EQ(RungName(a.rung()), "frozen");
}

}  // namespace
}  // namespace spaceport::runtime
