#include "edge/local_exchange.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstring>

#include "core/strings.h"
#include "http/error_response.h"
#include "http/socket.h"

namespace spaceport::edge {
namespace {

// Writes the answer without waiting on the client's pace where it can: the
// socket is sent to without blocking and what it does not take yet is
// spooled (at most kSpool bytes) for the worker to go on producing. Only a
// response that outgrows the spool makes the worker wait, and then the
// client must keep up a minimum rate (SendPace: a grace, then min_rate bytes
// a second on average) and never stall for io_timeout, or it is dropped. What
// is still spooled at the end goes back to the event loop (TakeUnsent).
class SocketWriter : public http::ResponseWriter {
 public:
  SocketWriter(int fd, const http::Request& request, bool keep_alive, SendPace pace)
      : fd_(fd), head_only_(request.method == "HEAD"), version_minor_(request.version_minor),
        keep_alive_(keep_alive), pace_(pace), start_(std::chrono::steady_clock::now()) {}

  Status Start(int status, const http::Headers& headers) override {
    if (started_) return Status::FailedPrecondition("response already started");
    started_ = true;
    start_ = std::chrono::steady_clock::now();  // the client's pace counts from the answer, not the handler's work
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
    iovec iov{head.data(), head.size()};
    return Emit(&iov, 1);
  }

  Status Write(std::string_view data) override {
    if (!started_) return Status::FailedPrecondition("Write before Start");
    if (data.empty() || head_only_ || mode_ == kNone) return Status::Ok();
    if (mode_ != kChunked) {
      iovec iov{const_cast<char*>(data.data()), data.size()};
      return Emit(&iov, 1);
    }
    char size[24];
    auto [p, ec] = std::to_chars(size, size + 20, data.size(), 16);
    *p++ = '\r';
    *p++ = '\n';
    iovec iov[3] = {{size, static_cast<size_t>(p - size)},
                    {const_cast<char*>(data.data()), data.size()},
                    {const_cast<char*>("\r\n"), 2}};
    return Emit(iov, 3);
  }

  Status Finish() override {
    if (finished_) return Status::Ok();
    finished_ = true;
    if (mode_ != kChunked) return failed_;
    iovec iov{const_cast<char*>(http::kLastChunk.data()), http::kLastChunk.size()};
    return Emit(&iov, 1);
  }

  bool started() const override { return started_; }

  // With a Content-Length, the body is left to the event loop (TakeBody).
  Status SendBody(std::unique_ptr<http::BodySource> source) override {
    if (!started_) return Status::FailedPrecondition("SendBody before Start");
    if (head_only_ || mode_ == kNone) return Finish();
    if (mode_ != kLength) return ResponseWriter::SendBody(std::move(source));
    RETURN_IF_ERROR(failed_);
    finished_ = true;
    body_ = std::move(source);
    return Status::Ok();
  }
  std::unique_ptr<http::BodySource> TakeBody() { return std::move(body_); }

