#include "edge/buffer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace spaceport::edge {

void Buffer::Consume(size_t n) {
  start_ += n;
  if (start_ >= end_) start_ = end_ = 0;
}

void Buffer::Reserve(size_t extra) {
  if (end_ + extra <= cap_) return;
  size_t used = end_ - start_;
  if (used + extra <= cap_ && start_ > 0) {
    std::memmove(data_.get(), data_.get() + start_, used);
  } else {
    size_t cap = cap_ == 0 ? 16384 : cap_;
    while (cap < used + extra) cap *= 2;
    auto next = std::unique_ptr<char[]>(new char[cap]);
    if (used > 0) std::memcpy(next.get(), data_.get() + start_, used);
    data_ = std::move(next);
    cap_ = cap;
  }
  start_ = 0;
  end_ = used;
}

void Buffer::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  Reserve(bytes.size());
  std::memcpy(data_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

ssize_t Buffer::ReadFrom(int fd, size_t max, bool* drained) {
  // Use the free tail when there is a useful amount; grow only when not.
  constexpr size_t kMinRead = 8192;
  if (cap_ - end_ < std::min(max, kMinRead)) Reserve(std::min(max, std::max(kMinRead, size())));
  size_t room = std::min(max, cap_ - end_);
  ssize_t n = ::recv(fd, data_.get() + end_, room, 0);
  if (n > 0) end_ += n;
  if (drained != nullptr) *drained = n > 0 && static_cast<size_t>(n) < room;
  return n;
}

ssize_t Buffer::WriteTo(int fd) {
  ssize_t n = ::send(fd, data_.get() + start_, end_ - start_, MSG_NOSIGNAL);
  if (n > 0) Consume(n);
  return n;
}

void Buffer::ShrinkIfEmpty() {
  if (empty() && cap_ > 65536) {
    data_.reset();
    cap_ = 0;
  }
}

}  // namespace spaceport::edge
