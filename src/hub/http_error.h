// The hub's error answers, on top of http/error_response.h (the one map from
// StatusCode to HTTP status, and the {"error": "..."} body of API answers).
//
// The hub adds: 401 carries WWW-Authenticate: Basic realm="Spaceport", so git
// sends credentials (not on HTML pages, which link to the sign-in page
// instead of making the browser prompt); browser pages get a small escaped
// HTML page. The git-lfs API (kLfs) speaks
// its own dialect: {"message": "..."} as application/vnd.git-lfs+json, and
// InvalidArgument is 422 (validation error, as the LFS spec and HF use).
// Pure functions, thread safe.
#pragma once

#include "core/status.h"
#include "http/handler.h"
#include "http/message.h"

namespace spaceport::hub {

enum class ErrorFormat { kJson, kHtml, kLfs };

int HttpStatusFor(StatusCode code, ErrorFormat format = ErrorFormat::kJson);
http::Response ErrorResponse(const Status& status, ErrorFormat format = ErrorFormat::kJson);
// Sends the error unless a response has already started (then the stream is
// simply ended: there is no way to change its status any more).
void SendError(http::ResponseWriter& out, const Status& status, ErrorFormat format = ErrorFormat::kJson,
               const http::Headers& extra_headers = {});

}  // namespace spaceport::hub
