// Test-only helpers for runtime tests: a temp dir and a bounded wait for a
// condition that depends on a real process (not on the passage of time).
// Thread safety: TempDir is single-threaded; WaitUntil may run anywhere.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include "core/testing/temp_dir.h"

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

}  // namespace spaceport::runtime::testing
