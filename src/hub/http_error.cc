#include "hub/http_error.h"

#include <nlohmann/json.hpp>

#include "hub/html.h"
#include "http/error_response.h"

namespace spaceport::hub {

int HttpStatusFor(StatusCode code, ErrorFormat format) {
  if (format == ErrorFormat::kLfs && code == StatusCode::kInvalidArgument) return 422;
  return http::HttpStatusFor(code);
}

http::Response ErrorResponse(const Status& status, ErrorFormat format) {
  int code = HttpStatusFor(status.code(), format);
  std::string message = status.ok() ? "ok" : status.message();
  http::Response r;
  if (format == ErrorFormat::kHtml) {
    std::string title = std::to_string(code) + " " + std::string(http::ReasonPhrase(code));
    r = http::Response::Text(code, RenderPage(title, "<main class=\"narrow\"><h1>" + HtmlEscape(title) +
                                                         "</h1><p>" + HtmlEscape(message) + "</p><p>" +
                                                         (code == 401 ? "<a href=\"/login\">Sign in</a> · " : "") +
                                                         "<a href=\"/\">Back to all Spaces</a></p></main>"),
                             "text/html; charset=utf-8");
  } else if (format == ErrorFormat::kLfs) {
    nlohmann::json body = {{"message", message}};
    r = http::Response::Json(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    r.headers.Set("Content-Type", "application/vnd.git-lfs+json");
  } else {
    r = http::ErrorResponse(status);
  }
  // Browsers answer WWW-Authenticate with a password dialog: pages point to
  // the sign-in page instead.
  if (status.code() == StatusCode::kUnauthenticated && format != ErrorFormat::kHtml) {
    r.headers.Set("WWW-Authenticate", "Basic realm=\"Spaceport\"");
  }
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

void SendError(http::ResponseWriter& out, const Status& status, ErrorFormat format,
               const http::Headers& extra_headers) {
  if (out.started()) {
    (void)out.Finish();
    return;
  }
  http::Response r = ErrorResponse(status, format);
  for (const auto& field : extra_headers.fields()) r.headers.Set(field.first, field.second);
  (void)out.Send(r);
}

}  // namespace spaceport::hub
