// secrets set|list|rm and vars set|list|rm: the same shape on two endpoints.
#include <cctype>
#include <istream>
#include <iterator>
#include <ostream>

#include "cli/command.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

struct SettingKind {
  std::string command;   // "secrets"
  std::string endpoint;  // "/secrets"
  std::string noun;      // "secret"
  bool show_values;      // secret values are write-only
};

bool IsValidKey(const std::string& key) {
  if (key.empty() || key.size() > 256 || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (unsigned char c : key) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

// The value from stdin: one line when interactive, else everything piped in
// (multi-line secrets such as keys work) minus one trailing newline.
std::string ReadValue(CliContext& ctx, const std::string& key) {
  std::string value;
  if (ctx.tty) {
    ctx.err << "Value for " << key << ": " << std::flush;
    ReadLine(ctx.in, &value);
    return value;
  }
  value.assign(std::istreambuf_iterator<char>(ctx.in), std::istreambuf_iterator<char>());
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  return value;
}

bool KeyArg(CliContext& ctx, const ParsedArgs& args, std::string* key) {
  *key = args.positional.size() > 1 ? args.positional[1] : "";
  if (IsValidKey(*key)) return true;
  UsageFailure(ctx, "invalid key '" + *key + "' (letters, digits and _, not starting with a digit)");
  return false;
}

int Set(const SettingKind& kind, CliContext& ctx, const ParsedArgs& args) {
  std::string id, key;
  if (!SpaceIdArg(ctx, args, 0, &id) || !KeyArg(ctx, args, &key)) return kExitUsage;
  std::string value = args.positional.size() > 2 ? args.positional[2] : ReadValue(ctx, key);
  json body = {{"key", key}, {"value", value}};
  Result<ApiResponse> resp = ctx.Api().Call("POST", SpaceApiPath(id, kind.endpoint), body);
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << "Set " << kind.noun << " " << key << " on " << id << " (takes effect at the next restart)\n";
  }
  return kExitOk;
}

// Accepts {"KEY": {...}|"value"} and [{"key": ..., "value": ...}].
std::vector<std::pair<std::string, std::string>> Entries(const json& body) {
  std::vector<std::pair<std::string, std::string>> out;
  if (body.is_object()) {
    for (const auto& [k, v] : body.items()) {
      out.emplace_back(k, v.is_string() ? v.get<std::string>() : JsonString(v, "value"));
    }
  } else if (body.is_array()) {
    for (const json& e : body) {
      if (std::string k = JsonString(e, "key"); !k.empty()) out.emplace_back(k, JsonString(e, "value"));
    }
  }
  return out;
}

int List(const SettingKind& kind, CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  Result<ApiResponse> resp = ctx.Api().Get(SpaceApiPath(id, kind.endpoint));
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  auto entries = Entries(resp->body);
  if (entries.empty()) ctx.out << "No " << kind.command << " set on " << id << ".\n";
  for (const auto& [k, v] : entries) {
    ctx.out << k << (kind.show_values ? "=" + v : "") << "\n";
  }
  return kExitOk;
}

int Remove(const SettingKind& kind, CliContext& ctx, const ParsedArgs& args) {
  std::string id, key;
  if (!SpaceIdArg(ctx, args, 0, &id) || !KeyArg(ctx, args, &key)) return kExitUsage;
  Result<ApiResponse> resp = ctx.Api().Call("DELETE", SpaceApiPath(id, kind.endpoint), json{{"key", key}});
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
  } else {
    ctx.out << "Removed " << kind.noun << " " << key << " from " << id << "\n";
  }
  return kExitOk;
}

void AddGroup(const SettingKind& kind, std::vector<Command>& out) {
  const std::string& c = kind.command;
  out.push_back({c + " set", c + " set OWNER/NAME KEY [VALUE]",
                 "set a " + kind.noun + " (VALUE read from stdin when omitted)",
                 "  VALUE is read from stdin when omitted, which keeps it out of shell history.\n", {}, 2, 3,
                 [kind](CliContext& ctx, const ParsedArgs& a) { return Set(kind, ctx, a); }});
  out.push_back({c + " list", c + " list OWNER/NAME",
                 kind.show_values ? "list variables and their values" : "list secret names (values are write-only)",
                 "", {}, 1, 1, [kind](CliContext& ctx, const ParsedArgs& a) { return List(kind, ctx, a); }});
  out.push_back({c + " rm", c + " rm OWNER/NAME KEY", "remove a " + kind.noun, "", {}, 2, 2,
                 [kind](CliContext& ctx, const ParsedArgs& a) { return Remove(kind, ctx, a); }});
}

}  // namespace

std::vector<Command> SettingsCommands() {
  std::vector<Command> out;
  AddGroup({"secrets", "/secrets", "secret", false}, out);
  AddGroup({"vars", "/variables", "variable", true}, out);
  return out;
}

}  // namespace spaceport::cli
