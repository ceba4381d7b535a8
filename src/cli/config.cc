#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/strings.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

std::string EnvGet(const Env& env, const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// mkdir -p with 0700 for the directories it creates.
Status MakeDirs(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return Status::Ok();
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? Status::Ok() : Status::FailedPrecondition(dir + " is not a directory");
  }
  RETURN_IF_ERROR(MakeDirs(ParentDir(dir)));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("cannot create " + dir + ": " + strerror(errno));
  }
  return Status::Ok();
}

Result<ClientConfig> ParseConfig(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("config file " + path + " is not a JSON object");
  ClientConfig config;
  if (auto it = j.find("url"); it != j.end() && it->is_string()) config.url = it->get<std::string>();
  auto logins = j.find("logins");
  if (logins == j.end() || !logins->is_object()) return config;
  for (const auto& [url, entry] : logins->items()) {
    if (!entry.is_object()) continue;
    StoredLogin login;
    if (auto t = entry.find("token"); t != entry.end() && t->is_string()) login.token = t->get<std::string>();
    if (auto u = entry.find("user"); u != entry.end() && u->is_string()) login.user = u->get<std::string>();
    if (!login.token.empty()) config.logins[url] = login;
  }
  return config;
}

std::string SerializeConfig(const ClientConfig& config) {
  json logins = json::object();
  for (const auto& [url, login] : config.logins) logins[url] = {{"token", login.token}, {"user", login.user}};
  json j = {{"url", config.url}, {"logins", logins}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Internal(std::string("write: ") + strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

std::string ConfigPath(const Env& env) {
  if (std::string p = EnvGet(env, "SPACEPORT_CONFIG"); !p.empty()) return p;
  if (std::string x = EnvGet(env, "XDG_CONFIG_HOME"); !x.empty()) return x + "/spaceport/config.json";
  if (std::string h = EnvGet(env, "HOME"); !h.empty()) return h + "/.config/spaceport/config.json";
  return "";
}

Result<ClientConfig> LoadConfig(const std::string& path) {
  if (path.empty()) return ClientConfig{};
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (errno == ENOENT) return ClientConfig{};
    return Status::Internal("cannot read config file " + path + ": " + strerror(errno));
  }
  std::ostringstream text;
  text << f.rdbuf();
  return ParseConfig(text.str(), path);
}

Status SaveConfig(const std::string& path, const ClientConfig& config) {
  if (path.empty()) return Status::FailedPrecondition("no config location: set HOME or SPACEPORT_CONFIG");
  RETURN_IF_ERROR(MakeDirs(ParentDir(path)));
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp + ": " + strerror(errno));
  // O_CREAT's mode is filtered by the umask and ignored for an existing file.
  Status s = fchmod(fd, 0600) == 0 ? Status::Ok() : Status::Internal(std::string("chmod: ") + strerror(errno));
  if (s.ok()) s = WriteAll(fd, SerializeConfig(config));
  if (s.ok() && fsync(fd) != 0) s = Status::Internal(std::string("fsync: ") + strerror(errno));
  close(fd);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::Internal("cannot replace " + path + ": " + strerror(errno));
  }
  if (!s.ok()) unlink(tmp.c_str());
  return s.WithContext("saving config");
}

Result<std::string> NormalizeUrl(std::string_view url) {
  std::string u(Trim(url));
  while (EndsWith(u, "/")) u.pop_back();
  if (!StartsWith(u, "http://") || u.size() <= 7) {
    return Status::InvalidArgument("server URL must look like http://HOST:PORT, got '" + u + "'");
  }
  return u;
}

Result<Session> ResolveSession(const Env& env) {
  Session session;
  session.config_path = ConfigPath(env);
  std::string env_url = EnvGet(env, "SPACEPORT_URL");
  std::string env_token = EnvGet(env, "SPACEPORT_TOKEN");
  Result<ClientConfig> config = LoadConfig(session.config_path);
  if (!config.ok() && env_token.empty()) return config.status();
  std::string url = env_url;
  if (url.empty() && config.ok()) url = config->url;
  if (url.empty()) url = kDefaultUrl;
  ASSIGN_OR_RETURN(session.url, NormalizeUrl(url));
  if (!env_token.empty()) {
    session.token = env_token;
    return session;
  }
  if (auto it = config->logins.find(session.url); it != config->logins.end()) {
    session.token = it->second.token;
    session.user = it->second.user;
  }
  return session;
}

}  // namespace spaceport::cli
