// duplicate, move, like, unlike, hardware, sleeptime: the Hub API's Space
// operations beyond create/restart/pause/delete.
#include <ostream>

#include "cli/command.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

// Runs one API call and prints the JSON (--json) or `text` on success.
int CallAndReport(CliContext& ctx, const ParsedArgs& args, const std::string& method, const std::string& path,
                  const std::optional<json>& body, const std::function<std::string(const json&)>& text) {
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> resp = ctx.Api().Call(method, path, body);
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << text(resp->body);
  }
  return kExitOk;
}

// Seconds, or -1 / "never" ("-1" alone reads as an option: `-- -1` or never).
bool SleepSeconds(CliContext& ctx, const std::string& text, int64_t* seconds) {
  std::optional<int64_t> n = text == "never" ? std::optional<int64_t>(-1) : ParseInt(text);
  if (!n || *n < -1) {
    UsageFailure(ctx, "sleep time must be a number of seconds, or never (-1)");
    return false;
  }
  *seconds = *n;
  return true;
}

int Duplicate(CliContext& ctx, const ParsedArgs& args) {
  std::string from, to;
  if (!SpaceIdArg(ctx, args, 0, &from) || !SpaceIdArg(ctx, args, 1, &to)) return kExitUsage;
  json body = {{"repository", to}};
  if (args.Has("private")) body["private"] = true;
  if (args.Has("public")) body["private"] = false;
  if (auto hw = args.Value("hardware")) body["hardware"] = *hw;
  if (auto sleep = args.Value("sleep-time")) {
    int64_t seconds = 0;
    if (!SleepSeconds(ctx, *sleep, &seconds)) return kExitUsage;
    body["sleepTimeSeconds"] = seconds;
  }
  return CallAndReport(ctx, args, "POST", SpaceApiPath(from, "/duplicate"), body, [&](const json& r) {
    std::string text = "Duplicated " + from + " to " + to + " (it builds on its own: spaceport status " + to + ")\n";
    if (r.is_object() && r.contains("missingSecrets") && r["missingSecrets"].is_array()) {
      for (const json& key : r["missingSecrets"]) {
        if (key.is_string()) text += "  secret not copied, set it with: spaceport secrets set " + to + " " +
                                     key.get<std::string>() + "\n";
      }
    }
    return text;
  });
}

int Move(CliContext& ctx, const ParsedArgs& args) {
  std::string from, to;
  if (!SpaceIdArg(ctx, args, 0, &from) || !SpaceIdArg(ctx, args, 1, &to)) return kExitUsage;
  json body = {{"fromRepo", from}, {"toRepo", to}, {"type", "space"}};
  return CallAndReport(ctx, args, "POST", "/api/repos/move", body, [&](const json&) {
    return "Moved " + from + " to " + to + " (the old name now answers 404; update your git remote to " +
           ctx.session.url + "/spaces/" + to + ")\n";
  });
}

int LikeOrUnlike(CliContext& ctx, const ParsedArgs& args, bool like) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  return CallAndReport(ctx, args, like ? "POST" : "DELETE", SpaceApiPath(id, "/like"), std::nullopt,
                       [&](const json& r) {
                         std::string count = r.is_object() && r.contains("likes") ? r["likes"].dump() : "?";
                         return std::string(like ? "Liked " : "Unliked ") + id + " (" + count + " likes)\n";
                       });
}

std::string RuntimeSummary(const std::string& id, const json& rt) {
  std::string requested = rt.is_object() && rt.contains("hardware") ? JsonString(rt["hardware"], "requested") : "";
  std::string sleep = rt.is_object() && rt.contains("gcTimeout") && rt["gcTimeout"].is_number_integer()
                          ? rt["gcTimeout"].dump() + " s"
                          : "never";
  return id + ": hardware " + (requested.empty() ? "?" : requested) + ", sleeps after " + sleep + " idle\n";
}

int Hardware(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  if (args.positional.size() < 2) {  // show the current and the offered flavors
    Result<ApiResponse> rt = ctx.Api().Get(SpaceApiPath(id, "/runtime"));
    if (!rt.ok()) return Fail(ctx, rt.status());
    if (args.json()) {
      PrintJson(ctx, *rt);
      return kExitOk;
    }
    ctx.out << RuntimeSummary(id, rt->body);
    Result<ApiResponse> flavors = ctx.Api().Get("/api/spaces/hardware");
    if (flavors.ok() && flavors->body.is_array()) {
      ctx.out << "offered:";
      for (const json& f : flavors->body) ctx.out << " " << JsonString(f, "name");
      ctx.out << "\n";
    }
    return kExitOk;
  }
  json body = {{"flavor", args.positional[1]}};
  if (auto sleep = args.Value("sleep-time")) {
    int64_t seconds = 0;
    if (!SleepSeconds(ctx, *sleep, &seconds)) return kExitUsage;
    body["sleepTimeSeconds"] = seconds;
  }
  return CallAndReport(ctx, args, "POST", SpaceApiPath(id, "/hardware"), body,
                       [&](const json& r) { return "Requested. " + RuntimeSummary(id, r); });
}

int SleepTime(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  int64_t seconds = 0;
  if (!SleepSeconds(ctx, args.positional[1], &seconds)) return kExitUsage;
  return CallAndReport(ctx, args, "POST", SpaceApiPath(id, "/sleeptime"), json{{"seconds", seconds}},
                       [&](const json& r) { return RuntimeSummary(id, r); });
}

}  // namespace

std::vector<Command> HubCommands() {
  return {
      {"duplicate",
       "duplicate FROM TO [--private|--public] [--hardware F] [--sleep-time S]",
       "duplicate (fork) a Space: full history, variables; secrets are not copied",
       "  FROM, TO          OWNER/NAME; TO's owner must be you\n"
       "  --private         make the copy private (default: as the source)\n"
       "  --public          make the copy public\n"
       "  --hardware F      hardware flavor of the copy (default: as the source)\n"
       "  --sleep-time S    idle seconds before it sleeps, or never\n",
       {{"private", false}, {"public", false}, {"hardware", true}, {"sleep-time", true}}, 2, 2, Duplicate},
      {"move", "move FROM TO", "rename a Space (its app restarts under the new name)",
       "  The old name is not redirected: it answers 404 afterwards.\n", {}, 2, 2, Move},
      {"like", "like OWNER/NAME", "like a Space", "", {}, 1, 1,
       [](CliContext& ctx, const ParsedArgs& a) { return LikeOrUnlike(ctx, a, true); }},
      {"unlike", "unlike OWNER/NAME", "take back a like", "", {}, 1, 1,
       [](CliContext& ctx, const ParsedArgs& a) { return LikeOrUnlike(ctx, a, false); }},
      {"hardware", "hardware OWNER/NAME [FLAVOR] [--sleep-time S]",
       "show a Space's hardware and the offered flavors, or request FLAVOR",
       "  --sleep-time S    also set the idle seconds before it sleeps, or never\n",
       {{"sleep-time", true}}, 1, 2, Hardware},
      {"sleeptime", "sleeptime OWNER/NAME SECONDS|never", "set how long a Space idles before it sleeps", "",
       {}, 2, 2, SleepTime},
  };
}

}  // namespace spaceport::cli
