#include "cli/command.h"

#include <istream>
#include <ostream>

namespace spaceport::cli {

int Fail(CliContext& ctx, const Status& status) {
  ctx.err << "error: " << status.message() << "\n";
  return kExitFailure;
}

int UsageFailure(CliContext& ctx, std::string_view message) {
  ctx.err << "error: " << message << "\n";
  return kExitUsage;
}

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintJson(CliContext& ctx, const ApiResponse& response) {
  if (response.body.is_null() && !response.raw.empty()) {
    ctx.out << response.raw << (response.raw.back() == '\n' ? "" : "\n");
    return;
  }
  const nlohmann::json& j = response.body.is_null() ? nlohmann::json::object() : response.body;
  ctx.out << DumpJson(j, 2) << "\n";
}

bool SpaceIdArg(CliContext& ctx, const ParsedArgs& args, size_t index, std::string* id) {
  if (index >= args.positional.size()) {
    UsageFailure(ctx, "missing Space id (OWNER/NAME)");
    return false;
  }
  if (!IsValidSpaceId(args.positional[index])) {
    UsageFailure(ctx, "invalid Space id '" + args.positional[index] + "' (expected OWNER/NAME)");
    return false;
  }
  *id = args.positional[index];
  return true;
}

std::string SpaceApiPath(const std::string& id, std::string_view suffix) {
  return "/api/spaces/" + id + std::string(suffix);
}

std::vector<std::string> AppUrls(const std::string& base_url, const std::string& id,
                                 const nlohmann::json& runtime) {
  std::vector<std::string> urls = {base_url + "/spaces/" + id + "/app/"};
  if (!runtime.is_object()) return urls;
  auto domains = runtime.find("domains");
  if (domains == runtime.end() || !domains->is_array() || domains->empty()) return urls;
  std::string domain = JsonString((*domains)[0], "domain");
  if (domain.empty()) return urls;
  // The apps domain is served on the hub's port.
  std::string port;
  std::string_view rest = std::string_view(base_url).substr(std::string_view("http://").size());
  rest = rest.substr(0, rest.find('/'));
  if (size_t colon = rest.rfind(':'); colon != std::string_view::npos && rest.back() != ']') {
    port = std::string(rest.substr(colon + 1));
  }
  if (domain.find(':') != std::string::npos || port.empty() || port == "80") {
    urls.push_back("http://" + domain + "/");
  } else {
    urls.push_back("http://" + domain + ":" + port + "/");
  }
  return urls;
}

Status RequireToken(const CliContext& ctx) {
  if (!ctx.session.token.empty()) return Status::Ok();
  return Status::Unauthenticated("not logged in to " + ctx.session.url +
                                 " (run `spaceport login` or set SPACEPORT_TOKEN)");
}

bool ReadLine(std::istream& in, std::string* line) {
  if (!std::getline(in, *line)) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace spaceport::cli
