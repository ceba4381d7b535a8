// Test-only helpers for runtime tests: a temp dir, a bounded wait for a
// condition that depends on a real process (not on the passage of time), and
// a driver start whose exit status arrives in a future.
// Thread safety: TempDir is single-threaded; WaitUntil may run anywhere.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <future>
#include <memory>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"
#include "runtime/driver.h"

namespace spaceport::runtime::testing {

using spaceport::testing::TempDir;

// Polls `done` until it holds or `limit` passes; true when it held. For
// waiting on child processes and sockets, which no fake clock can drive.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Starts `spec` on `driver`; the future is fulfilled by the exit callback.
// A start that fails is a test failure (the id is then 0).
inline std::pair<InstanceId, std::future<ExitStatus>> LaunchInstance(RuntimeDriver& driver, const InstanceSpec& spec) {
  auto promise = std::make_shared<std::promise<ExitStatus>>();
  auto future = promise->get_future();
  auto id = driver.Start(spec, [promise](InstanceId, const ExitStatus& s) { promise->set_value(s); });
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return {id.ok() ? *id : 0, std::move(future)};
}

}  // namespace spaceport::runtime::testing
