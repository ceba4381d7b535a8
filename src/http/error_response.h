// The one place where a Status becomes an HTTP status and an error answer.
//
// StatusCode -> HTTP status: InvalidArgument 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, AlreadyExists/FailedPrecondition 409,
// PayloadTooLarge 413, ResourceExhausted 429, BadGateway 502, Unavailable
// 503, DeadlineExceeded 504, anything else 500. The body is
// {"error": "<message>"} (text that is not UTF-8 is replaced, never thrown
// on), never cached. The hub adds its formats on top (hub/http_error.h:
// HTML pages, the git-lfs dialect, WWW-Authenticate for git).
// Pure functions, thread safe.
#pragma once

#include <string_view>

#include "core/status.h"
#include "http/message.h"

namespace spaceport::http {

int HttpStatusFor(StatusCode code);
Response ErrorResponse(const Status& status);

// Errors of the protocol itself, which no Status names (the request parser's
// 431 and 501, a 405): the same body and headers as ErrorResponse.
Response ProtocolErrorResponse(int http_status, std::string_view message);

}  // namespace spaceport::http
