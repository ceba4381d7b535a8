// push [DIR] [--space OWNER/NAME] [--no-wait] [--timeout SECONDS]
#include <ostream>

#include "cli/build_watch.h"
#include "cli/command.h"
#include "cli/git_push.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultTimeoutSeconds = 600;

// --space, else the "spaceport" git remote of dir.
Result<std::string> TargetSpace(CliContext& ctx, const ParsedArgs& args, const std::string& dir) {
  if (auto s = args.Value("space")) {
    if (!IsValidSpaceId(*s)) return Status::InvalidArgument("invalid Space id '" + *s + "' (expected OWNER/NAME)");
    return *s;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> from_remote, SpaceFromRemote(ctx.deps.run_command, dir));
  if (!from_remote) {
    return Status::InvalidArgument("no Space given: pass --space OWNER/NAME or add the remote with `git -C " + dir +
                                   " remote add spaceport " + ctx.session.url + "/spaces/OWNER/NAME`");
  }
  return *from_remote;
}

// The user name for HTTP Basic: the saved one, else whoami's, else "token"
// (the server identifies the caller by the token alone).
std::string PushUser(CliContext& ctx) {
  if (!ctx.session.user.empty()) return ctx.session.user;
  Result<ApiResponse> who = ctx.Api().Get("/api/whoami-v2");
  std::string name = who.ok() ? JsonString(who->body, "name") : "";
  return name.empty() ? "token" : name;
}

int Report(CliContext& ctx, const ParsedArgs& args, const std::string& id, const std::string& sha,
           const WatchOutcome& w) {
  std::vector<std::string> urls = AppUrls(ctx.session.url, id, w.runtime);
  std::string error = JsonString(w.runtime, "errorMessage");
  StageKind kind = ClassifyStage(w.stage);
  bool ok = !w.timed_out && kind == StageKind::kSucceeded;
  if (args.json()) {
    json j = {{"space", id}, {"sha", sha}, {"stage", w.stage}, {"ok", ok}, {"timedOut", w.timed_out},
              {"elapsedSeconds", w.elapsed_seconds}, {"runtime", w.runtime}};
    if (ok) j["urls"] = urls;
    ctx.out << DumpJson(j) << "\n";
  } else if (ok) {
    std::string served = JsonString(w.runtime, "sha");
    if (!served.empty() && served != sha) {
      ctx.out << "note: the Space serves " << served.substr(0, 12) << ", not the pushed " << sha.substr(0, 12) << "\n";
    }
    ctx.out << id << " is " << w.stage << " after " << w.elapsed_seconds << "s. Open it at:\n";
    for (const std::string& u : urls) ctx.out << "  " << u << "\n";
  }
  if (ok) return kExitOk;
  if (w.timed_out) {
    ctx.err << "error: timed out after " << w.elapsed_seconds << "s waiting for " << id << " (stage "
            << (w.stage.empty() ? "unknown" : w.stage) << "); the build goes on: spaceport logs " << id
            << " --build --follow\n";
  } else {
    ctx.err << "error: " << id << " is " << w.stage << (error.empty() ? "" : ":\n" + error) << "\n";
  }
  return kExitFailure;
}

int Push(CliContext& ctx, const ParsedArgs& args) {
  std::string dir = args.positional.empty() ? "." : args.positional[0];
  int64_t timeout = kDefaultTimeoutSeconds;
  if (auto t = args.Value("timeout")) {
    std::optional<int64_t> n = ParseInt(*t);
    if (!n || *n <= 0 || *n > 86400) return UsageFailure(ctx, "--timeout must be a number of seconds (1-86400)");
    timeout = *n;
  }
  Result<std::string> sha = GitHeadCommit(ctx.deps.run_command, dir);
  if (!sha.ok()) return Fail(ctx, sha.status());
  Result<std::string> id = TargetSpace(ctx, args, dir);
  if (!id.ok()) {
    return id.status().code() == StatusCode::kInvalidArgument ? UsageFailure(ctx, id.status().message())
                                                               : Fail(ctx, id.status());
  }
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  PushRequest req{dir, ctx.session.url + "/spaces/" + *id, PushUser(ctx), ctx.session.token,
                  [&](std::string_view chunk) { ctx.err << chunk << std::flush; }};
  ctx.err << "Pushing " << sha->substr(0, 12) << " to " << *id << "\n";
  if (Status s = GitPush(ctx.deps.run_command, req); !s.ok()) return Fail(ctx, s);
  if (args.Has("no-wait")) {
    if (args.json()) {
      ctx.out << DumpJson(json{{"space", *id}, {"sha", *sha}}) << "\n";
    } else {
      ctx.out << "Pushed " << sha->substr(0, 12) << " to " << *id << ". Follow the build with: spaceport logs "
              << *id << " --build --follow\n";
    }
    return kExitOk;
  }
  bool in_place = ctx.tty && !args.json();
  BuildWatcher watcher(ctx, {*id, *sha, Millis(timeout * 1000)}, args.json() ? ctx.err : ctx.out, in_place);
  Result<WatchOutcome> outcome = watcher.Run();
  if (!outcome.ok()) return Fail(ctx, outcome.status());
  return Report(ctx, args, *id, *sha, *outcome);
}

}  // namespace

std::vector<Command> PushCommands() {
  return {
      {"push", "push [DIR] [--space OWNER/NAME] [--no-wait] [--timeout SECONDS]",
       "push a git work tree to its Space and watch the build",
       "  DIR          the git work tree to push (default: the current directory)\n"
       "  --space ID   the Space (default: from the git remote named 'spaceport')\n"
       "  --no-wait    return once git has pushed\n"
       "  --timeout S  give up waiting after S seconds (default 600)\n",
       {{"space", true}, {"no-wait", false}, {"timeout", true}}, 0, 1, Push},
  };
}

}  // namespace spaceport::cli
