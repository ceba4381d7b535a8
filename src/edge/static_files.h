// Static file serving for `sdk: static` Spaces, run on a worker thread.
//
// Serves request.path (percent-decoded) under `root`: index.html for
// directories, Content-Type by extension, ETag / If-None-Match, a single
// byte Range, HEAD. Never serves anything outside root: ".." segments are
// refused and the resolved path (symlinks followed) must stay inside root's
// resolved path. Thread safety: a pure function of its arguments and the
// filesystem. Failure: 400/403/404/405/416 responses; I/O errors end the
// response early (the client sees a short body).
#pragma once

#include <string>
#include <string_view>

#include "http/handler.h"

namespace spaceport::edge {

void ServeStaticFile(const std::string& root, const http::Request& request, http::ResponseWriter& out);

std::string_view ContentTypeForPath(std::string_view path);

}  // namespace spaceport::edge
