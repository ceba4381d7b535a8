// Buffer: a growable byte queue for socket I/O (read into the tail, consume
// from the head) without zero-filling. Owned by one connection; not thread
// safe. Failure: Read/WriteTo return -1 with errno like recv/send.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace spaceport::edge {

class Buffer {
 public:
  size_t size() const { return end_ - start_; }
  bool empty() const { return start_ == end_; }
  std::string_view view() const { return {data_.get() + start_, end_ - start_}; }
  void Consume(size_t n);
  void Append(std::string_view bytes);
  void Clear() { start_ = end_ = 0; }
  // Reads up to `max` bytes from fd into the tail; like recv(). *drained is
  // set when fewer bytes came than there was room for (the socket is empty
  // now, so an edge-triggered reader can wait for the next event).
  ssize_t ReadFrom(int fd, size_t max, bool* drained = nullptr);
  // Sends the head to fd; like send(). Consumes what was sent.
  ssize_t WriteTo(int fd);
  // Releases memory when idle (keep-alive connections hold none).
  void ShrinkIfEmpty();

 private:
  void Reserve(size_t extra);

  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace spaceport::edge
