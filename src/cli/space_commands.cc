// create, status, restart, pause, delete, spaces.
#include <istream>
#include <ostream>

#include "cli/command.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

constexpr const char* kSdks[] = {"static", "gradio", "streamlit", "docker", "process"};

bool IsKnownSdk(const std::string& sdk) {
  for (const char* s : kSdks) {
    if (sdk == s) return true;
  }
  return false;
}

json RepoBody(const std::string& id) {
  size_t slash = id.find('/');
  return {{"type", "space"}, {"name", id.substr(slash + 1)}, {"organization", id.substr(0, slash)}};
}

int Create(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  std::optional<std::string> sdk = args.Value("sdk");
  if (!sdk) return UsageFailure(ctx, "--sdk is required (static, gradio, streamlit, docker or process)");
  if (!IsKnownSdk(*sdk)) {
    return UsageFailure(ctx, "unknown sdk '" + *sdk + "' (static, gradio, streamlit, docker or process)");
  }
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  json body = RepoBody(id);
  body["sdk"] = *sdk;
  body["private"] = args.Has("private");
  if (auto hw = args.Value("hardware")) body["hardware"] = *hw;
  Result<ApiResponse> resp = ctx.Api().Call("POST", "/api/repos/create", body);
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  std::string remote = ctx.session.url + "/spaces/" + id;
  std::string page = JsonString(resp->body, "url");
  if (page.empty()) page = remote;
  ctx.out << "Created Space " << id << "\n"
          << "  page:       " << page << "\n"
          << "  git remote: " << remote << "\n"
          << "Next: git remote add spaceport " << remote << " && spaceport push\n";
  return kExitOk;
}

std::string HardwareText(const json& runtime) {
  if (!runtime.contains("hardware")) return "";
  const json& hw = runtime["hardware"];
  if (hw.is_string()) return hw.get<std::string>();
  std::string current = JsonString(hw, "current");
  std::string requested = JsonString(hw, "requested");
  if (!requested.empty() && requested != current) {
    return (current.empty() ? "none" : current) + " (requested " + requested + ")";
  }
  return current;
}

int StatusCmd(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  Result<ApiResponse> resp = ctx.Api().Get(SpaceApiPath(id, "/runtime"));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  const json& rt = resp->body;
  if (!rt.is_object()) return Fail(ctx, Status::Internal("the server sent a malformed runtime"));
  ctx.out << "space:    " << id << "\n"
          << "stage:    " << JsonString(rt, "stage") << "\n";
  if (std::string rung = JsonString(rt, "rung"); !rung.empty()) {
    ctx.out << "rung:     " << rung;
    if (auto w = rt.find("lastWakeMs"); w != rt.end() && w->is_number_integer()) {
      ctx.out << " (last wake " << w->get<int64_t>() << " ms)";
    }
    ctx.out << "\n";
  }
  if (std::string hw = HardwareText(rt); !hw.empty()) ctx.out << "hardware: " << hw << "\n";
  if (std::string sha = JsonString(rt, "sha"); !sha.empty()) ctx.out << "sha:      " << sha << "\n";
  std::vector<std::string> urls = AppUrls(ctx.session.url, id, rt);
  for (size_t i = 0; i < urls.size(); ++i) ctx.out << (i == 0 ? "app:      " : "          ") << urls[i] << "\n";
  if (std::string e = JsonString(rt, "errorMessage"); !e.empty()) ctx.out << "error:\n" << e << "\n";
  return kExitOk;
}

int Restart(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  bool factory = args.Has("factory");
  Result<ApiResponse> resp = ctx.Api().Call("POST", SpaceApiPath(id, factory ? "/restart?factory=true" : "/restart"));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << (factory ? "Rebuilding " : "Restarting ") << id << " (follow with: spaceport logs " << id
            << (factory ? " --build" : "") << " --follow)\n";
  }
  return kExitOk;
}

int Pause(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  Result<ApiResponse> resp = ctx.Api().Call("POST", SpaceApiPath(id, "/pause"));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << "Paused " << id << " (start it again with: spaceport restart " << id << ")\n";
  }
  return kExitOk;
}

