// In-memory BodyReader and ResponseWriter for tests of handlers (repo, hub).
//
// Test-only; not thread safe. StringBodyReader hands out its string in chunks
// of at most `chunk` bytes; RecordingWriter keeps what was sent and can
// pretend the client left after a number of writes.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "http/handler.h"

namespace spaceport::testing {

class StringBodyReader : public http::BodyReader {
 public:
  explicit StringBodyReader(std::string data = "", size_t chunk = 4096) : data_(std::move(data)), chunk_(chunk) {}
  Result<size_t> Read(char* buf, size_t cap) override {
    size_t n = std::min({cap, chunk_, data_.size() - pos_});
    memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  size_t unread() const { return data_.size() - pos_; }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

class RecordingWriter : public http::ResponseWriter {
 public:
  Status Start(int status, const http::Headers& headers) override {
    if (started_) return Status::Internal("started twice");
    started_ = true;
    status_ = status;
    headers_ = headers;
    return Status::Ok();
  }
  Status Write(std::string_view data) override {
    if (!started_) return Status::Internal("write before start");
    if (gone_after_writes_ >= 0 && writes_ >= gone_after_writes_) return Status::Unavailable("client gone");
    ++writes_;
    body_.append(data);
    return Status::Ok();
  }
  Status Finish() override {
    finished_ = true;
    return Status::Ok();
  }
  bool started() const override { return started_; }
  bool ClientGone() override { return gone_after_writes_ >= 0 && writes_ >= gone_after_writes_; }

  // The client "leaves" once this many writes have been made.
  void set_gone_after_writes(int n) { gone_after_writes_ = n; }
  int status() const { return status_; }
  const http::Headers& headers() const { return headers_; }
  const std::string& body() const { return body_; }
  bool finished() const { return finished_; }

 private:
  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
  http::Headers headers_;
  std::string body_;
  int writes_ = 0;
  int gone_after_writes_ = -1;
};

}  // namespace spaceport::testing
