// Cgroup paths an OCI engine fills: the engine creates a group at the same
// path (relative to each hierarchy's root) in every mounted hierarchy when
// told `--cgroup-parent PATH`. These helpers act on such a path everywhere:
// for the oci driver's containers (whose parent groups native/cgroup.h makes)
// and for image builds (whose RUN steps the engine places at the path).
//
// Thread safety: free functions; the kernel serialises. Failure: best effort,
// what cannot be removed or killed stays (a group with live processes).
#pragma once

#include <string>

#include "core/clock.h"

namespace spaceport::runtime::oci {

// This process's path in the memory hierarchy ("" at the root): groups made
// below it stay inside the memory this server was given.
std::string OwnMemoryCgroupPath();

// SIGKILLs every process at `path` and below, in every hierarchy, until none
// is left or `timeout` passed; true when none is left.
bool KillCgroupTree(const std::string& path, Millis timeout);

// Removes the group at `path` and the groups below it, in every mounted
// hierarchy (cgroup2 included); groups that still hold processes stay.
void RemoveCgroupTree(const std::string& path);

}  // namespace spaceport::runtime::oci
