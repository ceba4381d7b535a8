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

Status ResponseWriter::Send(const Response& response) {
  Headers headers = response.headers;
  headers.Set("Content-Length", std::to_string(response.body.size()));
  RETURN_IF_ERROR(Start(response.status, headers));
  if (!response.body.empty()) RETURN_IF_ERROR(Write(response.body));
  return Finish();
}

}  // namespace spaceport::http
