// ApiClient: the client's view of the hub's REST API.
//
// Wraps http::Fetch / http::FetchStream with the base URL and the bearer
// token, encodes and decodes JSON, and turns failures into Status values
// whose message is exactly what the user should read:
//   server error  -> "<the server's {"error": ...}> (HTTP 404)", code by status
//   unreachable   -> "cannot reach Spaceport at URL (is `spaceport serve` running?)"
// JSON parse errors never throw out of here. Not thread safe (one per command).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "http/client.h"

namespace spaceport::cli {

struct ApiResponse {
  int status = 0;
  std::string raw;       // body as received
  nlohmann::json body;   // parsed body; null when not JSON
};

class ApiClient {
 public:
  ApiClient(std::string base_url, std::string token) : base_url_(std::move(base_url)), token_(std::move(token)) {}

  // `path` starts with "/" and may carry a query. A body, when given, is sent
  // as application/json. A status >= 400 is an error.
  Result<ApiResponse> Call(std::string_view method, std::string_view path,
                           const std::optional<nlohmann::json>& body = std::nullopt);
  Result<ApiResponse> Get(std::string_view path) { return Call("GET", path); }

  // Streams a response body (SSE). `gap` is the longest silence tolerated
  // between chunks; when it passes the result is DeadlineExceeded.
  Status Stream(std::string_view path, Millis gap, const std::function<bool(std::string_view)>& on_chunk);

  const std::string& base_url() const { return base_url_; }
  bool has_token() const { return !token_.empty(); }

 private:
  http::ClientRequest MakeRequest(std::string_view method, std::string_view path) const;
  Status TransportError(const Status& s) const;

  std::string base_url_;
  std::string token_;
};

// Status for an HTTP error response: the server's message and the status.
Status HttpError(int status, std::string_view body);

// Reads a string field, "" when absent or not a string (never throws).
std::string JsonString(const nlohmann::json& j, std::string_view key);

}  // namespace spaceport::cli
