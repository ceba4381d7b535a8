#include "http/parser.h"

#include <algorithm>
#include <charconv>

#include "core/strings.h"

namespace spaceport::http {
namespace {

bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

// Field values: visible chars, SP, HTAB and obs-text; never CR, LF or NUL.
bool IsValidValue(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

bool ParseVersion(std::string_view v, int* minor) {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1.") return false;
  if (v[7] != '0' && v[7] != '1') return false;
  *minor = v[7] - '0';
  return true;
}

std::string_view NextLine(std::string_view* rest) {
  size_t eol = rest->find("\r\n");
  std::string_view line = rest->substr(0, eol);
  rest->remove_prefix(eol == std::string_view::npos ? rest->size() : eol + 2);
  return line;
}

bool ValidTarget(std::string_view t) {
  if (t.empty()) return false;
  for (unsigned char c : t) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool HeadParser::FindEnd(std::string_view data, size_t skip) {
  size_t from = std::max(skip, scanned_ >= 3 ? scanned_ - 3 : 0);
  size_t end = data.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    scanned_ = data.size();
    return false;
  }
  head_size_ = end + 4;
  return true;
}

ParseOutcome HeadParser::Fail(int status, std::string message) {
  error_status_ = status;
  error_ = std::move(message);
  return ParseOutcome::kError;
}

ParseOutcome HeadParser::ParseFields(std::string_view lines, Headers* out) {
  while (!lines.empty()) {
    std::string_view line = NextLine(&lines);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return Fail(400, "obsolete line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Fail(400, "header line without ':'");
    std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Fail(400, "invalid header field name");
    std::string_view value = Trim(line.substr(colon + 1));
    if (!IsValidValue(value)) return Fail(400, "invalid header field value");
    out->Add(std::string(name), std::string(value));
  }
  return ParseOutcome::kDone;
}

ParseOutcome HeadParser::ParseRequest(std::string_view data, Request* out) {
  // Tolerate empty lines before the request line (RFC 9112 2.2).
  size_t skip = 0;
  while (skip + 1 < data.size() && data[skip] == '\r' && data[skip + 1] == '\n') skip += 2;
  if (!FindEnd(data, skip)) {
    if (data.size() > max_head_bytes_) return Fail(431, "request head too large");
    return ParseOutcome::kNeedMore;
  }
  if (head_size_ > max_head_bytes_) return Fail(431, "request head too large");
  std::string_view rest = data.substr(skip, head_size_ - skip);
  std::string_view line = NextLine(&rest);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!IsToken(method)) return Fail(400, "invalid method");
  if (!ValidTarget(target)) return Fail(400, "invalid request target");
  if (!ParseVersion(line.substr(sp2 + 1), &out->version_minor)) return Fail(505, "unsupported HTTP version");
  if (StartsWith(target, "http://") || StartsWith(target, "https://")) {
    // absolute-form: keep the host in Host, reduce the target to origin-form.
    size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  } else if (target.front() != '/' && !(target == "*" && method == "OPTIONS")) {
    return Fail(400, "invalid request target");
  }
  out->method.assign(method);
  out->target.assign(target);
  size_t q = target.find('?');
  out->path.assign(target.substr(0, q));
  out->query.assign(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  out->headers.Reserve(16);  // one allocation for a typical head
  if (ParseFields(rest, &out->headers) != ParseOutcome::kDone) return ParseOutcome::kError;
  int hosts = 0;
  for (const auto& f : out->headers.fields()) hosts += NameEquals(f.first, "Host") ? 1 : 0;
  if (hosts > 1 || (hosts == 0 && out->version_minor == 1)) return Fail(400, "exactly one Host header required");
  return ParseOutcome::kDone;
}

ParseOutcome HeadParser::ParseResponse(std::string_view data, ResponseHead* out) {
  if (!FindEnd(data, 0)) {
    if (data.size() > max_head_bytes_) return Fail(502, "response head too large");
    return ParseOutcome::kNeedMore;
  }
  if (head_size_ > max_head_bytes_) return Fail(502, "response head too large");
  std::string_view rest = data.substr(0, head_size_);
  std::string_view line = NextLine(&rest);
  if (line.size() < 12 || !ParseVersion(line.substr(0, 8), &out->version_minor) || line[8] != ' ') {
    return Fail(502, "malformed status line");
  }
  std::string_view code = line.substr(9, 3);
  int status = 0;
  auto [p, ec] = std::from_chars(code.data(), code.data() + 3, status);
  if (ec != std::errc() || p != code.data() + 3 || status < 100 || status > 999) {
    return Fail(502, "malformed status code");
  }
  if (line.size() > 12 && line[12] != ' ') return Fail(502, "malformed status line");
  out->status = status;
  out->reason.assign(line.size() > 13 ? line.substr(13) : std::string_view());
  out->headers.Reserve(16);
  if (ParseFields(rest, &out->headers) != ParseOutcome::kDone) {
    error_status_ = 502;
    return ParseOutcome::kError;
  }
  return ParseOutcome::kDone;
}

namespace {

// Content-Length values (possibly repeated, possibly comma lists) must agree.
Result<BodyFraming> LengthFraming(const Headers& headers, bool* present) {
  *present = false;
  uint64_t length = 0;
  int values = 0;
  for (const auto& f : headers.fields()) {
    if (!NameEquals(f.first, "Content-Length")) continue;
    for (const auto& part : Split(f.second, ',')) {
      std::string_view v = Trim(part);
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        return Status::InvalidArgument("invalid Content-Length");
      }
      if (*present && n != length) return Status::InvalidArgument("conflicting Content-Length values");
      *present = true;
      length = n;
      ++values;
    }
  }
  return BodyFraming{*present ? BodyFraming::kLength : BodyFraming::kNone, length, values > 1};
}

}  // namespace

Result<BodyFraming> RequestFraming(const Request& request) {
  bool has_length = false;
  ASSIGN_OR_RETURN(BodyFraming framing, LengthFraming(request.headers, &has_length));
  if (request.headers.Has("Transfer-Encoding")) {
    if (has_length) return Status::InvalidArgument("both Content-Length and Transfer-Encoding");
    if (request.version_minor == 0) return Status::InvalidArgument("Transfer-Encoding in HTTP/1.0");
    int count = 0;
    for (const auto& f : request.headers.fields()) count += NameEquals(f.first, "Transfer-Encoding");
    auto te = request.headers.Get("Transfer-Encoding");
    if (count != 1 || !NameEquals(Trim(*te), "chunked")) {
      return Status::InvalidArgument("unsupported Transfer-Encoding");
    }
    return BodyFraming{BodyFraming::kChunked, 0};
  }
  return framing;
}

void SingleContentLength(Headers& headers, const BodyFraming& framing) {
  if (framing.kind == BodyFraming::kLength && framing.length_repeated) {
    headers.Set("Content-Length", std::to_string(framing.length));
  }
}

Result<BodyFraming> ResponseFraming(std::string_view request_method, const ResponseHead& head) {
  if (request_method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304) {
    return BodyFraming{BodyFraming::kNone, 0};
  }
  auto te = head.headers.Get("Transfer-Encoding");
  if (te) {
    std::string lower = ToLower(*te);
    std::string_view last = Trim(std::string_view(lower).substr(lower.rfind(',') == std::string::npos ? 0 : lower.rfind(',') + 1));
    if (last == "chunked") return BodyFraming{BodyFraming::kChunked, 0};
    return BodyFraming{BodyFraming::kUntilClose, 0};
  }
  bool has_length = false;
  ASSIGN_OR_RETURN(BodyFraming framing, LengthFraming(head.headers, &has_length));
  if (!has_length) return BodyFraming{BodyFraming::kUntilClose, 0};
  return framing;
}

namespace {
constexpr size_t kMaxChunkLine = 4096;
constexpr size_t kMaxTrailerBytes = 65536;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<size_t> ChunkedDecoder::Feed(std::string_view in, std::string* out) {
  size_t i = 0;
  while (i < in.size() && state_ != State::kDone) {
    char c = in[i];
    switch (state_) {
      case State::kSize: {
        int h = HexValue(c);
        if (h >= 0) {
          if (++size_digits_ > 15) return Status::InvalidArgument("chunk size too large");
          remaining_ = remaining_ * 16 + h;
        } else if (size_digits_ == 0) {
          return Status::InvalidArgument("invalid chunk size");
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExt;
          line_bytes_ = 0;
        } else {
          return Status::InvalidArgument("invalid chunk size");
        }
        ++i;
        break;
      }
      case State::kExt:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n' || ++line_bytes_ > kMaxChunkLine) {
          return Status::InvalidArgument("invalid chunk extension");
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return Status::InvalidArgument("invalid chunk line ending");
        ++i;
        size_digits_ = 0;
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kData: {
        size_t n = std::min<uint64_t>(remaining_, in.size() - i);
        if (out) out->append(in.data() + i, n);
        i += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return Status::InvalidArgument("missing CRLF after chunk data");
        ++i;
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return Status::InvalidArgument("missing CRLF after chunk data");
        ++i;
        state_ = State::kSize;
        break;
      case State::kTrailerStart:
        ++i;
        state_ = c == '\r' ? State::kFinalLf : State::kTrailer;
        if (c == '\n') return Status::InvalidArgument("bare LF in trailer");
        break;
      case State::kTrailer:
        ++i;
        if (++trailer_bytes_ > kMaxTrailerBytes) return Status::InvalidArgument("trailer too large");
        if (c == '\r') state_ = State::kTrailerLf;
        break;
      case State::kTrailerLf:
        if (c != '\n') return Status::InvalidArgument("invalid trailer line ending");
        ++i;
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return Status::InvalidArgument("invalid final chunk");
        ++i;
        state_ = State::kDone;
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

void AppendChunk(std::string* out, std::string_view data) {
  if (data.empty()) return;
  char hex[20];
  auto [p, ec] = std::to_chars(hex, hex + sizeof(hex), data.size(), 16);
  out->append(hex, p);
  out->append("\r\n");
  out->append(data);
  out->append("\r\n");
}

namespace {
void AppendFields(const Headers& headers, std::string* out) {
  for (const auto& [name, value] : headers.fields()) {
    out->append(name);
    out->append(": ");
    out->append(value);
    out->append("\r\n");
  }
  out->append("\r\n");
}
}  // namespace

void AppendRequestHead(const Request& request, std::string* out) {
  out->append(request.method);
  out->push_back(' ');
  out->append(request.target);
  out->append(request.version_minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  AppendFields(request.headers, out);
}

void AppendResponseHead(int status, const Headers& headers, std::string* out, int version_minor) {
  out->append(version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[8];
  auto [p, ec] = std::to_chars(code, code + sizeof(code), status);
  out->append(code, p);
  out->push_back(' ');
  out->append(ReasonPhrase(status));
  out->append("\r\n");
  AppendFields(headers, out);
}

}  // namespace spaceport::http
