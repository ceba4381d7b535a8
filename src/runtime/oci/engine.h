// OciEngine: how Spaceport calls the host's OCI engine (podman's CLI) for
// Docker Spaces: the image builds of build/ and the containers of the oci
// runtime driver (oci_driver.h) go through the same command prefix.
//
// ProbeOciEngine runs `ENGINE info` once. The low-level runtime is the
// operator's choice (--oci-runtime); "auto" keeps podman's default, except on
// a host whose cgroups are hybrid (cgroup v1 controllers beside a cgroup2
// mount), where crun refuses to start containers and runc, when installed,
// is used instead.
// Ownership: plain values. Thread safety: immutable after the probe; Command
// may be called from any thread. Failure: FailedPrecondition naming what is
// missing (no engine binary, `info` failing with its message).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace spaceport::runtime::oci {

struct OciEngineOptions {
  std::string binary = "podman";
  std::string runtime = "auto";  // auto | crun | runc | a path
};

struct OciEngine {
  std::string binary;               // "podman"
  std::vector<std::string> global;  // flags before the subcommand ("--runtime", "runc")
  std::string runtime_name;         // what `info` reported, for the server log

  // binary, global flags, then `args`.
  std::vector<std::string> Command(std::vector<std::string> args) const;
};

Result<OciEngine> ProbeOciEngine(const OciEngineOptions& options);

// The image repository of a Space: "spaceport/<owner>/<name>-<8 hex of a
// hash of the exact id>", lower case, what an image reference does not allow
// dropped or replaced by '-' (the hash keeps "a_b" and "a__b" apart).
std::string ImageRepository(const std::string& space_id);

}  // namespace spaceport::runtime::oci
