// LocalExchange: one request answered by a blocking Handler on a worker
// thread that owns the client socket meanwhile (see http/handler.h).
//
// The socket is switched to blocking mode (with a receive timeout) for the
// handler's reads and back to non-blocking before the connection returns to
// its event loop. The answer is sent without blocking where it can: what
// the socket does not take yet is spooled (up to 256 KiB), so a handler
// waits on a slow client only once its written answer outgrows that, and
// then within a minimum rate (SendPace: by default 30 s, then 16 KiB/s on
// average) and io_timeout without progress. The spooled rest comes back in
// LocalResult::unsent, and a body handed over with SendBody (a file, a git
// blob) in LocalResult::body: the event loop sends both at the client's
// pace, and the worker is free at once. Bytes the client sent past this
// request's body (pipelining) come back in LocalResult::leftover.
// Thread safety: one worker at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "http/handler.h"
#include "http/parser.h"

namespace spaceport::edge {

struct LocalResult {
  bool keep_alive = false;
  int status = 0;
  std::string leftover;
  std::string unsent;  // the answer's last bytes, for the event loop to send
  // The rest of the body, sent by the event loop after `unsent`
  // (ResponseWriter::SendBody); the request ends when it is all sent.
  std::shared_ptr<http::BodySource> body;
};

// Runs `serve` for the request on fd. `buffered` holds bytes already read
// past the request head. `keep_alive` is what the client asked for.
struct SendPace {
  Millis io_timeout{75000};  // the longest stall, reading or writing
  Millis grace{30000};       // then at least min_rate bytes a second on average
  uint64_t min_rate = 16 * 1024;
};

LocalResult RunLocalExchange(int fd, const http::Request& request, http::BodyFraming framing, std::string buffered,
                             bool keep_alive, SendPace pace,
                             const std::function<void(http::BodyReader&, http::ResponseWriter&)>& serve);

}  // namespace spaceport::edge
