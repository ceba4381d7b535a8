#include "runtime/scheduler.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/testing/test_util.h"

namespace spaceport::runtime {
namespace {

TEST(ManualSchedulerTest, RunsTasksInDueOrderOnlyWhenTheClockReachesThem) {
  FakeClock clock;
  ManualScheduler sched(&clock);
  std::vector<int> ran;
  sched.RunAfter(Millis(2000), [&] { ran.push_back(2); });
  sched.RunAfter(Millis(1000), [&] { ran.push_back(1); });
  TaskId cancelled = sched.RunAfter(Millis(1500), [&] { ran.push_back(99); });
  EXPECT_EQ(sched.RunDue(), 0);
  sched.Cancel(cancelled);
  clock.Advance(Millis(999));
  EXPECT_EQ(sched.RunDue(), 0);
  clock.Advance(Millis(1));
  EXPECT_EQ(sched.RunDue(), 1);
  clock.Advance(Millis(5000));
  EXPECT_EQ(sched.RunDue(), 1);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(sched.pending(), 0u);
}

TEST(ManualSchedulerTest, TasksMayScheduleMoreTasks) {
  FakeClock clock;
  ManualScheduler sched(&clock);
  int count = 0;
  sched.RunAfter(Millis(0), [&] {
    ++count;
    sched.RunAfter(Millis(0), [&] { ++count; });
  });
  EXPECT_EQ(sched.RunDue(), 2);
  EXPECT_EQ(count, 2);
}

TEST(ThreadSchedulerTest, RunsDueTasksOnItsThread) {
  auto clock = MakeRealClock();
  ThreadScheduler sched(clock.get());
  std::atomic<int> count{0};
  sched.RunAfter(Millis(0), [&] { count++; });
  sched.RunAfter(Millis(1), [&] { count++; });
  TaskId never = sched.RunAfter(Millis(3'600'000), [&] { count += 100; });
  EXPECT_TRUE(testing::WaitUntil([&] { return count.load() == 2; }));
  sched.Cancel(never);
  EXPECT_EQ(count.load(), 2);
}

}  // namespace
}  // namespace spaceport::runtime
