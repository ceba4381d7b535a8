// Incremental HTTP/1.1 head parsing, body framing and chunked coding.
//
// Pure functions and small state machines over bytes the caller owns: no I/O.
// Used by the edge (requests from untrusted clients, responses from apps) and
// by the blocking client. Parsing is strict where leniency enables request
// smuggling (RFC 9112 6.3, 11.2): obs-fold, whitespace before ':', invalid
// field names, Content-Length together with Transfer-Encoding, and differing
// duplicate Content-Length values are all rejected.
// Thread safety: a parser/decoder object belongs to one connection.
// Failure: ParseOutcome::kError with error_status() (400, 431, 501, 505) and a
// message; never throws, never reads past the given bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/message.h"

namespace spaceport::http {

struct ResponseHead {
  int status = 0;
  int version_minor = 1;
  std::string reason;
  Headers headers;
};

enum class ParseOutcome { kNeedMore, kDone, kError };

class HeadParser {
 public:
  explicit HeadParser(size_t max_head_bytes = 65536) : max_head_bytes_(max_head_bytes) {}

  // `data` holds every byte received so far, starting at the head's first
  // byte. Call again with more bytes after kNeedMore; scanning resumes where
  // it stopped, so feeding a head in pieces stays linear.
  ParseOutcome ParseRequest(std::string_view data, Request* out);
  ParseOutcome ParseResponse(std::string_view data, ResponseHead* out);

  // After kDone: the number of bytes the head occupied (body starts there).
  size_t head_size() const { return head_size_; }
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }
  void Reset() { scanned_ = 0, head_size_ = 0, error_status_ = 0, error_.clear(); }

 private:
  // Finds the blank line ending the head; false while incomplete.
  bool FindEnd(std::string_view data, size_t skip);
  ParseOutcome Fail(int status, std::string message);
  ParseOutcome ParseFields(std::string_view lines, Headers* out);

  size_t max_head_bytes_;
  size_t scanned_ = 0;
  size_t head_size_ = 0;
  int error_status_ = 0;
  std::string error_;
};

struct BodyFraming {
  enum Kind { kNone, kLength, kChunked, kUntilClose };
  Kind kind = kNone;
  uint64_t length = 0;  // for kLength
  bool length_repeated = false;  // kLength given more than once ("5, 5" or two fields)
};

// Request body framing; InvalidArgument (-> 400) for smuggling-prone heads.
Result<BodyFraming> RequestFraming(const Request& request);
// After RequestFraming accepted a Content-Length repeated or given as a list
// of equal values ("5, 5"): leaves one plain field of the length, as RFC
// 9112 6.3 allows, so nothing behind the edge reads the list its own way.
// Does nothing (no scan) for a length given once.
void SingleContentLength(Headers& headers, const BodyFraming& framing);
// Response body framing given the request method (HEAD has no body).
Result<BodyFraming> ResponseFraming(std::string_view request_method, const ResponseHead& head);

// Decodes a chunked body incrementally and finds where it ends, so the proxy
// can pass chunked bytes through untouched (out == nullptr) or de-chunk them.
class ChunkedDecoder {
 public:
  // Consumes a prefix of `in` (never past the end of the body); appends the
  // data bytes to *out when out is non-null. InvalidArgument on bad framing.
  Result<size_t> Feed(std::string_view in, std::string* out);
  bool done() const { return state_ == State::kDone; }
  void Reset() { *this = ChunkedDecoder(); }

 private:
  enum class State { kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf, kFinalLf, kDone };
  State state_ = State::kSize;
  uint64_t remaining_ = 0;
  int size_digits_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

// Appends one chunk ("<hex>\r\n<data>\r\n"); empty data appends nothing.
void AppendChunk(std::string* out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Serializes heads. Headers are written as given (the caller decides framing).
void AppendRequestHead(const Request& request, std::string* out);
void AppendResponseHead(int status, const Headers& headers, std::string* out, int version_minor = 1);

}  // namespace spaceport::http
