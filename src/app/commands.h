// The server-side subcommands of the `spaceport` binary. main.cc dispatches
// to these or, for client subcommands, to cli/cli.h.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"

namespace spaceport::app {

// `spaceport serve ...`; blocks until SIGINT/SIGTERM. Returns the exit code.
int RunServeCommand(const std::vector<std::string>& args, const Clock& clock);
// `spaceport user add ...`.
int RunUserCommand(const std::vector<std::string>& args, const Clock& clock);
// `spaceport credits grant ...` (credits_command.cc).
int RunCreditsCommand(const std::vector<std::string>& args, const Clock& clock);
// `spaceport store migrate ...` (store_command.cc).
int RunStoreCommand(const std::vector<std::string>& args, const Clock& clock);

}  // namespace spaceport::app
