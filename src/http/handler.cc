#include "http/handler.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace spaceport::http {

Result<std::string> BodyReader::ReadAll(size_t limit) {
  std::string body;
  char buf[16384];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, Read(buf, sizeof(buf)));
    if (n == 0) return body;
    if (body.size() + n > limit) {
      return Status::PayloadTooLarge("request body larger than " + std::to_string(limit) + " bytes");
    }
    body.append(buf, n);
  }
}

Result<size_t> LimitedBodyReader::Read(char* buf, size_t cap) {
  ASSIGN_OR_RETURN(size_t n, inner_.Read(buf, cap));
  if (static_cast<int64_t>(n) > left_) {
    exceeded_ = true;
    left_ = 0;
    return Status::PayloadTooLarge("request body is over its limit");
  }
  left_ -= static_cast<int64_t>(n);
  return n;
}

Status ResponseWriter::Send(const Response& response) {
  Headers headers = response.headers;
  headers.Set("Content-Length", std::to_string(response.body.size()));
  RETURN_IF_ERROR(Start(response.status, headers));
  if (!response.body.empty()) RETURN_IF_ERROR(Write(response.body));
  return Finish();
}

Status ResponseWriter::SendBody(std::unique_ptr<BodySource> source) {
  char buf[65536];
  while (source->remaining() > 0) {
    bool would_block = false;
    ASSIGN_OR_RETURN(size_t n, source->Read(buf, sizeof buf, &would_block));
    if (n > 0) {
      RETURN_IF_ERROR(Write(std::string_view(buf, n)));
      continue;
    }
    if (!would_block) return Status::Internal("the response body ended early");
    pollfd p{source->wait_fd(), POLLIN, 0};
    if (::poll(&p, 1, 30000) == 0) return Status::Unavailable("the response body stalled");
  }
  return Finish();
}

namespace {

class FileSource : public BodySource {
 public:
  FileSource(int fd, uint64_t offset, uint64_t length) : fd_(fd), offset_(offset), left_(length) {}
  ~FileSource() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t cap, bool* would_block) override {
    *would_block = false;
    if (left_ == 0) return size_t{0};
    while (true) {
      ssize_t n = ::pread(fd_, buf, static_cast<size_t>(std::min<uint64_t>(cap, left_)), static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Internal("reading the file failed");
      offset_ += static_cast<uint64_t>(n);
      left_ -= static_cast<uint64_t>(n);
      return static_cast<size_t>(n);  // 0: the file shrank
    }
  }
  int wait_fd() const override { return -1; }
  uint64_t remaining() const override { return left_; }

 private:
  int fd_;
  uint64_t offset_, left_;
};

}  // namespace

std::unique_ptr<BodySource> FileBodySource(int fd, uint64_t offset, uint64_t length) {
  return std::make_unique<FileSource>(fd, offset, length);
}

}  // namespace spaceport::http
