#include "edge/local_exchange.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/strings.h"
#include "http/error_response.h"
#include "http/socket.h"

namespace spaceport::edge {
namespace {

Status SendAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable(std::string("client gone: ") + std::strerror(errno));
    while (count > 0 && static_cast<size_t>(n) >= iov->iov_len) {
      n -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + n;
      iov->iov_len -= n;
    }
  }
  return Status::Ok();
}

Status SendAll(int fd, std::string_view data) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  return SendAll(fd, &iov, 1);
}

class SocketWriter : public http::ResponseWriter {
 public:
  SocketWriter(int fd, const http::Request& request, bool keep_alive)
      : fd_(fd), head_only_(request.method == "HEAD"), version_minor_(request.version_minor),
        keep_alive_(keep_alive) {}

  Status Start(int status, const http::Headers& headers) override {
    if (started_) return Status::FailedPrecondition("response already started");
    started_ = true;
    status_ = status;
    http::Headers h = headers;
    h.Remove("Transfer-Encoding");
    h.Remove("Connection");
    bool no_body = status < 200 || status == 204 || status == 304;
    if (no_body) {
      mode_ = kNone;
    } else if (h.Has("Content-Length")) {
      mode_ = kLength;
    } else if (version_minor_ >= 1) {
      mode_ = head_only_ ? kNone : kChunked;
      if (!head_only_) h.Add("Transfer-Encoding", "chunked");
    } else {
      mode_ = kClose;
      keep_alive_ = false;
    }
    if (!keep_alive_) {
      h.Add("Connection", "close");
    } else if (version_minor_ == 0) {
      h.Add("Connection", "keep-alive");
    }
    std::string head;
    http::AppendResponseHead(status, h, &head);
    return SendAll(fd_, head);
  }

  Status Write(std::string_view data) override {
    if (!started_) return Status::FailedPrecondition("Write before Start");
    if (data.empty() || head_only_ || mode_ == kNone) return Status::Ok();
    if (mode_ != kChunked) return SendAll(fd_, data);
    char size[24];
    auto [p, ec] = std::to_chars(size, size + 20, data.size(), 16);
    *p++ = '\r';
    *p++ = '\n';
    iovec iov[3] = {{size, static_cast<size_t>(p - size)},
                    {const_cast<char*>(data.data()), data.size()},
                    {const_cast<char*>("\r\n"), 2}};
    return SendAll(fd_, iov, 3);
  }

  Status Finish() override {
    if (finished_) return Status::Ok();
    finished_ = true;
    if (mode_ == kChunked) return SendAll(fd_, http::kLastChunk);
    return Status::Ok();
  }

  bool started() const override { return started_; }

  bool ClientGone() override {
    pollfd p{fd_, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  bool keep_alive() const { return keep_alive_; }
  bool finished() const { return finished_; }
  int status() const { return status_; }

 private:
  enum Mode { kNone, kLength, kChunked, kClose };
  int fd_;
  bool head_only_;
  int version_minor_;
  bool keep_alive_;
  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
  Mode mode_ = kNone;
};

class SocketReader : public http::BodyReader {
 public:
  SocketReader(int fd, http::BodyFraming framing, std::string buffered, bool expect_continue, SocketWriter* writer)
      : fd_(fd), framing_(framing), raw_(std::move(buffered)), remaining_(framing.length),
        expect_continue_(expect_continue), writer_(writer) {}

  Result<size_t> Read(char* buf, size_t cap) override {
    if (framing_.kind == http::BodyFraming::kNone || cap == 0) return size_t{0};
    if (framing_.kind == http::BodyFraming::kLength) return ReadLength(buf, cap);
    while (decoded_.size() == decoded_off_ && !chunks_.done()) {
      if (raw_.empty()) RETURN_IF_ERROR(Fill());
      decoded_.clear();
      decoded_off_ = 0;
      auto used = chunks_.Feed(raw_, &decoded_);
      if (!used.ok()) return Status::InvalidArgument("bad chunked body: " + used.status().message());
      raw_.erase(0, *used);
    }
    size_t n = std::min(cap, decoded_.size() - decoded_off_);
    std::memcpy(buf, decoded_.data() + decoded_off_, n);
    decoded_off_ += n;
    return n;
  }

  bool done() const {
    if (framing_.kind == http::BodyFraming::kLength) return remaining_ == 0;
    if (framing_.kind == http::BodyFraming::kChunked) return chunks_.done() && decoded_off_ == decoded_.size();
    return true;
  }
  std::string TakeLeftover() { return std::move(raw_); }

 private:
  Result<size_t> ReadLength(char* buf, size_t cap) {
    if (remaining_ == 0) return size_t{0};
    if (raw_.empty()) RETURN_IF_ERROR(Fill());
    size_t n = std::min<uint64_t>({cap, remaining_, raw_.size()});
    std::memcpy(buf, raw_.data(), n);
    raw_.erase(0, n);
    remaining_ -= n;
    return n;
  }

  Status Fill() {
    if (expect_continue_ && !writer_->started()) {
      expect_continue_ = false;
      RETURN_IF_ERROR(SendAll(fd_, "HTTP/1.1 100 Continue\r\n\r\n"));
    }
    char tmp[65536];
    while (true) {
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Unavailable(std::string("reading request body: ") + std::strerror(errno));
      if (n == 0) return Status::Unavailable("client closed before the request body ended");
      raw_.append(tmp, n);
      return Status::Ok();
    }
  }

  int fd_;
  http::BodyFraming framing_;
  std::string raw_;
  uint64_t remaining_;
  http::ChunkedDecoder chunks_;
  std::string decoded_;
  size_t decoded_off_ = 0;
  bool expect_continue_;
  SocketWriter* writer_;
};

void SetTimeouts(int fd, Millis timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

LocalResult RunLocalExchange(int fd, const http::Request& request, http::BodyFraming framing, std::string buffered,
                             bool keep_alive, Millis io_timeout,
                             const std::function<void(http::BodyReader&, http::ResponseWriter&)>& serve) {
  http::SetNonBlocking(fd, false).ok();
  SetTimeouts(fd, io_timeout);
  bool expect_continue = request.version_minor >= 1 && request.headers.HasToken("Expect", "100-continue");
  SocketWriter writer(fd, request, keep_alive);
  SocketReader reader(fd, framing, std::move(buffered), expect_continue, &writer);
  serve(reader, writer);
  if (!writer.started()) {
    writer.Send(http::ErrorResponse(Status::Internal("handler sent no response"))).ok();
  }
  LocalResult result;
  result.status = writer.status();
  result.keep_alive = writer.Finish().ok() && writer.keep_alive();
  if (result.keep_alive && !reader.done()) {
    // Drain a small unread body so the connection can be reused; else close.
    constexpr size_t kMaxDrain = 1 << 20;
    char tmp[16384];
    size_t drained = 0;
    while (!reader.done() && drained < kMaxDrain) {
      auto n = reader.Read(tmp, sizeof(tmp));
      if (!n.ok() || *n == 0) break;
      drained += *n;
    }
    result.keep_alive = reader.done();
  }
  if (result.keep_alive) result.leftover = reader.TakeLeftover();
  SetTimeouts(fd, Millis(0));
  http::SetNonBlocking(fd, true).ok();
  return result;
}

}  // namespace spaceport::edge
