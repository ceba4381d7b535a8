// The git side of `spaceport push`: inspect a work tree and push its HEAD to
// a Space over smart HTTP.
//
// Every git call goes through the injected CommandRunner (core/subprocess.h
// in production), so tests can observe or replace it. The token travels to
// git in the environment (GIT_CONFIG_COUNT/KEY/VALUE, the same as `git -c
// http.extraHeader=...` but invisible in the process list); it is never
// written to .git/config and never printed.
// Failure: messages say what is wrong with the directory and what to do.
// Thread safety: plain functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/subprocess.h"

namespace spaceport::cli {

using CommandRunner = std::function<Result<CommandResult>(const CommandOptions&)>;

// The commit at HEAD of the work tree `dir`. Errors: dir missing, not a git
// repository, no commits yet.
Result<std::string> GitHeadCommit(const CommandRunner& run, const std::string& dir);

// The Space named by the "spaceport" remote of `dir`; nullopt when there is
// no such remote. Error when the remote is not a Space URL.
Result<std::optional<std::string>> SpaceFromRemote(const CommandRunner& run, const std::string& dir);

// "http://h:8080/spaces/alice/demo(.git)(/)" -> "alice/demo".
std::optional<std::string> SpaceIdFromUrl(std::string_view url);

struct PushRequest {
  std::string dir;
  std::string url;  // http://host:port/spaces/owner/name
  std::string user;
  std::string token;
  std::function<void(std::string_view)> on_output;  // git's progress and messages
};

// git push URL HEAD:refs/heads/main. Error when git fails (its output has
// already gone to on_output).
Status GitPush(const CommandRunner& run, const PushRequest& request);

}  // namespace spaceport::cli
