#include "http/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/strings.h"
#include "http/parser.h"
#include "http/socket.h"

namespace spaceport::http {
namespace {

struct ParsedUrl {
  bool tls = false;
  std::string host;
  int port = 80;
  std::string target;
  std::string host_header;
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else if (StartsWith(url, "https://")) {
    rest = url.substr(8);
    out.tls = true;
    out.port = 443;
  } else {
    return Status::InvalidArgument("only http:// and https:// URLs are supported: " + std::string(url));
  }
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
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

std::string TlsErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  return out.empty() ? "no detail" : out;
}

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// A blocking connection whose reads and writes time out; TLS over it once
// StartTls succeeds.
class Conn {
 public:
  Conn(UniqueFd fd, const Clock* clock, Millis timeout, bool whole_exchange, const std::atomic<bool>* cancel)
      : fd_(std::move(fd)), clock_(clock), cancel_(cancel), timeout_(timeout), whole_(whole_exchange),
        deadline_(clock->Now() + timeout) {}

  // The handshake: TLS 1.2 or later, the peer's chain checked against the
  // CAs, its name against `host` (a DNS name or an IP literal).
  Status StartTls(const std::string& host, const ClientRequest& request) {
    const std::string& ca_file = request.ca_file;
    ERR_clear_error();
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return Status::Internal("TLS: " + TlsErrors());
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    // A peer that closes without close_notify ends the stream; the body's
    // framing (Content-Length, chunked) still catches a truncated answer.
    SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_.get())
                                 : SSL_CTX_load_verify_locations(ctx_.get(), ca_file.c_str(), nullptr);
    if (loaded != 1) return Status::Unavailable("TLS: cannot load the trusted CAs: " + TlsErrors());
    if (!request.cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx_.get(), request.cert_file.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx_.get(), request.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        return Status::InvalidArgument("TLS: cannot load the client certificate " + request.cert_file + ": " +
                                       TlsErrors());
      }
    }
    ssl_.reset(SSL_new(ctx_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) return Status::Internal("TLS: " + TlsErrors());
    const bool ip = host.find_first_not_of("0123456789.") == std::string::npos || host.find(':') != std::string::npos;
    if (ip) {
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str()) != 1) {
        return Status::InvalidArgument("TLS: bad IP address " + host);
      }
    } else {
      SSL_set_tlsext_host_name(ssl_.get(), host.c_str());
      if (SSL_set1_host(ssl_.get(), host.c_str()) != 1) return Status::Internal("TLS: " + TlsErrors());
    }
    while (true) {
      int rc = SSL_connect(ssl_.get());
      if (rc == 1) return Status::Ok();
      Status s = TlsWait(rc, "TLS handshake");
      if (!s.ok()) {
        long verify = SSL_get_verify_result(ssl_.get());
        if (verify != X509_V_OK) {
          return Status::Unavailable("TLS: the certificate of " + host +
                                     " does not verify: " + X509_verify_cert_error_string(verify));
        }
        return s;
      }
    }
  }

  Status WriteAll(std::string_view data) {
    while (ssl_ && !data.empty()) {
      ERR_clear_error();
      int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
      if (n > 0) {
        data.remove_prefix(n);
        continue;
      }
      RETURN_IF_ERROR(TlsWait(n, "TLS write"));
    }
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
    char tmp[65536];
    while (ssl_) {
      ERR_clear_error();
      int n = SSL_read(ssl_.get(), tmp, sizeof(tmp));
      if (n > 0) {
        buf->append(tmp, n);
        return static_cast<size_t>(n);
      }
      int err = SSL_get_error(ssl_.get(), n);
      if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
      RETURN_IF_ERROR(TlsWait(n, "TLS read"));
    }
    RETURN_IF_ERROR(Wait(POLLIN));
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
      if (cancel_ != nullptr && cancel_->load()) return Status::Unavailable("cancelled");
      if (cancel_ != nullptr) left = std::min<int64_t>(left, 250);
      pollfd p{fd_.get(), events, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left));
      if (rc > 0) return Status::Ok();
      if (rc < 0 && errno != EINTR) return Status::Unavailable(std::string("poll: ") + std::strerror(errno));
    }
  }

  // After an SSL call returned `rc` <= 0: waits for what it wants, or the error.
  Status TlsWait(int rc, const char* what) {
    switch (SSL_get_error(ssl_.get(), rc)) {
      case SSL_ERROR_WANT_READ: return Wait(POLLIN);
      case SSL_ERROR_WANT_WRITE: return Wait(POLLOUT);
      case SSL_ERROR_ZERO_RETURN: return Status::Unavailable(std::string(what) + ": the peer closed the connection");
      case SSL_ERROR_SYSCALL:
        return Status::Unavailable(std::string(what) + ": " + (errno != 0 ? std::strerror(errno) : "connection closed"));
      default: return Status::Unavailable(std::string(what) + ": " + TlsErrors());
    }
  }

  UniqueFd fd_;
  const Clock* clock_;
  const std::atomic<bool>* const cancel_;
  Millis timeout_;
  bool whole_;
  SteadyTime deadline_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;  // declared after fd_: freed before the socket closes
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
  Conn conn(std::move(fd), clock.get(), request.timeout, whole_exchange, request.cancel);
  if (url.tls) RETURN_IF_ERROR(conn.StartTls(url.host, request));
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
