#include "build/launch_spec.h"

#include <nlohmann/json.hpp>

namespace spaceport::build {
namespace {

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& rel) {
  if (rel.empty()) return dir;
  if (dir.empty()) return rel;
  return dir.back() == '/' ? dir + rel : dir + "/" + rel;
}

std::map<std::string, std::string> BaseEnv(const std::string& venv_dir) {
  std::map<std::string, std::string> env;
  env["PYTHONUNBUFFERED"] = "1";
  if (venv_dir.empty()) {
    env["PATH"] = kSystemPath;
  } else {
    env["PATH"] = venv_dir + "/bin:" + kSystemPath;
    env["VIRTUAL_ENV"] = venv_dir;
  }
  return env;
}

// app_command as the app's argv: plain words (no quoting, variables, globs,
// redirections or other shell syntax) are exec'd as they are, which saves a
// shell per start; anything else runs under `sh -c`.
std::vector<std::string> CommandArgv(const std::string& command) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./=:@%+,").find(c) != std::string_view::npos;
  };
  std::vector<std::string> words;
  std::string word;
  for (char c : command) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else if (plain(c)) {
      word.push_back(c);
    } else {
      return {"sh", "-c", command};
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  // A first word with '=' would be an assignment to sh.
  if (words.empty() || words[0].find('=') != std::string::npos) return {"sh", "-c", command};
  return words;
}

}  // namespace

std::string AppFileFor(const card::Card& card) {
  if (!card.app_file.empty()) return card.app_file;
  return card.sdk == "static" ? "index.html" : "app.py";
}

Result<LaunchSpec> LaunchSpecFor(const card::Card& card, const std::string& app_dir, const std::string& python,
                                 const std::string& venv_dir) {
  if (card.sdk.empty()) return Status::InvalidArgument(kNoSdkMessage);
  LaunchSpec spec;
  spec.sdk = card.sdk;
  spec.cwd = app_dir;
  spec.app_port = card.AppPortOr(card::kDefaultAppPort);
  spec.startup_timeout = Millis(card.StartupTimeoutSeconds() * 1000);
  spec.card_json = card.ToJson();
  spec.sleep_freeze = card.sleep_freeze.value_or(true);
  if (card.sleep_freeze_after_seconds) spec.freeze_after = Millis(*card.sleep_freeze_after_seconds * 1000);
  spec.title = card.title;
  spec.disable_embedding = card.disable_embedding;
  spec.embed_allow = card.embed_allow;
  if (card.pricing && card.pricing->metered()) spec.pricing = std::make_shared<const billing::Pricing>(*card.pricing);
  if (card.sdk == "static") {
    spec.is_static = true;
    spec.static_root = JoinPath(app_dir, DirOf(card.app_file));
    return spec;
  }
  spec.env = BaseEnv(venv_dir);
  const std::string app_file = AppFileFor(card);
  if (card.sdk == "gradio") {
    spec.argv = {python, app_file};
    spec.env["GRADIO_SERVER_NAME"] = "127.0.0.1";
    spec.env["GRADIO_SERVER_PORT"] = "{PORT}";
  } else if (card.sdk == "streamlit") {
    spec.argv = {python,          "-m",        "streamlit", "run",   app_file, "--server.port", "{PORT}",
                 "--server.address", "127.0.0.1", "--server.headless", "true"};
  } else if (card.sdk == "process") {
    if (card.app_command.empty()) {
      return Status::InvalidArgument(
          "README.md: app_command: required for sdk process (the command that starts the app, listening on "
          "$PORT)");
    }
    spec.argv = CommandArgv(card.app_command);
  } else if (card.sdk != "docker") {
    return Status::InvalidArgument("README.md: sdk: unsupported sdk \"" + card.sdk + "\"");
  }
  return spec;
}

namespace {
constexpr int kLaunchFormat = 1;
}  // namespace

std::string LaunchSpecToJson(const LaunchSpec& spec) {  // "" when a field is not UTF-8
  nlohmann::json j = {
      {"format", kLaunchFormat},
      {"sdk", spec.sdk},
      {"is_static", spec.is_static},
      {"static_root", spec.static_root},
      {"argv", spec.argv},
      {"env", spec.env},
      {"cwd", spec.cwd},
      {"app_port", spec.app_port},
      {"health_path", spec.health_path},
      {"startup_timeout_ms", spec.startup_timeout.count()},
      {"card_json", spec.card_json},
      {"sleep_freeze", spec.sleep_freeze},
      {"title", spec.title},
      {"disable_embedding", spec.disable_embedding},
      {"embed_allow", spec.embed_allow},
      {"image", spec.image},
      {"image_user", spec.image_user},
      {"image_writable_root", spec.image_writable_root},
  };
  if (spec.freeze_after) j["freeze_after_ms"] = spec.freeze_after->count();
  try {
    return j.dump();  // strict: text that is not UTF-8 must not come back altered
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

Result<LaunchSpec> LaunchSpecFromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("launch file: not a JSON object");
  auto format = j.find("format");
  if (format == j.end() || !format->is_number_integer() || format->get<int64_t>() != kLaunchFormat) {
    return Status::InvalidArgument("launch file: unknown format");
  }
  LaunchSpec spec;
  try {
    spec.sdk = j.at("sdk").get<std::string>();
    spec.is_static = j.at("is_static").get<bool>();
    spec.static_root = j.at("static_root").get<std::string>();
    spec.argv = j.at("argv").get<std::vector<std::string>>();
    spec.env = j.at("env").get<std::map<std::string, std::string>>();
    spec.cwd = j.at("cwd").get<std::string>();
    spec.app_port = j.at("app_port").get<int>();
    spec.health_path = j.at("health_path").get<std::string>();
    spec.startup_timeout = Millis(j.at("startup_timeout_ms").get<int64_t>());
    spec.card_json = j.at("card_json").get<std::string>();
    spec.sleep_freeze = j.at("sleep_freeze").get<bool>();
    if (j.contains("freeze_after_ms")) spec.freeze_after = Millis(j.at("freeze_after_ms").get<int64_t>());
    spec.title = j.at("title").get<std::string>();
    spec.disable_embedding = j.at("disable_embedding").get<bool>();
    spec.embed_allow = j.at("embed_allow").get<std::vector<std::string>>();
    // Launch files written before Docker Spaces ran have neither.
    spec.image = j.value("image", std::string());
    spec.image_user = j.value("image_user", std::string());
    spec.image_writable_root = j.value("image_writable_root", false);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("launch file: ") + e.what());
  }
  // The pricing of the card it was built from, checked again.
  Result<std::optional<billing::Pricing>> pricing =
      card::PricingOfCardJson(nlohmann::json::parse(spec.card_json, nullptr, /*allow_exceptions=*/false));
  if (!pricing.ok()) return Status::InvalidArgument("launch file: " + pricing.status().message());
  if (*pricing && (*pricing)->metered()) spec.pricing = std::make_shared<const billing::Pricing>(**pricing);
  return spec;
}

}  // namespace spaceport::build