int Delete(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  if (!args.Has("yes")) {
    ctx.err << "This deletes " << id << " with its repository, settings and logs.\n"
            << "Type the name (" << id << ") to confirm: " << std::flush;
    std::string answer;
    if (!ReadLine(ctx.in, &answer) || std::string(Trim(answer)) != id) {
      ctx.err << "\nerror: confirmation did not match; nothing was deleted\n";
      return kExitFailure;
    }
  }
  Result<ApiResponse> resp = ctx.Api().Call("DELETE", "/api/repos/delete", RepoBody(id));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << "Deleted " << id << "\n";
  }
  return kExitOk;
}

std::string SpacesQuery(const ParsedArgs& args) {
  std::vector<std::string> params;
  for (const char* key : {"author", "search", "limit", "sort"}) {
    if (auto v = args.Value(key)) params.push_back(std::string(key) + "=" + UrlEncode(*v));
  }
  if (auto tag = args.Value("tag")) params.push_back("filter=" + UrlEncode(*tag));
  return params.empty() ? "" : "?" + Join(params, "&");
}

bool IsTrue(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

void PrintSpacesTable(CliContext& ctx, const json& list) {
  if (list.empty()) {
    ctx.out << "No Spaces found.\n";
    return;
  }
  for (const json& s : list) {
    std::string id = JsonString(s, "id");
    id.resize(std::max<size_t>(id.size(), 32), ' ');
    std::string sdk = JsonString(s, "sdk");
    sdk.resize(std::max<size_t>(sdk.size(), 10), ' ');
    std::string stage = s.is_object() && s.contains("runtime") ? JsonString(s["runtime"], "stage") : "";
    int64_t likes = s.is_object() && s.contains("likes") && s["likes"].is_number_integer() ? s["likes"].get<int64_t>() : 0;
    ctx.out << id << " " << sdk << " " << likes << " likes" << (stage.empty() ? "" : "  " + stage)
            << (IsTrue(s, "private") ? "  private" : "") << "\n";
  }
}

int Spaces(CliContext& ctx, const ParsedArgs& args) {
  if (auto limit = args.Value("limit")) {
    std::optional<int64_t> n = ParseInt(*limit);
    if (!n || *n <= 0) return UsageFailure(ctx, "--limit must be a positive number");
  }
  Result<ApiResponse> resp = ctx.Api().Get("/api/spaces" + SpacesQuery(args));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  if (!resp->body.is_array()) return Fail(ctx, Status::Internal("the server sent a malformed Space list"));
  PrintSpacesTable(ctx, resp->body);
  return kExitOk;
}

}  // namespace

std::vector<Command> SpaceCommands() {
  return {
      {"create", "create OWNER/NAME --sdk static|gradio|streamlit|docker|process [--private] [--hardware H]",
       "create a Space",
       "  --sdk S       how the app runs: static, gradio, streamlit, docker or process\n"
       "  --private     only you (and your organization) can see it\n"
       "  --hardware H  hardware flavor, e.g. cpu-basic\n",
       {{"sdk", true}, {"private", false}, {"hardware", true}}, 1, 1, Create},
      {"status", "status OWNER/NAME", "show a Space's stage, hardware, commit and URLs", "", {}, 1, 1, StatusCmd},
      {"restart", "restart OWNER/NAME [--factory]", "restart a Space (--factory: rebuild without caches)",
       "  --factory   rebuild from scratch instead of restarting the current build\n", {{"factory", false}}, 1, 1,
       Restart},
      {"pause", "pause OWNER/NAME", "stop a Space until it is restarted", "", {}, 1, 1, Pause},
      {"delete", "delete OWNER/NAME [--yes]", "delete a Space and its repository",
       "  --yes       do not ask for confirmation\n", {{"yes", false}}, 1, 1, Delete},
      {"spaces", "spaces [--author A] [--search S] [--tag T] [--sort createdAt|lastModified|likes] [--limit N]",
       "list Spaces",
       "  --author A  only Spaces of this user or organization\n"
       "  --search S  full-text search\n"
       "  --tag T     only Spaces with this tag (or sdk)\n"
       "  --sort S    createdAt (default), lastModified or likes, newest/most first\n"
       "  --limit N   at most N results\n",
       {{"author", true}, {"search", true}, {"tag", true}, {"sort", true}, {"limit", true}}, 0, 0, Spaces},
  };
}

}  // namespace spaceport::cli
