// CGI plumbing for GitHttpService: parsing the header block a CGI program
// writes before its body, and running a CGI program with both bodies streamed.
//
// Internal to the repo module (git_http.cc and its tests). Pure functions and
// one blocking runner; thread safe. Failure: a malformed header block is
// InvalidArgument; a program that cannot start is Internal.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/handler.h"
#include "http/message.h"

namespace spaceport::repo {

struct CgiHead {
  int status = 200;
  http::Headers headers;
};

// Where the header block ends in `buf`: the offset of the first body byte, or
// nullopt if the blank line has not arrived yet. Accepts "\r\n" and "\n".
std::optional<size_t> FindCgiHeaderEnd(std::string_view buf);

// Parses the header lines (without the blank line). "Status: 404 Not Found"
// sets status; other fields pass through.
Result<CgiHead> ParseCgiHead(std::string_view block);

struct CgiRun {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // the whole environment of the child
};

// Runs the program, copies `body` to its stdin from a helper thread, and
// sends its stdout to `out` (head first, then the body as it arrives).
// Returns the parsed head status when the program exited 0 and the body was
// fully delivered, else an error (already answered when possible).
Result<int> RunCgi(const CgiRun& run, http::BodyReader& body, http::ResponseWriter& out);

}  // namespace spaceport::repo
