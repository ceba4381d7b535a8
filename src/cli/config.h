// Where the client finds its server and credentials, and the stored logins.
//
// Resolution: the URL is SPACEPORT_URL, else the URL of the last login, else
// http://127.0.0.1:8080. The token is SPACEPORT_TOKEN, else the stored login
// for that exact URL (a token is never sent to a server it was not saved for).
// The config file is $SPACEPORT_CONFIG, else $XDG_CONFIG_HOME/spaceport/
// config.json, else $HOME/.config/spaceport/config.json. It is JSON
//   {"url": "...", "logins": {"<url>": {"token": "...", "user": "..."}}}
// and is written atomically with mode 0600 (its directory 0700).
// Failure: a missing file is an empty config; an unreadable or malformed one
// is an error naming the path. Thread safety: plain functions on values; two
// processes saving at once end with one of the two files, never a torn one.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/status.h"

namespace spaceport::cli {

inline constexpr char kDefaultUrl[] = "http://127.0.0.1:8080";

struct StoredLogin {
  std::string token;
  std::string user;
};

struct ClientConfig {
  std::string url;  // last login's URL; empty when none
  std::map<std::string, StoredLogin> logins;
};

// The resolved server and credentials of one invocation.
struct Session {
  std::string url;    // without a trailing slash
  std::string token;  // empty: anonymous
  std::string user;   // known user name for the token, may be empty
  std::string config_path;
};

using Env = std::map<std::string, std::string>;

// Empty when neither SPACEPORT_CONFIG, XDG_CONFIG_HOME nor HOME is set.
std::string ConfigPath(const Env& env);

Result<ClientConfig> LoadConfig(const std::string& path);
Status SaveConfig(const std::string& path, const ClientConfig& config);

// "http://h:1/" -> "http://h:1". Rejects anything but http:// URLs.
Result<std::string> NormalizeUrl(std::string_view url);

// Resolves url/token from env and the config file. A broken config file is
// an error only when it is actually needed (no SPACEPORT_TOKEN given).
Result<Session> ResolveSession(const Env& env);

}  // namespace spaceport::cli
