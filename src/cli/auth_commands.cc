// login, logout, whoami.
#include <istream>
#include <ostream>

#include "cli/command.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

// The token from --token, else from stdin (prompted when interactive).
Result<std::string> ReadToken(CliContext& ctx, const ParsedArgs& args) {
  if (auto t = args.Value("token")) return std::string(Trim(*t));
  if (ctx.tty) ctx.err << "Token: " << std::flush;
  std::string line;
  if (!ReadLine(ctx.in, &line)) return Status::InvalidArgument("no token given (use --token or pipe it on stdin)");
  return std::string(Trim(line));
}

int Login(CliContext& ctx, const ParsedArgs& args) {
  std::string url = ctx.session.url;
  if (auto u = args.Value("url")) {
    Result<std::string> normalized = NormalizeUrl(*u);
    if (!normalized.ok()) return UsageFailure(ctx, normalized.status().message());
    url = *normalized;
  }
  Result<std::string> token = ReadToken(ctx, args);
  if (!token.ok()) return UsageFailure(ctx, token.status().message());
  if (token->empty()) return UsageFailure(ctx, "empty token");
  ApiClient api(url, *token);
  Result<ApiResponse> who = api.Get("/api/whoami-v2");
  if (!who.ok()) return Fail(ctx, who.status().WithContext("token not accepted"));
  std::string user = JsonString(who->body, "name");
  Result<ClientConfig> config = LoadConfig(ctx.session.config_path);
  if (!config.ok()) return Fail(ctx, config.status());
  config->url = url;
  config->logins[url] = StoredLogin{*token, user};
  if (Status s = SaveConfig(ctx.session.config_path, *config); !s.ok()) return Fail(ctx, s);
  if (args.json()) {
    ctx.out << DumpJson(json{{"user", user}, {"url", url}, {"config", ctx.session.config_path}}) << "\n";
  } else {
    ctx.out << "Logged in as " << (user.empty() ? "(unnamed user)" : user) << " at " << url << "\n";
  }
  if (ctx.env.count("SPACEPORT_TOKEN") > 0) {
    ctx.err << "note: SPACEPORT_TOKEN is set and takes precedence over the saved login\n";
  }
  return kExitOk;
}

int Logout(CliContext& ctx, const ParsedArgs& args) {
  Result<ClientConfig> config = LoadConfig(ctx.session.config_path);
  if (!config.ok()) return Fail(ctx, config.status());
  const std::string& url = ctx.session.url;
  bool was_logged_in = config->logins.erase(url) > 0;
  if (config->url == url) config->url = config->logins.empty() ? "" : config->logins.begin()->first;
  if (was_logged_in) {
    if (Status s = SaveConfig(ctx.session.config_path, *config); !s.ok()) return Fail(ctx, s);
  }
  if (args.json()) {
    ctx.out << DumpJson(json{{"url", url}, {"loggedOut", was_logged_in}}) << "\n";
  } else {
    ctx.out << (was_logged_in ? "Logged out of " : "Not logged in at ") << url << "\n";
  }
  return kExitOk;
}

int Whoami(CliContext& ctx, const ParsedArgs& args) {
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> who = ctx.Api().Get("/api/whoami-v2");
  if (!who.ok()) return Fail(ctx, who.status());
  if (args.json()) {
    PrintJson(ctx, *who);
    return kExitOk;
  }
  ctx.out << JsonString(who->body, "name") << " at " << ctx.session.url << "\n";
  const json& orgs = who->body.is_object() && who->body.contains("orgs") ? who->body["orgs"] : json();
  if (orgs.is_array() && !orgs.empty()) {
    std::vector<std::string> names;
    for (const json& o : orgs) names.push_back(JsonString(o, "name"));
    ctx.out << "orgs: " << Join(names, ", ") << "\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> AuthCommands() {
  return {
      {"login", "login [--token TOKEN] [--url URL]", "save a token for this server (read from stdin if not given)",
       "  --token T   the API token (prefer stdin: it keeps the token out of shell history)\n"
       "  --url U     the server (default SPACEPORT_URL or " + std::string(kDefaultUrl) + ")\n",
       {{"token", true}, {"url", true}}, 0, 0, Login},
      {"logout", "logout", "forget the saved token for this server", "", {}, 0, 0, Logout},
      {"whoami", "whoami", "show who the token belongs to", "", {}, 0, 0, Whoami},
  };
}

}  // namespace spaceport::cli
