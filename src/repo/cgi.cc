#include "repo/cgi.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/subprocess.h"
#include "core/strings.h"

namespace spaceport::repo {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxStderrBytes = 8 * 1024;
constexpr size_t kChunk = 64 * 1024;

// Blocks SIGPIPE on this thread while a CGI exchange runs, so writing to a
// child that exited early fails with EPIPE instead of killing the process.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

using Child = SpawnedChild;

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The CGI program with exactly the request's environment (no inherited one).
Result<Child> Spawn(const CgiRun& run) {
  if (run.argv.empty()) return Status::InvalidArgument("empty CGI command");
  std::vector<std::string> env;
  for (const auto& [k, v] : run.env) env.push_back(k + "=" + v);
  return SpawnWithPipes(run.argv, "", env);
}

// The state of one exchange, advanced by poll events.
class Exchange {
 public:
  Exchange(Child child, http::BodyReader& body, http::ResponseWriter& out)
      : child_(child), body_(body), out_(out) {}

  Result<int> Run() {
    while (child_.out >= 0 || child_.err >= 0) {
      if (!FillPending()) Abort("reading the request body failed");
      pollfd fds[3];
      int n = 0, i_in = -1, i_out = -1, i_err = -1;
      if (child_.in >= 0 && offset_ < pending_.size()) { i_in = n; fds[n++] = {child_.in, POLLOUT, 0}; }
      if (child_.out >= 0) { i_out = n; fds[n++] = {child_.out, POLLIN, 0}; }
      if (child_.err >= 0) { i_err = n; fds[n++] = {child_.err, POLLIN, 0}; }
      int r = poll(fds, n, 1000);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        Abort("poll failed");
        break;
      }
      if (i_in >= 0 && fds[i_in].revents) WriteStdin();
      if (i_out >= 0 && fds[i_out].revents) ReadStdout();
      if (i_err >= 0 && fds[i_err].revents) ReadStderr();
      if (out_.started() && out_.ClientGone()) Abort("client went away");
    }
    return Finish();
  }

 private:
  // Keeps one chunk of the request body ready for the child's stdin.
  bool FillPending() {
    if (child_.in < 0 || body_done_ || offset_ < pending_.size()) return true;
    pending_.resize(kChunk);
    Result<size_t> got = body_.Read(pending_.data(), pending_.size());
    if (!got.ok()) {
      pending_.clear();
      offset_ = 0;
      return false;
    }
    pending_.resize(*got);
    offset_ = 0;
    if (*got == 0) {
      body_done_ = true;
      CloseFd(child_.in);
    }
    return true;
  }

  void WriteStdin() {
    ssize_t w = write(child_.in, pending_.data() + offset_, pending_.size() - offset_);
    if (w > 0) {
      offset_ += static_cast<size_t>(w);
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      // The program stopped reading (it answers without the rest of the body).
      CloseFd(child_.in);
      body_done_ = true;
    }
  }

  void ReadStdout() {
    char buf[kChunk];
    ssize_t got = read(child_.out, buf, sizeof buf);
    if (got < 0 && errno == EINTR) return;
    if (got <= 0) {
      CloseFd(child_.out);
      return;
    }
    if (aborted_) return;  // drain and drop
    std::string_view chunk(buf, static_cast<size_t>(got));
    if (!out_.started()) {
      head_buf_.append(chunk);
      auto end = FindCgiHeaderEnd(head_buf_);
      if (!end) {
        if (head_buf_.size() > kMaxHeadBytes) Abort("CGI header block too large");
        return;
      }
      Result<CgiHead> head = ParseCgiHead(std::string_view(head_buf_).substr(0, *end));
      if (!head.ok()) return Abort(head.status().message());
      head_status_ = head->status;
      if (!out_.Start(head->status, head->headers).ok()) return Abort("client went away");
      chunk = std::string_view(head_buf_).substr(*end);
    }
    if (!chunk.empty() && !out_.Write(chunk).ok()) Abort("client went away");
  }

  void ReadStderr() {
    char buf[4096];
    ssize_t got = read(child_.err, buf, sizeof buf);
    if (got < 0 && errno == EINTR) return;
    if (got <= 0) {
      CloseFd(child_.err);
      return;
    }
    if (stderr_.size() < kMaxStderrBytes) stderr_.append(buf, static_cast<size_t>(got));
  }

  void Abort(std::string why) {
    if (aborted_) return;
    aborted_ = true;
    why_ = std::move(why);
    kill(-child_.pid, SIGKILL);
    CloseFd(child_.in);
    body_done_ = true;
  }

  Result<int> Finish() {
    CloseFd(child_.in);
    int wstatus = 0;
    while (waitpid(child_.pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    bool exited_ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (!stderr_.empty()) {
      SP_LOG(kWarn) << "git http-backend: " << Trim(stderr_);
    }
    if (aborted_) return Status::Internal("CGI exchange aborted: " + why_);
    if (!out_.started()) return Status::Internal("CGI program wrote no response: " + std::string(Trim(stderr_)));
    if (!exited_ok) return Status::Internal("CGI program failed: " + std::string(Trim(stderr_)));
    return head_status_;
  }

  Child child_;
  http::BodyReader& body_;
  http::ResponseWriter& out_;
  std::string pending_;
  size_t offset_ = 0;
  bool body_done_ = false;
  std::string head_buf_;
  int head_status_ = 0;
  std::string stderr_;
  bool aborted_ = false;
  std::string why_;
};

}  // namespace

std::optional<size_t> FindCgiHeaderEnd(std::string_view buf) {
  size_t pos = 0;
  while (pos < buf.size()) {
    size_t nl = buf.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = buf.substr(pos, nl - pos);
    if (line.empty() || line == "\r") return nl + 1;
    pos = nl + 1;
  }
  return std::nullopt;
}

Result<CgiHead> ParseCgiHead(std::string_view block) {
  CgiHead head;
  for (std::string line : Split(block, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) return Status::InvalidArgument("malformed CGI header line");
    std::string name(Trim(std::string_view(line).substr(0, colon)));
    std::string value(Trim(std::string_view(line).substr(colon + 1)));
    if (EqualsIgnoreCase(name, "Status")) {
      auto code = ParseInt(std::string_view(value).substr(0, value.find(' ')));
      if (!code || *code < 100 || *code > 599) return Status::InvalidArgument("bad CGI Status '" + value + "'");
      head.status = static_cast<int>(*code);
      continue;
    }
    // Framing is the server's business.
    if (EqualsIgnoreCase(name, "Transfer-Encoding") || EqualsIgnoreCase(name, "Connection")) continue;
    head.headers.Add(std::move(name), std::move(value));
  }
  return head;
}

Result<int> RunCgi(const CgiRun& run, http::BodyReader& body, http::ResponseWriter& out) {
  SigpipeGuard guard;
  ASSIGN_OR_RETURN(Child child, Spawn(run));
  Exchange exchange(child, body, out);
  return exchange.Run();
}

}  // namespace spaceport::repo
