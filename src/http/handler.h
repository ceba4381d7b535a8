// Handler: the blocking interface for requests the server answers itself
// (hub API, web UI, git smart HTTP, static app files).
//
// The server runs Handle on a worker thread that owns the connection for the
// duration of the request, so handlers may block on the store, on git, or on
// a log stream (SSE). The edge's proxy path does not use this interface.
//
// Ownership: the server owns reader and writer; they are valid only during
// Handle. Thread safety: one request per Handle call; a Handler object is
// shared by all worker threads and must be thread safe.
// Failure: I/O errors (client gone) are returned from Read/Write as Status;
// a handler that never calls Start gets a 500 sent for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/message.h"

namespace spaceport::http {

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to `cap` bytes of the request body (de-chunked). Returns 0 at end.
  virtual Result<size_t> Read(char* buf, size_t cap) = 0;
  // Reads the whole body; PayloadTooLarge past `limit` bytes.
  Result<std::string> ReadAll(size_t limit);
};

// Passes on at most `limit` bytes of `inner`'s body; past that, Read fails
// with PayloadTooLarge and exceeded() says so.
class LimitedBodyReader : public BodyReader {
 public:
  LimitedBodyReader(BodyReader& inner, int64_t limit) : inner_(inner), left_(limit) {}
  Result<size_t> Read(char* buf, size_t cap) override;
  bool exceeded() const { return exceeded_; }

 private:
  BodyReader& inner_;
  int64_t left_;
  bool exceeded_ = false;
};

// The rest of a response body that the server sends after the handler has
// returned, at the client's pace, from its event loop (ResponseWriter::
// SendBody): a file range or a pipe from a child process. Read never
// blocks: with nothing there yet it returns 0 and sets *would_block, and
// wait_fd() becomes readable once there is more. 0 without *would_block
// while remaining() > 0 means the source ended early (the body is cut).
// Thread safety: one thread at a time (made on a worker, then read and
// destroyed on the loop or, when its end may wait, on a worker).
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual Result<size_t> Read(char* buf, size_t cap, bool* would_block) = 0;
  virtual int wait_fd() const = 0;  // -1: Read never has to wait
  virtual uint64_t remaining() const = 0;
};

// Bytes [offset, offset + length) of the open file `fd` (taken).
std::unique_ptr<BodySource> FileBodySource(int fd, uint64_t offset, uint64_t length);

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Sends the status line and headers. Without Content-Length the body is sent
  // chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
  virtual Status Start(int status, const Headers& headers) = 0;
  // Sends body bytes now (no buffering beyond the socket: SSE relies on it).
  virtual Status Write(std::string_view data) = 0;
  // Ends the body. Called by the server if the handler did not.
  virtual Status Finish() = 0;
  virtual bool started() const = 0;
  // True once the client has gone away (long-lived streams poll it).
  virtual bool ClientGone() = 0;
  // The rest of the body, all of `source`, then the end of the response
  // (after Start with a Content-Length that covers it). The server may send
  // it after Handle returns, so the handler's thread does not wait on the
  // client. This default reads and Writes it here, then Finishes.
  virtual Status SendBody(std::unique_ptr<BodySource> source);

  // Start + Write + Finish with Content-Length set.
  Status Send(const Response& response);
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(const Request& request, BodyReader& body, ResponseWriter& out) = 0;
};

}  // namespace spaceport::http
