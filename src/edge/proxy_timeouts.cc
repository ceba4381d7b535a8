// Timeouts of a proxy exchange, driven by the loop's sweep.
//
// The I/O paths only bump counters (client_io_, Proxy::up_io); the sweep
// notes when a counter last moved. At any moment the exchange waits on one
// side: on the client while response bytes are queued for it or while its
// announced request body is awaited, else on the app. Only the side waited
// on accumulates stall time, so a slow reader never makes the app look
// silent, and a long upload or a streaming response never times out while
// bytes keep moving.
#include <sys/socket.h>

#include <string>

#include "edge/client_connection.h"
#include "edge/filters.h"
#include "http/error_response.h"

namespace spaceport::edge {

void ClientConnection::CheckProxyTimeout(SteadyTime now) {
  if (!px_) return;
  Proxy& p = *px_;
  const EdgeOptions& options = *ctx_->options;
  if (p.up != nullptr && !p.up->connected) {
    if (now - p.connect_started >= options.upstream_connect_timeout) {
      UpstreamTimedOut("did not accept a connection within", options.upstream_connect_timeout);
    }
    return;
  }
  if (client_io_ != p.client_seen) {
    p.client_seen = client_io_;
    p.client_since = now;
  }
  if (p.up_io != p.up_seen) {
    p.up_seen = p.up_io;
    p.up_since = now;
  }
  bool waiting_on_client = !out_.empty() || (!p.req_done && in_.empty() && up_out_.empty());
  if (waiting_on_client) {
    p.up_since = now;
    if (now - p.client_since >= options.client_stall_timeout) AbortClient();
  } else {
    p.client_since = now;
    if (now - p.up_since >= options.upstream_read_timeout) {
      UpstreamTimedOut("sent nothing for", options.upstream_read_timeout);
    }
  }
}

void ClientConnection::UpstreamTimedOut(std::string_view what, Millis limit) {
  if (px_->up != nullptr) {
    ctx_->pool->Close(px_->up);
    px_->up = nullptr;
  }
  if (px_->sent_to_client) return Close();  // mid-response: cutting it is all that is left
  px_.reset();
  up_out_.Clear();
  SendLocalReply(http::ErrorResponse(Status::DeadlineExceeded("Space " + req_.route->space_id + " " + std::string(what) +
                                                                 " " + std::to_string(limit.count()) + " ms")));
  Pump();
}

void ClientConnection::AbortClient() {
  if (fd_.valid()) {
    linger reset{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  }
  Close();
}

}  // namespace spaceport::edge
