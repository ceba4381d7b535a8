// OciDriver: runs Docker Spaces' images as containers of the host's OCI
// engine (podman, engine.h), with the native sandbox's guarantees.
//
// Per instance: `podman run` of the spec's image, attached (its output is the
// run log; its exit code is the app's), with
//   - no network but its own loopback (`--network none`): a LoopbackForwarder
//     listens on the host's 127.0.0.1:port and connects inside the
//     container's namespace to 127.0.0.1:app_port, as for native apps; the
//     container reaches neither other Spaces nor the host, except the edge's
//     port (egress_port) as any visitor, like a native app;
//   - the hardware flavor's memory (no swap), CPU and pids limits on a
//     cgroup of ours that is the container's parent (`--cgroup-parent`,
//     native/cgroup.h's CgroupRoot::Shared), all capabilities dropped,
//     no-new-privileges, the engine's seccomp profile, an init process as
//     pid 1 (signals reach the app);
//   - a read-only root with tmpfs /tmp, /var/tmp and /run, unless the image
//     says `LABEL space.spaceport.writable-root="true"`;
//   - uid 1000 unless the Dockerfile names a USER;
//   - the Space's /data (a volume of its size where data volumes work),
//     owned by the app's uid;
//   - the whole environment of the spec (secrets included) passed through
//     the engine's own environment (`--env NAME`), never on a command line.
// Freeze and Thaw write the parent group's freezer (what `podman pause` does,
// without a podman process: a thaw takes milliseconds); an OOM kill below it
// is noticed through the kernel's notification and reported as "out of
// memory". Stop thaws, runs `podman stop` with the grace period, and the
// container and its groups are removed.
// Containers carry the label space.spaceport.owner=<owner>; the factory
// removes what a killed server of the same owner left behind.
//
// Ownership: one monitor thread per live instance; destroying the driver
// removes every remaining container and joins the threads.
// Thread safety and failure: see runtime/driver.h. An image the engine does
// not have, or a container that cannot start, is reported through the exit
// callback with the engine's message in the run log.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "runtime/driver.h"
#include "runtime/oci/engine.h"

namespace spaceport::runtime::oci {

struct OciDriverOptions {
  OciEngine engine;
  const Clock* clock = nullptr;  // required
  // Labels this server's containers; a leftover with the same owner is
  // removed when the driver is made. Distinct per data dir.
  std::string owner;
  std::string state_dir;  // pid files of the containers (created)
  int egress_port = 0;    // as NativeSandboxOptions::egress_port
  bool data_volumes = false;
  std::string volume_templates_dir;
  Millis start_timeout{60 * 1000};  // until the container's process exists
};

Result<std::unique_ptr<RuntimeDriver>> MakeOciDriver(const OciDriverOptions& options);

}  // namespace spaceport::runtime::oci
