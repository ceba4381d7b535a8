#include "http/event_loop.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace spaceport::http {
namespace {

TEST(EventLoopTest, PostRunsOnLoopThreadAndStopEnds) {
  FakeClock clock;
  auto loop = EventLoop::Create(&clock);
  ASSERT_TRUE(loop.ok());
  std::thread t([&] { (*loop)->Run(); });
  std::promise<bool> in_loop;
  (*loop)->Post([&] { in_loop.set_value((*loop)->InLoopThread()); });
  EXPECT_TRUE(in_loop.get_future().get());
  (*loop)->Stop();
  t.join();
}

TEST(EventLoopTest, TimersFollowTheInjectedClock) {
  FakeClock clock;
  auto loop = EventLoop::Create(&clock);
  ASSERT_TRUE(loop.ok());
  std::atomic<int> fired{0};
  std::promise<void> armed;
  std::promise<void> done;
  (*loop)->Post([&] {
    (*loop)->RunAfter(Millis(1000), [&] { fired = 1; done.set_value(); });
    auto cancelled = (*loop)->RunAfter(Millis(500), [&] { fired = 99; });
    (*loop)->Cancel(cancelled);
    armed.set_value();
  });
  std::thread t([&] { (*loop)->Run(); });
  armed.get_future().get();
  EXPECT_EQ(fired, 0);
  clock.Advance(Millis(1000));
  done.get_future().get();
  EXPECT_EQ(fired, 1);
  (*loop)->Stop();
  t.join();
}

}  // namespace
}  // namespace spaceport::http
