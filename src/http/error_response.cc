#include "http/error_response.h"

#include <nlohmann/json.hpp>
#include <string>

namespace spaceport::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kPaymentRequired: return 402;
    case StatusCode::kBadGateway: return 502;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Response ProtocolErrorResponse(int http_status, std::string_view message) {
  nlohmann::json body = {{"error", std::string(message)}};
  Response r = Response::Json(http_status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

Response ErrorResponse(const Status& status) {
  return ProtocolErrorResponse(HttpStatusFor(status.code()), status.ok() ? "ok" : status.message());
}

}  // namespace spaceport::http
