// GitHttpService: git smart HTTP (clone, fetch, push) for one repository,
// served by running `git http-backend` as a CGI program.
//
// The hub authenticates and authorizes first, then calls Serve with the
// decision already made (the service never looks at credentials). Request
// and response bodies are streamed through, never held whole in memory.
// After a successful receive-pack, on_push is called with the new sha of
// refs/heads/main if main moved.
// Thread safety: Serve may run concurrently for different requests.
#pragma once

#include <functional>
#include <string>

#include "http/handler.h"
#include "repo/repo_store.h"

namespace spaceport::repo {

enum class GitOp { kFetch, kPush, kNone };

// Which operation does a request under a repo URL ask for? `git_path` is the
// part after the repo prefix: "/info/refs" (with query service=...),
// "/git-upload-pack", "/git-receive-pack". kNone: not a git request.
GitOp ClassifyGitRequest(const std::string& method, const std::string& git_path, const std::string& query);

class GitHttpService {
 public:
  explicit GitHttpService(RepoStore* repos) : repos_(repos) {}

  // Streams the exchange. `remote_user` is the authenticated user name (for
  // the reflog), `git_path` as for ClassifyGitRequest. A request body past
  // `max_body_bytes` (0: no limit) ends the exchange with 413 (the room a
  // repo has left under its size limit, for pushes).
  void Serve(const std::string& owner, const std::string& name, const std::string& git_path,
             const std::string& remote_user, const http::Request& request, http::BodyReader& body,
             http::ResponseWriter& out, const std::function<void(const std::string& new_main_sha)>& on_push,
             int64_t max_body_bytes = 0);

 private:
  RepoStore* repos_;
};

}  // namespace spaceport::repo
