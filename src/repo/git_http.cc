#include "repo/git_http.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "core/log.h"
#include "core/strings.h"
#include "repo/cgi.h"

namespace spaceport::repo {
namespace {

// Header values copied into the CGI environment: printable ASCII only, so a
// client cannot smuggle anything odd into git's environment.
std::string Sanitize(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 1024)) {
    if (c >= 0x20 && c < 0x7f) out.push_back(c);
  }
  return out;
}

void SendPlain(http::ResponseWriter& out, int status, std::string text) {
  if (out.started()) return;
  (void)out.Send(http::Response::Text(status, std::move(text) + "\n"));
}

std::map<std::string, std::string> CgiEnv(const std::string& project_root, const std::string& name,
                                          const std::string& git_path, const std::string& remote_user,
                                          const http::Request& request) {
  std::map<std::string, std::string> env;
  if (const char* path = getenv("PATH")) env["PATH"] = path;
  env["GIT_CONFIG_NOSYSTEM"] = "1";
  env["GATEWAY_INTERFACE"] = "CGI/1.1";
  env["SERVER_PROTOCOL"] = "HTTP/1.1";
  env["GIT_PROJECT_ROOT"] = project_root;
  env["PATH_INFO"] = "/" + name + ".git" + git_path;
  env["GIT_HTTP_EXPORT_ALL"] = "1";
  env["REQUEST_METHOD"] = Sanitize(request.method);
  env["QUERY_STRING"] = Sanitize(request.query);
  env["REMOTE_ADDR"] = Sanitize(request.remote_addr);
  if (!remote_user.empty()) {
    env["REMOTE_USER"] = Sanitize(remote_user);
    env["GIT_COMMITTER_NAME"] = Sanitize(remote_user);
    env["GIT_COMMITTER_EMAIL"] = Sanitize(remote_user) + "@spaceport";
  }
  const http::Headers& h = request.headers;
  if (auto v = h.Get("Content-Type")) env["CONTENT_TYPE"] = Sanitize(*v);
  if (auto v = h.Get("Content-Length")) {
    if (ParseInt(Trim(*v))) env["CONTENT_LENGTH"] = std::string(Trim(*v));
  }
  if (auto v = h.Get("Content-Encoding")) env["HTTP_CONTENT_ENCODING"] = Sanitize(*v);
  if (auto v = h.Get("Git-Protocol")) env["HTTP_GIT_PROTOCOL"] = Sanitize(*v);
  return env;
}

}  // namespace

GitOp ClassifyGitRequest(const std::string& method, const std::string& git_path, const std::string& query) {
  if (git_path == "/info/refs" && (method == "GET" || method == "HEAD")) {
    auto service = QueryParam(query, "service");
    if (service == "git-upload-pack") return GitOp::kFetch;
    if (service == "git-receive-pack") return GitOp::kPush;
    return GitOp::kNone;  // the dumb protocol is not offered
  }
  if (method != "POST") return GitOp::kNone;
  if (git_path == "/git-upload-pack") return GitOp::kFetch;
  if (git_path == "/git-receive-pack") return GitOp::kPush;
  return GitOp::kNone;
}

