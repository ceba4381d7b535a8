#include "cli/api.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

StatusCode CodeForHttp(int status) {
  switch (status) {
    case 400: return StatusCode::kInvalidArgument;
    case 401: return StatusCode::kUnauthenticated;
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 409: return StatusCode::kAlreadyExists;
    case 413: return StatusCode::kPayloadTooLarge;
    case 429: return StatusCode::kResourceExhausted;
    case 402: return StatusCode::kPaymentRequired;
    case 503: return StatusCode::kUnavailable;
    case 504: return StatusCode::kDeadlineExceeded;
    default: return status < 500 ? StatusCode::kFailedPrecondition : StatusCode::kInternal;
  }
}

Status MakeStatus(StatusCode code, std::string message) {
  switch (code) {
    case StatusCode::kInvalidArgument: return Status::InvalidArgument(std::move(message));
    case StatusCode::kUnauthenticated: return Status::Unauthenticated(std::move(message));
    case StatusCode::kPermissionDenied: return Status::PermissionDenied(std::move(message));
    case StatusCode::kNotFound: return Status::NotFound(std::move(message));
    case StatusCode::kAlreadyExists: return Status::AlreadyExists(std::move(message));
    case StatusCode::kPayloadTooLarge: return Status::PayloadTooLarge(std::move(message));
    case StatusCode::kResourceExhausted: return Status::ResourceExhausted(std::move(message));
    case StatusCode::kPaymentRequired: return Status::PaymentRequired(std::move(message));
    case StatusCode::kUnavailable: return Status::Unavailable(std::move(message));
    case StatusCode::kDeadlineExceeded: return Status::DeadlineExceeded(std::move(message));
    case StatusCode::kFailedPrecondition: return Status::FailedPrecondition(std::move(message));
    default: return Status::Internal(std::move(message));
  }
}

}  // namespace

std::string JsonString(const json& j, std::string_view key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Status HttpError(int status, std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string message = JsonString(j, "error");
  if (message.empty()) message = JsonString(j, "message");
  if (message.empty()) {
    std::string_view reason = http::ReasonPhrase(status);
    message = reason.empty() ? "request failed" : std::string(reason);
  }
  return MakeStatus(CodeForHttp(status), message + " (HTTP " + std::to_string(status) + ")");
}

http::ClientRequest ApiClient::MakeRequest(std::string_view method, std::string_view path) const {
  http::ClientRequest req;
  req.method = std::string(method);
  req.url = base_url_ + std::string(path);
  req.headers.Add("Accept", "application/json");
  req.headers.Add("User-Agent", "spaceport-cli");
  if (!token_.empty()) req.headers.Add("Authorization", "Bearer " + token_);
  return req;
}

Status ApiClient::TransportError(const Status& s) const {
  if (s.code() == StatusCode::kUnavailable) {
    return Status::Unavailable("cannot reach Spaceport at " + base_url_ + " (is `spaceport serve` running?)");
  }
  if (s.code() == StatusCode::kDeadlineExceeded) {
    return Status::DeadlineExceeded("Spaceport at " + base_url_ + " did not answer in time");
  }
  return s.WithContext("talking to Spaceport at " + base_url_);
}

Result<ApiResponse> ApiClient::Call(std::string_view method, std::string_view path,
                                    const std::optional<json>& body) {
  http::ClientRequest req = MakeRequest(method, path);
  if (body) {
    req.headers.Add("Content-Type", "application/json");
    // Replace rather than throw on invalid UTF-8 typed by the user.
    req.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  Result<http::ClientResponse> resp = http::Fetch(req);
  if (!resp.ok()) return TransportError(resp.status());
  if (resp->status >= 400) return HttpError(resp->status, resp->body);
  ApiResponse out;
  out.status = resp->status;
  out.raw = std::move(resp->body);
  out.body = json::parse(out.raw, nullptr, /*allow_exceptions=*/false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

Status ApiClient::Stream(std::string_view path, Millis gap, const std::function<bool(std::string_view)>& on_chunk) {
  http::ClientRequest req = MakeRequest("GET", path);
  req.headers.Set("Accept", "text/event-stream");
  req.timeout = gap;
  int status = 0;
  std::string error_body;
  Status s = http::FetchStream(
      req, [&](const http::ClientResponse& head) { status = head.status; },
      [&](std::string_view chunk) {
        if (status >= 400) {
          if (error_body.size() < 65536) error_body.append(chunk);
          return true;
        }
        return on_chunk(chunk);
      });
  if (status >= 400) return HttpError(status, error_body);
  if (!s.ok() && s.code() != StatusCode::kDeadlineExceeded) return TransportError(s);
  return s;
}

}  // namespace spaceport::cli
