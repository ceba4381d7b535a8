#include "cli/git_push.h"

#include <sys/stat.h>

#include "cli/args.h"
#include "core/strings.h"

namespace spaceport::cli {
namespace {

Result<CommandResult> Git(const CommandRunner& run, const std::string& dir, std::vector<std::string> args) {
  CommandOptions o;
  o.argv = {"git", "-C", dir};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env["GIT_TERMINAL_PROMPT"] = "0";
  o.timeout = Millis(60000);
  Result<CommandResult> r = run(o);
  if (!r.ok()) return r.status().WithContext("running git (is git installed?)");
  return r;
}

}  // namespace

Result<std::string> GitHeadCommit(const CommandRunner& run, const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::NotFound(dir + " is not a directory");
  }
  ASSIGN_OR_RETURN(CommandResult inside, Git(run, dir, {"rev-parse", "--is-inside-work-tree"}));
  if (!inside.ok() || std::string(Trim(inside.stdout_data)) != "true") {
    return Status::FailedPrecondition(dir + " is not a git repository (run `git init`, then commit your app)");
  }
  ASSIGN_OR_RETURN(CommandResult head, Git(run, dir, {"rev-parse", "--verify", "-q", "HEAD^{commit}"}));
  std::string sha(Trim(head.stdout_data));
  if (!head.ok() || sha.empty()) {
    return Status::FailedPrecondition("the git repository in " + dir +
                                      " has no commits yet (git add . && git commit -m 'First version')");
  }
  return sha;
}

std::optional<std::string> SpaceIdFromUrl(std::string_view url) {
  size_t at = url.find("/spaces/");
  if (at == std::string_view::npos) return std::nullopt;
  std::string id(url.substr(at + std::string_view("/spaces/").size()));
  while (EndsWith(id, "/")) id.pop_back();
  if (EndsWith(id, ".git")) id.resize(id.size() - 4);
  if (!IsValidSpaceId(id)) return std::nullopt;
  return id;
}

Result<std::optional<std::string>> SpaceFromRemote(const CommandRunner& run, const std::string& dir) {
  ASSIGN_OR_RETURN(CommandResult r, Git(run, dir, {"remote", "get-url", "spaceport"}));
  if (!r.ok()) return std::optional<std::string>();
  std::string url(Trim(r.stdout_data));
  std::optional<std::string> id = SpaceIdFromUrl(url);
  if (!id) {
    return Status::InvalidArgument("the git remote 'spaceport' (" + url +
                                   ") is not a Space URL like http://HOST:PORT/spaces/OWNER/NAME");
  }
  return id;
}

Status GitPush(const CommandRunner& run, const PushRequest& req) {
  CommandOptions o;
  o.argv = {"git", "-C", req.dir, "push", req.url, "HEAD:refs/heads/main"};
  o.env["GIT_TERMINAL_PROMPT"] = "0";
  o.env["GIT_CONFIG_COUNT"] = "1";
  o.env["GIT_CONFIG_KEY_0"] = "http.extraHeader";
  o.env["GIT_CONFIG_VALUE_0"] = "Authorization: Basic " + Base64Encode(req.user + ":" + req.token);
  o.on_output = req.on_output;
  o.merge_stderr = true;
  o.max_output = 1 << 20;
  Result<CommandResult> r = run(o);
  if (!r.ok()) return r.status().WithContext("running git push (is git installed?)");
  if (!r->ok()) {
    return Status::Internal("git push to " + req.url + " failed (exit " + std::to_string(r->exit_code) + ")");
  }
  return Status::Ok();
}

}  // namespace spaceport::cli
