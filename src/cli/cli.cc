#include "cli/cli.h"

#include <exception>
#include <istream>
#include <ostream>
#include <thread>

#include "cli/command.h"

namespace spaceport::cli {
namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group :
       {AuthCommands, SpaceCommands, PushCommands, LogCommands, SettingsCommands, HubCommands, EmbedCommands,
        BillingCommands}) {
    for (Command& c : group()) all.push_back(std::move(c));
  }
  return all;
}

// Longest match first: "secrets set" before "secrets". Sets *words to the
// number of arguments the name used.
const Command* FindCommand(const std::vector<Command>& all, const std::vector<std::string>& args,
                           size_t* words) {
  for (const Command& c : all) {
    if (args.size() >= 2 && c.name == args[0] + " " + args[1]) {
      *words = 2;
      return &c;
    }
  }
  for (const Command& c : all) {
    if (c.name == args[0]) {
      *words = 1;
      return &c;
    }
  }
  return nullptr;
}

bool IsGroup(const std::vector<Command>& all, const std::string& word) {
  for (const Command& c : all) {
    if (c.name.rfind(word + " ", 0) == 0) return true;
  }
  return false;
}

void PrintGroupUsage(const std::vector<Command>& all, const std::string& group, std::ostream& os) {
  os << "usage:\n";
  for (const Command& c : all) {
    if (c.name.rfind(group + " ", 0) == 0) os << "  spaceport " << c.usage << "\n";
  }
}

void PrintCommandHelp(const Command& c, std::ostream& os) {
  os << "usage: spaceport " << c.usage << "\n\n" << c.summary << "\n";
  if (!c.details.empty()) os << "\n" << c.details;
  os << "\n  --json      print the server's JSON instead of text\n  --help      show this help\n";
}

int RunOne(const Command& c, const std::vector<std::string>& rest, CliContext& ctx) {
  Result<ParsedArgs> parsed = ParseArgs(rest, c.flags, c.min_positional, c.max_positional);
  if (!parsed.ok()) {
    ctx.err << "error: " << parsed.status().message() << "\nusage: spaceport " << c.usage << "\n";
    return kExitUsage;
  }
  if (parsed->help()) {
    PrintCommandHelp(c, ctx.out);
    return kExitOk;
  }
  Result<Session> session = ResolveSession(ctx.env);
  if (!session.ok()) return Fail(ctx, session.status());
  ctx.session = std::move(session).value();
  int code = c.run(ctx, *parsed);
  if (code == kExitUsage) ctx.err << "usage: spaceport " << c.usage << "\n";
  return code;
}

int Dispatch(const std::vector<std::string>& args, CliContext& ctx) {
  if (args.empty()) {
    PrintClientUsage(ctx.err);
    return kExitUsage;
  }
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    PrintClientUsage(ctx.out);
    return kExitOk;
  }
  std::vector<Command> all = AllCommands();
  size_t words = 0;
  const Command* c = FindCommand(all, args, &words);
  if (c == nullptr) {
    if (IsGroup(all, args[0])) {
      if (args.size() < 2) {
        PrintGroupUsage(all, args[0], ctx.err);
        return kExitUsage;
      }
      ctx.err << "error: unknown command '" << args[0] << " " << args[1] << "'\n";
      PrintGroupUsage(all, args[0], ctx.err);
      return kExitUsage;
    }
    ctx.err << "error: unknown command '" << args[0] << "' (see `spaceport --help`)\n";
    return kExitUsage;
  }
  return RunOne(*c, std::vector<std::string>(args.begin() + static_cast<long>(words), args.end()), ctx);
}

}  // namespace

void PrintClientUsage(std::ostream& out) {
  out << "usage: spaceport <command> [options]\n\nClient commands:\n";
  for (const Command& c : AllCommands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size(), 14), ' ');
    out << "  " << name << " " << c.summary << "\n";
  }
  out << "\nServer: SPACEPORT_URL (default " << kDefaultUrl << "); token: SPACEPORT_TOKEN or `spaceport login`.\n"
      << "Every command takes --json and --help.\n";
}

int RunClientCommandWith(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err, const std::map<std::string, std::string>& env,
                         const ClientDeps& deps) {
  CliContext ctx{in, out, err, env, deps, false, Session{}};
  auto tty = env.find("SPACEPORT_TTY");
  ctx.tty = tty != env.end() && tty->second == "1";
  try {
    int code = Dispatch(args, ctx);
    out.flush();
    return code;
  } catch (const std::exception& e) {
    // Last-resort edge: a bug must not surface as an uncaught exception.
    err << "error: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

int RunClientCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                     std::ostream& err, const std::map<std::string, std::string>& env) {
  std::unique_ptr<Clock> clock = MakeRealClock();
  ClientDeps deps;
  deps.clock = clock.get();
  deps.sleep = [](Millis d) { std::this_thread::sleep_for(d); };
  deps.run_command = [](const CommandOptions& o) { return spaceport::RunCommand(o); };
  return RunClientCommandWith(args, in, out, err, env, deps);
}

}  // namespace spaceport::cli
