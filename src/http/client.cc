#include "http/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/strings.h"
#include "http/parser.h"
#include "http/socket.h"

namespace spaceport::http {
namespace {

struct ParsedUrl {
  std::string host;
  int port = 80;
  std::string target;
  std::string host_header;
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  if (!StartsWith(url, "http://")) return Status::InvalidArgument("only http:// URLs are supported: " + std::string(url));
  std::string_view rest = url.substr(7);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  ParsedUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  out.host_header.assign(authority);
  std::string_view host = authority;
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("malformed URL: " + std::string(url));
    host = authority.substr(1, close - 1);
    colon = authority.find(':', close);
  } else if (colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  if (colon != std::string_view::npos) {
    auto port = ParseInt(authority.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) return Status::InvalidArgument("bad port in URL: " + std::string(url));
    out.port = static_cast<int>(*port);
  }
  if (host.empty()) return Status::InvalidArgument("no host in URL: " + std::string(url));
  out.host.assign(host);
  return out;
}

// A blocking connection whose reads and writes time out.
class Conn {
 public:
  Conn(UniqueFd fd, const Clock* clock, Millis timeout, bool whole_exchange)
      : fd_(std::move(fd)), clock_(clock), timeout_(timeout), whole_(whole_exchange),
        deadline_(clock->Now() + timeout) {}

  Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      RETURN_IF_ERROR(Wait(POLLOUT));
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Unavailable(std::string("send: ") + std::strerror(errno));
      data.remove_prefix(n);
    }
    return Status::Ok();
  }

  // Appends what arrives to *buf; 0 at EOF.
  Result<size_t> ReadSome(std::string* buf) {
    RETURN_IF_ERROR(Wait(POLLIN));
    char tmp[65536];
    while (true) {
      ssize_t n = ::recv(fd_.get(), tmp, sizeof(tmp), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Unavailable(std::string("recv: ") + std::strerror(errno));
      buf->append(tmp, n);
      return static_cast<size_t>(n);
    }
  }

 private:
  Status Wait(short events) {
    if (!whole_) deadline_ = clock_->Now() + timeout_;
    while (true) {
      auto left = std::chrono::duration_cast<Millis>(deadline_ - clock_->Now()).count();
      if (left <= 0) return Status::DeadlineExceeded("HTTP request timed out");
      pollfd p{fd_.get(), events, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left));
      if (rc > 0) return Status::Ok();
      if (rc < 0 && errno != EINTR) return Status::Unavailable(std::string("poll: ") + std::strerror(errno));
    }
  }

  UniqueFd fd_;
  const Clock* clock_;
  Millis timeout_;
  bool whole_;
  SteadyTime deadline_;
};

std::string SerializeRequest(const ClientRequest& request, const ParsedUrl& url) {
  Request head;
  head.method = request.method;
  head.target = url.target;
  head.headers = request.headers;
  if (!head.headers.Has("Host")) head.headers.Add("Host", url.host_header);
  head.headers.Set("Connection", "close");
  bool needs_length = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                      request.method == "PATCH";
  if (needs_length) head.headers.Set("Content-Length", std::to_string(request.body.size()));
  std::string out;
  AppendRequestHead(head, &out);
  out.append(request.body);
  return out;
}

Status ReadHead(Conn& conn, std::string& buf, const std::string& method, ResponseHead* head) {
  while (true) {
    HeadParser parser;
    *head = ResponseHead();
    ParseOutcome outcome;
    while ((outcome = parser.ParseResponse(buf, head)) == ParseOutcome::kNeedMore) {
      ASSIGN_OR_RETURN(size_t n, conn.ReadSome(&buf));
      if (n == 0) return Status::Unavailable("connection closed before the response head");
    }
    if (outcome == ParseOutcome::kError) return Status::InvalidArgument("malformed response: " + parser.error());
    buf.erase(0, parser.head_size());
    // Interim 1xx responses (100 Continue) precede the real one; 101 ends HTTP.
    if (head->status >= 200 || head->status == 101) return Status::Ok();
  }
}

Status ReadBody(Conn& conn, std::string& buf, const BodyFraming& framing,
                const std::function<bool(std::string_view)>& on_chunk) {
  if (framing.kind == BodyFraming::kNone) return Status::Ok();
  uint64_t remaining = framing.length;
  ChunkedDecoder decoder;
  std::string decoded;
  while (true) {
    if (framing.kind == BodyFraming::kLength) {
      size_t n = std::min<uint64_t>(remaining, buf.size());
      if (n > 0 && !on_chunk(std::string_view(buf).substr(0, n))) return Status::Ok();
      remaining -= n;
      buf.clear();
      if (remaining == 0) return Status::Ok();
    } else if (framing.kind == BodyFraming::kChunked) {
      decoded.clear();
      auto used = decoder.Feed(buf, &decoded);
      if (!used.ok()) return Status::InvalidArgument("malformed chunked response: " + used.status().message());
      buf.erase(0, *used);
      if (!decoded.empty() && !on_chunk(decoded)) return Status::Ok();
      if (decoder.done()) return Status::Ok();
    } else {
      if (!buf.empty() && !on_chunk(buf)) return Status::Ok();
      buf.clear();
    }
    ASSIGN_OR_RETURN(size_t n, conn.ReadSome(&buf));
    if (n == 0) {
      if (framing.kind == BodyFraming::kUntilClose) return Status::Ok();
      return Status::Unavailable("connection closed before the response body ended");
    }
  }
}

Status Exchange(const ClientRequest& request, bool whole_exchange,
                const std::function<void(const ClientResponse&)>& on_head,
                const std::function<bool(std::string_view)>& on_chunk) {
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(request.url));
  auto clock = MakeRealClock();
  ASSIGN_OR_RETURN(UniqueFd fd, ConnectTcpNonBlocking(url.host, url.port));
  Conn conn(std::move(fd), clock.get(), request.timeout, whole_exchange);
  RETURN_IF_ERROR(conn.WriteAll(SerializeRequest(request, url)));
  std::string buf;
  ResponseHead head;
  RETURN_IF_ERROR(ReadHead(conn, buf, request.method, &head));
  auto framing = ResponseFraming(request.method, head);
  if (!framing.ok()) return Status::InvalidArgument("malformed response: " + framing.status().message());
  ClientResponse response;
  response.status = head.status;
  response.headers = std::move(head.headers);
  on_head(response);
  return ReadBody(conn, buf, *framing, on_chunk);
}

}  // namespace

Result<ClientResponse> Fetch(const ClientRequest& request) {
  ClientResponse out;
  Status s = Exchange(
      request, true, [&](const ClientResponse& head) { out = head; },
      [&](std::string_view chunk) {
        out.body.append(chunk);
        return true;
      });
  if (!s.ok()) return s;
  return out;
}

Status FetchStream(const ClientRequest& request, const std::function<void(const ClientResponse& head)>& on_head,
                   const std::function<bool(std::string_view chunk)>& on_chunk) {
  return Exchange(request, false, on_head, on_chunk);
}

}  // namespace spaceport::http
