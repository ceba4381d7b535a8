// SplitContainerEnv: how a container gets the app's environment (secrets
// among it) without a value on a command line (readable in /proc by every
// host user) and without the app's names acting on the engine itself: the
// engine runs as root, so LD_PRELOAD or CONTAINERS_CONF in its own
// environment would be code or configuration chosen by the Space's owner.
//
// Single-line values go to an env file (`--env-file`, written 0600 and
// removed once the container exists). A value with a line break cannot be
// written there; it passes through the engine's environment (`--env NAME`),
// which is refused for names that the loader, the C library, Go's runtime
// or the engine read. PATH and HOME are left to the image.
//
// Thread safety: pure function. Failure: InvalidArgument naming the key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace spaceport::runtime::oci {

struct ContainerEnv {
  std::string file_text;                // "NAME=value\n" lines
  std::vector<std::string> engine_env;  // "NAME=value" for the engine's environment
  std::vector<std::string> names;       // their names, for --env NAME
};

Result<ContainerEnv> SplitContainerEnv(const std::map<std::string, std::string>& env);

}  // namespace spaceport::runtime::oci
