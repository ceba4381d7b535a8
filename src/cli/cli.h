// The `spaceport` command-line client: every subcommand except `serve` and
// `user add` (those belong to the server side of src/app/main.cc).
//
// RunClientCommand takes the arguments after "spaceport", the standard
// streams and the process environment as a map (SPACEPORT_URL,
// SPACEPORT_TOKEN, SPACEPORT_CONFIG, XDG_CONFIG_HOME, HOME, SPACEPORT_TTY=1
// when stdout is a terminal). It reads no globals, so tests run it in-process.
// Exit codes: 0 success, 1 failure (server error, unreachable server, failed
// build), 2 usage error. Bad input never throws.
// Thread safety: re-entrant; concurrent calls must not share streams.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/subprocess.h"

namespace spaceport::cli {

int RunClientCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                     std::ostream& err, const std::map<std::string, std::string>& env);

void PrintClientUsage(std::ostream& out);

// The world the client touches besides HTTP, injected for tests: the clock
// (elapsed time, --timeout), how to wait between polls, and how to run git.
struct ClientDeps {
  const Clock* clock = nullptr;                       // required
  std::function<void(Millis)> sleep;                  // required
  std::function<Result<CommandResult>(const CommandOptions&)> run_command;  // required
};

int RunClientCommandWith(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err, const std::map<std::string, std::string>& env,
                         const ClientDeps& deps);

}  // namespace spaceport::cli
