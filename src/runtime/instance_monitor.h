// What every runtime driver's monitor thread needs.
//
// PumpOutputUntilExit: forward an instance's combined stdout/stderr to its
// run log while waiting for its main process to exit.
//
// Blocks the calling thread. `pidfd` may be -1 (then the exit is polled).
// `on_reaped` runs right after waitpid succeeds: kill what is left of the
// instance there, so no stray process holds the output pipe open; output is
// still drained for up to a second afterwards. Closes out_fd and pidfd.
// Returns the raw wait status of `pid`.
//
// JoinFinishedMonitors: joins and forgets the monitor threads of instances
// marked done (the caller holds the lock that guards `instances`); never
// joins the calling thread itself.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <thread>

#include "runtime/log_store.h"

namespace spaceport::runtime {

int PumpOutputUntilExit(pid_t pid, int pidfd, int out_fd, LogStore* log, const std::string& space_id,
                        const std::function<void()>& on_reaped);

template <typename InstanceMap>
void JoinFinishedMonitors(InstanceMap& instances) {
  for (auto it = instances.begin(); it != instances.end();) {
    auto& inst = *it->second;
    if (inst.done && inst.thread.joinable() && inst.thread.get_id() != std::this_thread::get_id()) {
      inst.thread.join();
      it = instances.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace spaceport::runtime
