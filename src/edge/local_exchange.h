// LocalExchange: one request answered by a blocking Handler on a worker
// thread that owns the client socket meanwhile (see http/handler.h).
//
// The socket is switched to blocking mode (with send/receive timeouts) for
// the handler and back to non-blocking before the connection returns to its
// event loop. Bytes the client sent past this request's body (pipelining)
// come back in LocalResult::leftover. Thread safety: one worker at a time.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "http/handler.h"
#include "http/parser.h"

namespace spaceport::edge {

struct LocalResult {
  bool keep_alive = false;
  int status = 0;
  std::string leftover;
};

// Runs `serve` for the request on fd. `buffered` holds bytes already read
// past the request head. `keep_alive` is what the client asked for.
LocalResult RunLocalExchange(int fd, const http::Request& request, http::BodyFraming framing, std::string buffered,
                             bool keep_alive, Millis io_timeout,
                             const std::function<void(http::BodyReader&, http::ResponseWriter&)>& serve);

}  // namespace spaceport::edge
