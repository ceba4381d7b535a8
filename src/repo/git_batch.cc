#include "repo/git_batch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/strings.h"
#include "core/subprocess.h"

namespace spaceport::repo {
namespace {

constexpr size_t kChunk = 64 << 10;

}  // namespace

Status CheckGitVersionText(std::string_view version_output) {
  std::string_view text = Trim(version_output);
  constexpr std::string_view kPrefix = "git version ";
  std::vector<std::string> parts;
  if (text.starts_with(kPrefix)) parts = Split(std::string(text.substr(kPrefix.size())), '.');
  std::optional<int64_t> major = parts.size() >= 2 ? ParseInt(parts[0]) : std::nullopt;
  std::optional<int64_t> minor = parts.size() >= 2 ? ParseInt(parts[1]) : std::nullopt;
  if (!major || !minor) {
    return Status::FailedPrecondition("cannot tell the git version from '" + std::string(text.substr(0, 80)) + "'");
  }
  if (*major < 2 || (*major == 2 && *minor < 36)) {
    return Status::FailedPrecondition("git " + std::to_string(*major) + "." + std::to_string(*minor) +
                                      " is too old: Spaceport needs git 2.36 or newer");
  }
  return Status::Ok();
}

Status CheckGitVersion() {
  CommandOptions options;
  options.argv = {"git", "--version"};
  options.timeout = Millis(10000);
  auto r = RunCommand(options);
  if (!r.ok()) return Status::Unavailable("git is not installed or does not run: " + r.status().message());
  if (!r->ok()) return Status::Unavailable("git --version failed: " + std::string(Trim(r->stderr_data)));
  return CheckGitVersionText(r->stdout_data);
}

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
    if (at >= skip + take && at < static_cast<uint64_t>(obj.size)) {
      // The rest is not wanted: rather than read it all through, end the
      // batch here (the destructor stops git mid-answer).
      broken_ = Status::FailedPrecondition("git cat-file was left mid-object");
      break;
    }
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

// A blob's bytes straight from git's stdout, without blocking.
class BlobSource : public http::BodySource {
 public:
  BlobSource(std::unique_ptr<GitBatch> batch, uint64_t take) : batch_(std::move(batch)), left_(take) {
    // Whatever follows is not read through: the batch ends with the source.
    batch_->broken_ = Status::FailedPrecondition("git cat-file was handed to a body source");
    int flags = fcntl(batch_->out_, F_GETFL);
    if (flags >= 0) fcntl(batch_->out_, F_SETFL, flags | O_NONBLOCK);
  }

  Result<size_t> Read(char* buf, size_t cap, bool* would_block) override {
    *would_block = false;
    GitBatch& b = *batch_;
    if (left_ == 0 || cap == 0) return size_t{0};
    if (b.pos_ < b.buf_.size()) {  // what the batch read ahead, first
      size_t n = static_cast<size_t>(std::min<uint64_t>({cap, left_, b.buf_.size() - b.pos_}));
      std::memcpy(buf, b.buf_.data() + b.pos_, n);
      b.pos_ += n;
      left_ -= n;
      if (b.pos_ == b.buf_.size()) {
        std::string().swap(b.buf_);  // then straight from the pipe, with no buffer of its own
        b.pos_ = 0;
      }
      return n;
    }
    while (true) {
      ssize_t n = read(b.out_, buf, static_cast<size_t>(std::min<uint64_t>(cap, left_)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        *would_block = true;
        return size_t{0};
      }
      if (n <= 0) return Status::Internal("git cat-file ended in the middle of a file");
      left_ -= static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  }
  int wait_fd() const override { return batch_->out_; }
  uint64_t remaining() const override { return left_; }

 private:
  std::unique_ptr<GitBatch> batch_;
  uint64_t left_;
};

Result<std::unique_ptr<http::BodySource>> GitBatch::StreamContents(std::unique_ptr<GitBatch> batch,
                                                                   std::string_view oid, uint64_t skip,
                                                                   uint64_t take) {
  GitBatch& b = *batch;
  RETURN_IF_ERROR(b.Send("contents " + std::string(oid)));
  ASSIGN_OR_RETURN(GitObject obj, b.ParseHeader(oid));
  if (obj.type.empty()) return Status::NotFound("object " + std::string(oid) + " missing");
  const uint64_t size = static_cast<uint64_t>(obj.size);
  skip = std::min(skip, size);
  take = std::min(take, size - skip);
  while (skip > 0) {  // read past here: git makes these bytes at its own pace, not the client's
    if (b.pos_ == b.buf_.size()) RETURN_IF_ERROR(b.Fill());
    size_t n = static_cast<size_t>(std::min<uint64_t>(skip, b.buf_.size() - b.pos_));
    b.pos_ += n;
    skip -= n;
  }
  return std::unique_ptr<http::BodySource>(new BlobSource(std::move(batch), take));
}

}  // namespace spaceport::repo