  bool ClientGone() override {
    pollfd p{fd_, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  // Sends a small interim answer (100 Continue) ahead of the response.
  Status SendInterim(std::string_view line) {
    iovec iov{const_cast<char*>(line.data()), line.size()};
    RETURN_IF_ERROR(Emit(&iov, 1));
    while (spool_off_ < spool_.size()) {  // the client waits for it before sending the body
      RETURN_IF_ERROR(WaitWritable());
      RETURN_IF_ERROR(FlushSpool());
    }
    return Status::Ok();
  }

  std::string TakeUnsent() {
    spool_.erase(0, spool_off_);
    spool_off_ = 0;
    return std::move(spool_);
  }
  bool failed() const { return !failed_.ok(); }
  bool keep_alive() const { return keep_alive_; }
  int status() const { return status_; }

 private:
  enum Mode { kNone, kLength, kChunked, kClose };
  static constexpr size_t kSpool = 256 * 1024;

  Status Emit(iovec* iov, int count) {
    RETURN_IF_ERROR(failed_);
    if (spool_off_ == spool_.size()) {
      ASSIGN_OR_RETURN(size_t n, SendSome(iov, count));
      for (int i = 0; i < count; ++i) {
        size_t skip = std::min(n, iov[i].iov_len);
        n -= skip;
        spool_.append(static_cast<const char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip);
      }
    } else {
      for (int i = 0; i < count; ++i) spool_.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
      RETURN_IF_ERROR(FlushSpool());
    }
    while (spool_.size() - spool_off_ > kSpool) {
      RETURN_IF_ERROR(WaitWritable());
      RETURN_IF_ERROR(FlushSpool());
    }
    return Status::Ok();
  }

  Status FlushSpool() {
    if (spool_off_ == spool_.size()) return Status::Ok();
    iovec iov{spool_.data() + spool_off_, spool_.size() - spool_off_};
    ASSIGN_OR_RETURN(size_t n, SendSome(&iov, 1));
    spool_off_ += n;
    if (spool_off_ == spool_.size()) {
      spool_.clear();
      spool_off_ = 0;
    } else if (spool_off_ > kSpool) {
      spool_.erase(0, spool_off_);
      spool_off_ = 0;
    }
    return Status::Ok();
  }

  // What the socket takes now without blocking.
  Result<size_t> SendSome(iovec* iov, int count) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    while (true) {
      ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        sent_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
      return Fail(Status::Unavailable(std::string("client gone: ") + std::strerror(errno)));
    }
  }

  Status WaitWritable() {
    auto now = std::chrono::steady_clock::now();
    auto floor = start_ + pace_.grace + Millis(sent_ * 1000 / std::max<uint64_t>(1, pace_.min_rate));
    auto until = std::min(floor, now + pace_.io_timeout);
    while (true) {
      auto left = std::chrono::duration_cast<Millis>(until - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        pollfd last{fd_, POLLOUT, 0};
        if (::poll(&last, 1, 0) > 0) return Status::Ok();  // it can take more after all
        return Fail(Status::DeadlineExceeded(until == floor ? "the client reads the response too slowly"
                                                            : "the client stopped reading the response"));
      }
      pollfd p{fd_, POLLOUT, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready > 0) return Status::Ok();
    }
  }

  Status Fail(Status why) {
    if (failed_.ok()) failed_ = why;
    return why;
  }

  int fd_;
  bool head_only_;
  int version_minor_;
  bool keep_alive_;
  SendPace pace_;
  std::chrono::steady_clock::time_point start_;
  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
  Mode mode_ = kNone;
  std::string spool_;  // accepted from the handler, not yet taken by the socket
  size_t spool_off_ = 0;
  uint64_t sent_ = 0;
  Status failed_ = Status::Ok();
  std::unique_ptr<http::BodySource> body_;  // the rest, for the event loop
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
      RETURN_IF_ERROR(writer_->SendInterim("HTTP/1.1 100 Continue\r\n\r\n"));
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

void SetReceiveTimeout(int fd, Millis timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

}  // namespace

LocalResult RunLocalExchange(int fd, const http::Request& request, http::BodyFraming framing, std::string buffered,
                             bool keep_alive, SendPace pace,
                             const std::function<void(http::BodyReader&, http::ResponseWriter&)>& serve) {
  http::SetNonBlocking(fd, false).ok();
  SetReceiveTimeout(fd, pace.io_timeout);
  bool expect_continue = request.version_minor >= 1 && request.headers.HasToken("Expect", "100-continue");
  SocketWriter writer(fd, request, keep_alive, pace);
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
  if (!writer.failed()) {
    result.unsent = writer.TakeUnsent();
    result.body = writer.TakeBody();
  }
  SetReceiveTimeout(fd, Millis(0));
  http::SetNonBlocking(fd, true).ok();
  return result;
}

}  // namespace spaceport::edge