namespace {

// Reads and drops what is left of a refused request body (up to 64 MiB), so
// the client, still sending, reads the answer instead of a reset connection.
void DrainBody(http::BodyReader& body) {
  char buf[65536];
  int64_t left = 64LL << 20;
  while (left > 0) {
    Result<size_t> n = body.Read(buf, sizeof buf);
    if (!n.ok() || *n == 0) return;
    left -= static_cast<int64_t>(*n);
  }
}

// A request body read into an unlinked temp file, then read back.
class SpooledBody : public http::BodyReader {
 public:
  static Result<SpooledBody> From(http::BodyReader& body, int64_t limit, const std::string& path_prefix) {
    std::string path = path_prefix + "XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return Status::Internal("spooling a push: " + std::string(strerror(errno)));
    unlink(path.c_str());
    SpooledBody out(fd);
    char buf[65536];
    int64_t total = 0;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, body.Read(buf, sizeof buf));
      if (n == 0) break;
      total += static_cast<int64_t>(n);
      if (total > limit) return Status::PayloadTooLarge("push over the limit");
      if (!WriteAll(fd, buf, n)) return Status::Internal("spooling a push: " + std::string(strerror(errno)));
    }
    if (lseek(fd, 0, SEEK_SET) != 0) return Status::Internal("spooling a push: " + std::string(strerror(errno)));
    return out;
  }
  SpooledBody(SpooledBody&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  SpooledBody& operator=(SpooledBody&&) = delete;
  ~SpooledBody() override {
    if (fd_ >= 0) close(fd_);
  }
  Result<size_t> Read(char* buf, size_t cap) override {
    ssize_t n = read(fd_, buf, cap);
    if (n < 0) return Status::Internal("reading a spooled push: " + std::string(strerror(errno)));
    return static_cast<size_t>(n);
  }

 private:
  explicit SpooledBody(int fd) : fd_(fd) {}
  static bool WriteAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  int fd_;
};

}  // namespace

void GitHttpService::Serve(const std::string& owner, const std::string& name, const std::string& git_path,
                           const std::string& remote_user, const http::Request& request, http::BodyReader& body,
                           http::ResponseWriter& out,
                           const std::function<void(const std::string& new_main_sha)>& on_push,
                           int64_t max_body_bytes) {
  if (ClassifyGitRequest(request.method, git_path, request.query) == GitOp::kNone) {
    return SendPlain(out, 404, "not a git smart HTTP request");
  }
  if (!IsValidRepoName(owner) || !IsValidRepoName(name) || !repos_->Exists(owner, name)) {
    return SendPlain(out, 404, "repository not found");
  }
  bool receive = request.method == "POST" && git_path == "/git-receive-pack";
  std::string before;
  if (receive) {
    Result<std::string> sha = repos_->Resolve(owner, name, "refs/heads/main");
    if (sha.ok()) before = *sha;
  }
  std::string repo_path = repos_->PathOf(owner, name);
  CgiRun run;
  run.argv = {"git", "http-backend"};
  run.env = CgiEnv(repo_path.substr(0, repo_path.rfind('/')), name, git_path, remote_user, request);
  // git-http-backend answers before it has read the whole pack, so a body
  // cut off at the limit would end the exchange unexplained: a body of
  // unknown length is spooled (up to the limit) before git sees it.
  const std::string too_big = "this push is larger than the " + std::to_string(max_body_bytes >> 20) +
                              " MB the repository has left under its size limit";
  std::optional<int64_t> length;
  if (auto v = request.headers.Get("Content-Length")) length = ParseInt(*v);
  if (max_body_bytes > 0 && length && *length > max_body_bytes) {
    DrainBody(body);
    return SendPlain(out, 413, too_big);
  }
  std::optional<SpooledBody> spooled;
  if (max_body_bytes > 0 && !length) {
    Result<SpooledBody> s = SpooledBody::From(body, max_body_bytes, repo_path + ".incoming");
    if (!s.ok() && s.status().code() == StatusCode::kPayloadTooLarge) {
      DrainBody(body);
      return SendPlain(out, 413, too_big);
    }
    if (!s.ok()) return SendPlain(out, 500, s.status().message());
    spooled.emplace(std::move(s).value());
  }
  http::LimitedBodyReader limited(spooled ? static_cast<http::BodyReader&>(*spooled) : body,
                                  max_body_bytes > 0 ? max_body_bytes : INT64_MAX);
  Result<int> status = RunCgi(run, limited, out);
  if (!status.ok()) {
    SP_LOG(kWarn) << "git " << git_path << " for " << owner << "/" << name << ": " << status.status().message();
    return SendPlain(out, 500, "git failed");
  }
  if (!receive || *status != 200 || !on_push) return;
  Result<std::string> after = repos_->Resolve(owner, name, "refs/heads/main");
  if (after.ok() && *after != before) on_push(*after);
}

}  // namespace spaceport::repo
