// A small blocking HTTP/1.1 client, for http:// and https:// (TLS 1.2 or
// later through OpenSSL; the server's certificate is checked against the
// system's CAs, or `ca_file`, and the URL's host).
//
// Used by the CLI, by the supervisor's health checks, and by tests. Not used
// on the edge's proxy path (that has its own pooled, non-blocking upstreams).
// One request per call, its own connection ("Connection: close").
// Thread safety: free functions, safe from any thread.
// Failure: Unavailable when the connection or the TLS handshake fails (a
// certificate that does not verify included), DeadlineExceeded on timeout,
// InvalidArgument for a malformed URL or response. HTTP error statuses are
// not errors: they come back in ClientResponse.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "http/message.h"

namespace spaceport::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query
  Headers headers;
  std::string body;  // sent with Content-Length when non-empty or method is POST/PUT/PATCH
  Millis timeout{30000};  // whole exchange; for streams, the gap between chunks
  std::string ca_file;    // https: trusted CA certificates (PEM); "": the system's
  // https: a client certificate (PEM chain) and its key, for servers that
  // authenticate clients by certificate (a Kubernetes API server). "": none.
  std::string cert_file, key_file;
  // Set by another thread to end a long wait (a watch, a log follow) within
  // a quarter of a second: the call returns Unavailable("cancelled").
  const std::atomic<bool>* cancel = nullptr;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

Result<ClientResponse> Fetch(const ClientRequest& request);

// Streams the response body to on_chunk as it arrives (SSE, log follow).
// on_chunk returns false to stop early. `head` receives status and headers
// before the first chunk.
Status FetchStream(const ClientRequest& request, const std::function<void(const ClientResponse& head)>& on_head,
                   const std::function<bool(std::string_view chunk)>& on_chunk);

}  // namespace spaceport::http
