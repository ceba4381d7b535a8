#include "app/docker_spaces.h"

#include "core/log.h"
#include "runtime/image_router.h"
#include "runtime/oci/oci_driver.h"

namespace spaceport::app {

std::unique_ptr<runtime::RuntimeDriver> WithDockerSpaces(const DockerSpacesConfig& config, const Clock& clock,
                                                         std::unique_ptr<runtime::RuntimeDriver> apps,
                                                         build::BuilderOptions& builder) {
  namespace oci = runtime::oci;
  if (config.engine == "none") {
    builder.oci_missing = "Docker Spaces are turned off (--oci-engine none)";
    return apps;
  }
  Result<oci::OciEngine> engine = oci::ProbeOciEngine({.binary = config.engine, .runtime = config.runtime});
  if (!engine.ok()) {
    builder.oci_missing = engine.status().message();
    SP_LOG(kWarn) << "Docker Spaces cannot build or run here: " << engine.status().message();
    return apps;
  }
  oci::OciDriverOptions options;
  options.engine = *engine;
  options.clock = &clock;
  options.owner = config.owner;
  options.state_dir = config.state_dir;
  options.egress_port = config.egress_port;
  options.data_volumes = config.data_volumes;
  options.volume_templates_dir = config.volume_templates_dir;
  Result<std::unique_ptr<runtime::RuntimeDriver>> driver = oci::MakeOciDriver(options);
  if (!driver.ok()) {
    builder.oci_missing = driver.status().message();
    SP_LOG(kWarn) << "Docker Spaces cannot run here: " << driver.status().message();
    return apps;
  }
  builder.oci_engine = std::make_shared<const oci::OciEngine>(*engine);
  SP_LOG(kInfo) << "Docker Spaces build and run with " << engine->binary << " (runtime "
                << (engine->runtime_name.empty() ? "default" : engine->runtime_name) << ")";
  return runtime::MakeImageRouterDriver(std::move(apps), std::move(*driver));
}

}  // namespace spaceport::app
