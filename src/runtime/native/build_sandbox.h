// The build sandbox: runs the builder's steps (build/step_runner.h) in the
// native sandbox of sandbox.h, as the app runs.
//
// Per step: a host uid of its own from [uid_base, uid_base + uid_count)
// (never one an app or a concurrent step has; the directories the step may
// write are chowned to it), bubblewrap with every namespace new, seccomp, no
// capabilities, the system read-only, a private /tmp, writable only the
// step's own directories; a cgroup with the build limits (memory, CPU,
// pids). With `network`, the step's namespace gets one egress forwarder to
// the package proxy (package_proxy.h) and the proxy settings in its
// environment; without, it has no network at all. The step starts only once
// that forwarder listens (bwrap's --block-fd).
//
// The step is killed whole (its cgroup) when it passes the build's deadline
// or log budget, when a fork fails at the pids limit (a fork bomb never
// ends on its own), and its result says so; the OOM killer's work shows as
// StepLimit::kMemory.
//
// Requirements as for the native driver: root, bwrap, cgroup v1 memory, cpu,
// pids and freezer hierarchies below this process's cgroups (FailedPrecondition).
// Ownership: the runner owns its cgroup subtree; `clock` and `proxy` must
// outlive it. Thread safety: Run may be called from several threads.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "build/step_runner.h"
#include "core/clock.h"
#include "runtime/driver.h"

namespace spaceport::runtime {

namespace native {
class PackageProxy;
}

struct BuildSandboxOptions {
  const Clock* clock = nullptr;  // required
  std::string bwrap_path = "/usr/bin/bwrap";
  uid_t uid_base = 190000;       // below the apps' range (NativeSandboxOptions::uid_base)
  int uid_count = 10000;
  std::string cgroup_subtree = "spaceport-builds";
  bool sweep_leftovers = true;  // as NativeSandboxOptions::sweep_leftovers
  ResourceLimits limits{2048LL << 20, 2000, 512};  // per step: --build-memory, 2 CPUs, --build-pids
  const native::PackageProxy* proxy = nullptr;     // nullptr: steps get no network
};

Result<std::unique_ptr<build::StepRunner>> MakeBuildSandbox(const BuildSandboxOptions& options);

}  // namespace spaceport::runtime
