#include "http/handler.h"

namespace spaceport::http {

Result<std::string> BodyReader::ReadAll(size_t limit) {
  std::string body;
  char buf[16384];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, Read(buf, sizeof(buf)));
    if (n == 0) return body;
    if (body.size() + n > limit) {
      return Status::PayloadTooLarge("request body larger than " + std::to_string(limit) + " bytes");
    }
    body.append(buf, n);
  }
}

Result<size_t> LimitedBodyReader::Read(char* buf, size_t cap) {
  ASSIGN_OR_RETURN(size_t n, inner_.Read(buf, cap));
  if (static_cast<int64_t>(n) > left_) {
    exceeded_ = true;
    left_ = 0;
    return Status::PayloadTooLarge("request body is over its limit");
  }
  left_ -= static_cast<int64_t>(n);
  return n;
}

Status ResponseWriter::Send(const Response& response) {
  Headers headers = response.headers;
  headers.Set("Content-Length", std::to_string(response.body.size()));
  RETURN_IF_ERROR(Start(response.status, headers));
  if (!response.body.empty()) RETURN_IF_ERROR(Write(response.body));
  return Finish();
}

}  // namespace spaceport::http
