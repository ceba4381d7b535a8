// NativeSandboxDriver: runs each app instance in a bubblewrap sandbox with
// cgroup limits, freezable (see README.md beside this file for the design).
//
// Per instance: a cgroup in memory, cpu, pids and freezer (limits from the
// spec's ResourceLimits), a host uid of its own per Space (taken from a
// range; the app dir and data dir are chowned to it), the sandbox of
// sandbox.h, and a LoopbackForwarder from the host's 127.0.0.1:port into the
// app's network namespace. stdout and stderr go to the run log as with the
// process driver. An instance the kernel OOM-killed exits with reason
// "out of memory". Stop sends SIGTERM to every process of the app (not to
// bwrap itself), then SIGKILLs the whole cgroup after the grace period, and
// removes the cgroup.
//
// Requirements, checked by the factory (FailedPrecondition names what is
// missing): running as root, a bwrap binary, writable cgroup v1 memory, cpu,
// pids and freezer hierarchies below this process's own cgroups.
//
// Ownership: one monitor thread per live instance (it is also the sandbox's
// parent: bwrap's --die-with-parent follows it); destroying the driver kills
// every remaining instance and joins the threads.
// Thread safety and failure: see runtime/driver.h.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "core/clock.h"
#include "runtime/driver.h"

namespace spaceport::runtime {

struct NativeSandboxOptions {
  const Clock* clock = nullptr;  // required; deadlines of freeze, thaw and kill
  std::string bwrap_path = "/usr/bin/bwrap";
  uid_t uid_base = 200000;       // Spaces run as uid_base .. uid_base + uid_count - 1
  int uid_count = 10000;
  std::string cgroup_subtree = "spaceport";  // below this process's own cgroups
  // Kill what a killed server left running in the subtree when the driver is
  // made. False for a node among several that may not run the apps yet: it
  // calls SweepLeftoverSandboxes when it takes them over.
  bool sweep_leftovers = true;
  Millis freeze_timeout{5000};
  Millis setup_timeout{10000};   // bwrap reporting its sandbox ready
  // The edge's port: apps reach 127.0.0.1:egress_port inside their namespace
  // and land on the edge (the hub's public face), as any visitor. 0: no egress.
  int egress_port = 0;
  // /data as a volume of ResourceLimits::data_bytes (runtime/data_volume.h;
  // the caller checks ProbeDataVolumes). false: a plain directory, unbounded.
  bool data_volumes = false;
  std::string volume_templates_dir;  // where empty images are kept to copy (EnsureDataVolume)
};

// Kills what a killed server left running below `cgroup_subtree` (apps or
// builds); how many groups went.
int SweepLeftoverSandboxes(const std::string& cgroup_subtree, const Clock& clock);

Result<std::unique_ptr<RuntimeDriver>> MakeNativeSandboxDriver(const NativeSandboxOptions& options);

}  // namespace spaceport::runtime
