// embed-link create|list|revoke: signed, expiring embed links of a Space
// (POST/GET /api/spaces/{id}/embed-links, DELETE .../embed-links/{id}).
#include <ostream>

#include "cli/command.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

// "90s", "30m", "12h", "7d" or plain seconds; nullopt when malformed.
std::optional<int64_t> ExpirySeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: unit = 0;
  }
  if (unit != 0) digits.pop_back();
  std::optional<int64_t> n = ParseInt(digits);
  if (!n || *n <= 0 || *n > 1'000'000'000) return std::nullopt;
  return *n * (unit == 0 ? 1 : unit);
}

int Create(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  json body = json::object();
  if (auto expires = args.Value("expires")) {
    std::optional<int64_t> seconds = ExpirySeconds(*expires);
    if (!seconds) return UsageFailure(ctx, "--expires must be seconds or a duration like 90s, 30m, 12h or 7d");
    body["expiresIn"] = *seconds;
  }
  if (auto name = args.Value("name")) body["name"] = *name;
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> resp = ctx.Api().Call("POST", SpaceApiPath(id, "/embed-links"), body);
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  ctx.out << "Embed link " << JsonString(resp->body, "id") << " for " << id << ", valid until "
          << JsonString(resp->body, "expiresAt") << " (shown once):\n"
          << JsonString(resp->body, "url") << "\n\n<iframe src=\"" << JsonString(resp->body, "url")
          << "\" width=\"850\" height=\"450\" frameborder=\"0\"></iframe>\n";
  return kExitOk;
}

std::string State(const json& link) {
  if (link.value("revoked", false)) return "revoked";
  if (link.value("expired", false)) return "expired";
  return "live";
}

int List(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> resp = ctx.Api().Get(SpaceApiPath(id, "/embed-links"));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  if (!resp->body.is_array() || resp->body.empty()) {
    ctx.out << "No embed links on " << id << ".\n";
    return kExitOk;
  }
  for (const json& link : resp->body) {
    std::string name = JsonString(link, "name");
    ctx.out << JsonString(link, "id") << "  " << State(link) << "  until " << JsonString(link, "expiresAt")
            << (name.empty() ? "" : "  " + name) << "\n";
  }
  return kExitOk;
}

int Revoke(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  const std::string& link = args.positional[1];
  if (!StartsWith(link, "el_") || link.find_first_of("/?#%") != std::string::npos) {
    return UsageFailure(ctx, "'" + link + "' is not an embed link id (el_...)");
  }
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> resp = ctx.Api().Call("DELETE", SpaceApiPath(id, "/embed-links/" + link));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << "Revoked embed link " << link << " of " << id << " (frames using it stop working now)\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> EmbedCommands() {
  return {
      {"embed-link create", "embed-link create OWNER/NAME [--expires 7d] [--name LABEL]",
       "make a signed link that opens the app in an iframe without sign-in",
       "  --expires D       how long the link works: seconds or 90s, 30m, 12h, 7d (60 s to 90 days;\n"
       "                    default 7 days)\n"
       "  --name LABEL      a label to tell links apart in the list\n"
       "  The link's URL is shown once; use it as an iframe's src.\n",
       {{"expires", true}, {"name", true}}, 1, 1, Create},
      {"embed-link list", "embed-link list OWNER/NAME", "list a Space's embed links (never their secret)", "", {},
       1, 1, List},
      {"embed-link revoke", "embed-link revoke OWNER/NAME LINK_ID", "revoke an embed link at once", "", {}, 2, 2,
       Revoke},
  };
}

}  // namespace spaceport::cli
