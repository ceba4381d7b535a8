#include "repo/git_batch.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/strings.h"
#include "core/subprocess.h"

namespace spaceport::repo {
namespace {

constexpr size_t kChunk = 64 << 10;

}  // namespace

Result<std::unique_ptr<GitBatch>> GitBatch::Start(const std::string& git_dir, Millis timeout) {
  std::vector<std::string> env = {"GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "LANG=C"};
  if (const char* path = getenv("PATH")) env.push_back(std::string("PATH=") + path);
  if (const char* home = getenv("HOME")) env.push_back(std::string("HOME=") + home);
  ASSIGN_OR_RETURN(SpawnedChild child,
                   SpawnWithPipes({"git", "--git-dir=" + git_dir, "cat-file", "--batch-command"}, "", env));
  return std::unique_ptr<GitBatch>(new GitBatch(child.pid, child.in, child.out, child.err, timeout));
}

GitBatch::~GitBatch() {
  close(in_);  // git ends at EOF on stdin...
  if (!broken_.ok() || pos_ < buf_.size()) kill(pid_, SIGKILL);  // ...or now, mid-answer
  close(out_);
  close(err_);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Status GitBatch::Broken(Status why) {
  if (broken_.ok()) broken_ = why;
  return why;
}

Status GitBatch::Send(std::string_view command) {
  RETURN_IF_ERROR(broken_);
  if (command.find('\n') != std::string_view::npos || command.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("object names may not hold a newline or NUL");
  }
  std::string line = std::string(command) + "\n";
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = write(in_, rest.data(), rest.size());
    if (n > 0) {
      rest.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{in_, POLLOUT, 0};
      if (poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) {
        return Broken(Status::Unavailable("git cat-file does not take commands"));
      }
      continue;
    }
    return Broken(Status::Internal(std::string("writing to git cat-file: ") + strerror(errno)));
  }
  return Status::Ok();
}

Status GitBatch::Fill() {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  char tmp[kChunk];
  while (true) {
    pollfd p{out_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(timeout_.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return Broken(Status::Unavailable("git cat-file did not answer in time"));
    ssize_t n = read(out_, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      char err[512];
      pollfd pe{err_, POLLIN, 0};
      ssize_t e = poll(&pe, 1, 100) > 0 ? read(err_, err, sizeof err) : 0;
      return Broken(Status::Internal("git cat-file ended: " +
                                     std::string(Trim(std::string_view(err, e > 0 ? static_cast<size_t>(e) : 0)))));
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return Status::Ok();
  }
}

Result<std::string> GitBatch::ReadLine() {
  while (true) {
    size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      std::string line = buf_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      return line;
    }
    // A "missing" answer echoes the object name: a commit id, ':' and a path
    // of up to 4096 bytes.
    if (buf_.size() - pos_ > 16384) return Broken(Status::Internal("git cat-file answered out of protocol"));
    RETURN_IF_ERROR(Fill());
  }
}

// "<oid> <type> <size>", or "<object> missing" / "<object> ambiguous".
Result<GitObject> GitBatch::ParseHeader(std::string_view object) {
  ASSIGN_OR_RETURN(std::string line, ReadLine());
  if (line.ends_with(" missing") || line.ends_with(" ambiguous") || line.ends_with(" submodule")) return GitObject{};
  std::vector<std::string> parts = Split(line, ' ');
  std::optional<int64_t> size = parts.size() == 3 ? ParseInt(parts[2]) : std::nullopt;
  if (!size || *size < 0) return Broken(Status::Internal("git cat-file answered out of protocol: " + line.substr(0, 100)));
  return GitObject{parts[0], parts[1], *size};
}

Result<GitObject> GitBatch::Info(std::string_view object) {
  RETURN_IF_ERROR(Send("info " + std::string(object)));
  return ParseHeader(object);
}

Status GitBatch::Contents(std::string_view oid, uint64_t skip, uint64_t take,
                          const std::function<Status(std::string_view)>& sink) {
  RETURN_IF_ERROR(Send("contents " + std::string(oid)));
  ASSIGN_OR_RETURN(GitObject obj, ParseHeader(oid));
  if (obj.type.empty()) return Status::NotFound("object " + std::string(oid) + " missing");
  uint64_t left = static_cast<uint64_t>(obj.size) + 1;  // the bytes, then "\n"
  uint64_t at = 0;
  while (left > 0) {
    if (pos_ == buf_.size()) RETURN_IF_ERROR(Fill());
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf_.size() - pos_));
    std::string_view piece(buf_.data() + pos_, n);
    pos_ += n;
    left -= n;
    if (left == 0) piece.remove_suffix(1);  // the closing newline
    // The part of [skip, skip + take) in this piece.
    uint64_t begin = std::max(at, skip), end = std::min(at + piece.size(), skip + take);
    if (begin < end) {
      Status sent = sink(piece.substr(static_cast<size_t>(begin - at), static_cast<size_t>(end - begin)));
      if (!sent.ok()) return Broken(sent);
    }
    at += piece.size();
  }
  return Status::Ok();
}

Result<std::string> GitBatch::ReadSmall(std::string_view oid, size_t max) {
  ASSIGN_OR_RETURN(GitObject obj, Info(oid));
  if (obj.type.empty()) return Status::NotFound("object " + std::string(oid) + " missing");
  if (static_cast<uint64_t>(obj.size) > max) return Status::InvalidArgument("object " + std::string(oid) + " is too large");
  std::string out;
  RETURN_IF_ERROR(Contents(obj.oid, 0, max, [&out](std::string_view piece) {
    out.append(piece);
    return Status::Ok();
  }));
  return out;
}

}  // namespace spaceport::repo
