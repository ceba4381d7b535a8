// The native builder: builds a Space on this host (see build/builder.h).
//
// MakeBuilder(options) is MakeNativeBuilder(options, {}). BuilderHooks exist
// so tests and operators can pin which OCI engines are probed for sdk docker.
// Ownership: the builder owns copies of its options; `clock` (optional, for
// step timings in the log) must outlive it.
// Thread safety: Build may run for several Spaces at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "build/builder.h"

namespace spaceport::build {

struct BuilderHooks {
  // Probed in order with `ENGINE info`; the first that succeeds builds docker Spaces.
  std::vector<std::string> oci_engines = {"podman", "docker"};
};

std::unique_ptr<Builder> MakeNativeBuilder(BuilderOptions options, BuilderHooks hooks);

}  // namespace spaceport::build
