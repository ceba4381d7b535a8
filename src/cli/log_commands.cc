// logs OWNER/NAME [--build] [--follow]
#include <ostream>

#include "cli/command.h"
#include "cli/log_follower.h"

namespace spaceport::cli {
namespace {

// Without --follow the command ends after this much silence (the tail has
// arrived by then); with it, a silent connection is re-opened this often.
constexpr Millis kTailQuiet{1000};
constexpr Millis kFollowReconnect{30000};

int Logs(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  bool follow = args.Has("follow");
  std::string path = SpaceApiPath(id, args.Has("build") ? "/logs/build" : "/logs/run");
  ApiClient api = ctx.Api();
  LogFollower follower;
  auto print = [&](std::string_view chunk) {
    for (const LogLine& line : follower.Feed(chunk)) {
      ctx.out << (args.json() ? line.raw : line.event.text) << "\n";
    }
    ctx.out.flush();
    return true;
  };
  while (true) {
    follower.BeginConnection();
    Status s = api.Stream(path, follow ? kFollowReconnect : kTailQuiet, print);
    if (s.ok()) return kExitOk;  // the server ended the stream
    if (s.code() != StatusCode::kDeadlineExceeded) return Fail(ctx, s);
    if (!follow) return kExitOk;
  }
}

}  // namespace

std::vector<Command> LogCommands() {
  return {
      {"logs", "logs OWNER/NAME [--build] [--follow]", "print a Space's run (or build) logs",
       "  --build     the build log instead of the app's output\n"
       "  --follow    keep printing new lines until interrupted\n"
       "  --json      one JSON object per line as sent by the server\n",
       {{"build", false}, {"follow", false}}, 1, 1, Logs},
  };
}

}  // namespace spaceport::cli
