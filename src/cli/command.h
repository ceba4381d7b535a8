// What every client subcommand shares: the invocation context, the command
// table entry, and small helpers for output and errors.
//
// A command handler returns the process exit code: kExitOk, kExitFailure
// (already reported on `err` as "error: ..."), or kExitUsage (reported as
// "error: ..."; the dispatcher adds the usage line). Handlers never throw on
// bad input; nlohmann::json calls use the non-throwing forms.
// Not thread safe: one context per invocation.
#pragma once

#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/config.h"

namespace spaceport::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct CliContext {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const Env& env;
  const ClientDeps& deps;
  bool tty = false;  // stdout is a terminal (SPACEPORT_TTY=1)
  Session session;

  ApiClient Api() const { return ApiClient(session.url, session.token); }
};

struct Command {
  std::string name;     // "push", "secrets set"
  std::string usage;    // "push [DIR] [--space OWNER/NAME] [--no-wait]"
  std::string summary;  // one line for the overview
  std::string details;  // option descriptions for --help; may be empty
  std::vector<FlagSpec> flags;
  size_t min_positional = 0;
  size_t max_positional = 0;
  std::function<int(CliContext&, const ParsedArgs&)> run;
};

// The command groups, one file each.
std::vector<Command> AuthCommands();      // login, logout, whoami       (auth_commands.cc)
std::vector<Command> SpaceCommands();     // create, status, restart...  (space_commands.cc)
std::vector<Command> SettingsCommands();  // secrets, vars               (settings_commands.cc)
std::vector<Command> LogCommands();       // logs                        (log_commands.cc)
std::vector<Command> PushCommands();      // push                        (push_command.cc)
std::vector<Command> HubCommands();       // duplicate, move, like...    (hub_commands.cc)
std::vector<Command> EmbedCommands();     // embed-link create|list|revoke (embed_commands.cc)
std::vector<Command> BillingCommands();   // wallet, earnings            (billing_commands.cc)

// Prints "error: <message>" and returns kExitFailure.
int Fail(CliContext& ctx, const Status& status);
// Prints "error: <message>" and returns kExitUsage.
int UsageFailure(CliContext& ctx, std::string_view message);
// Serializes without throwing (invalid UTF-8 becomes U+FFFD).
std::string DumpJson(const nlohmann::json& j, int indent = -1);
// Prints the server's JSON as received (pretty when it parsed), or "{}".
void PrintJson(CliContext& ctx, const ApiResponse& response);

// Validates positional[index] as OWNER/NAME; prints a usage error if not.
bool SpaceIdArg(CliContext& ctx, const ParsedArgs& args, size_t index, std::string* id);
// "/api/spaces/owner/name" + suffix.
std::string SpaceApiPath(const std::string& id, std::string_view suffix = "");
// The app's URLs: path-based, then host-based when runtime.domains names one.
std::vector<std::string> AppUrls(const std::string& base_url, const std::string& id,
                                 const nlohmann::json& runtime);
// Fails with a hint to log in when the session has no token.
Status RequireToken(const CliContext& ctx);
// Reads one line (without its newline); false at end of input.
bool ReadLine(std::istream& in, std::string* line);

}  // namespace spaceport::cli
