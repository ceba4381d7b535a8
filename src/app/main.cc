// The composition root: the only place that builds objects and wires them
// (serve.cc for the server). No other file creates process-wide state.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/commands.h"
#include "cli/cli.h"
#include "core/clock.h"

extern char** environ;

namespace {

void PrintUsage() {
  std::cout << "usage: spaceport COMMAND [ARGS]\n\n"
               "Server:\n"
               "  serve --data-dir DIR --listen HOST:PORT [--apps-domain DOMAIN] [--public-url URL]\n"
               "        [--store sqlite:PATH|postgres://USER@HOST:PORT/DB]\n"
               "  store migrate --from sqlite:PATH --to postgres://USER@HOST:PORT/DB   (server stopped)\n"
               "  user add NAME [--admin] [--read-only] --data-dir DIR   (prints an API token)\n"
               "  credits grant USER AMOUNT [--note TEXT] [--id ID] --data-dir DIR   (micro-units; server stopped)\n\n"
               "Client (SPACEPORT_URL, SPACEPORT_TOKEN or `spaceport login`):\n";
  spaceport::cli::PrintClientUsage(std::cout);
}

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (isatty(STDOUT_FILENO)) env["SPACEPORT_TTY"] = "1";
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage();
    return args.empty() ? 2 : 0;
  }
  auto clock = spaceport::MakeRealClock();
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "serve") return spaceport::app::RunServeCommand(rest, *clock);
  if (command == "user") return spaceport::app::RunUserCommand(rest, *clock);
  if (command == "credits") return spaceport::app::RunCreditsCommand(rest, *clock);
  if (command == "store") return spaceport::app::RunStoreCommand(rest, *clock);
  return spaceport::cli::RunClientCommand(args, std::cin, std::cout, std::cerr, Environment());
}
