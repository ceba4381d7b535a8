// Docker Spaces in `spaceport serve`: probes the OCI engine once and, when it
// works, builds sdk docker Spaces with it and runs them on the OCI driver
// beside the app driver (runtime/image_router.h). Without a working engine
// the app driver is returned as it is, and docker builds end in BUILD_ERROR
// naming why (build/builder.h's oci_missing).
#pragma once

#include <memory>
#include <string>

#include "build/builder.h"
#include "core/clock.h"
#include "runtime/driver.h"

namespace spaceport::app {

struct DockerSpacesConfig {
  std::string engine = "podman";  // --oci-engine; "none": Docker Spaces are off
  std::string runtime = "auto";   // --oci-runtime
  std::string state_dir;          // the data dir's oci/
  std::string owner;              // labels this server's containers
  int egress_port = 0;
  bool data_volumes = false;
  std::string volume_templates_dir;
};

// `apps` is the native or process driver; the result runs both kinds.
std::unique_ptr<runtime::RuntimeDriver> WithDockerSpaces(const DockerSpacesConfig& config, const Clock& clock,
                                                         std::unique_ptr<runtime::RuntimeDriver> apps,
                                                         build::BuilderOptions& builder);

}  // namespace spaceport::app
