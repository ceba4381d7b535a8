#include "edge/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <optional>

#include "core/strings.h"
#include "edge/filters.h"
#include "http/error_response.h"
#include "http/socket.h"

namespace spaceport::edge {
namespace {

struct Range {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

// nullopt: no usable Range (serve everything); first > last: unsatisfiable.
std::optional<Range> ParseRange(std::string_view header, uint64_t size) {
  if (!StartsWith(header, "bytes=")) return std::nullopt;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // multi-range: send it all
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto first = ParseInt(a), last = ParseInt(b);
  if (a.empty()) {  // suffix: the last N bytes
    if (!last || *last <= 0) return Range{1, 0};
    uint64_t n = std::min<uint64_t>(*last, size);
    return Range{size - n, size - 1};
  }
  if (!first || *first < 0) return std::nullopt;
  if (static_cast<uint64_t>(*first) >= size) return Range{1, 0};
  uint64_t end = size - 1;
  if (!b.empty()) {
    if (!last || *last < *first) return std::nullopt;
    end = std::min<uint64_t>(*last, size - 1);
  }
  return Range{static_cast<uint64_t>(*first), end};
}

void Reply(http::ResponseWriter& out, const Status& status) { out.Send(http::ErrorResponse(status)).ok(); }

bool Inside(const std::string& real_root, const std::string& real_path) {
  if (real_path == real_root) return true;
  return StartsWith(real_path, real_root) && real_path.size() > real_root.size() &&
         (real_root.back() == '/' || real_path[real_root.size()] == '/');
}

std::optional<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

}  // namespace

std::string_view ContentTypeForPath(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"}, {".md", "text/markdown; charset=utf-8"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".jpg", "image/jpeg"},                {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                 {".webp", "image/webp"},
      {".ico", "image/x-icon"},              {".wasm", "application/wasm"},
      {".woff", "font/woff"},                {".woff2", "font/woff2"},
      {".mp3", "audio/mpeg"},                {".mp4", "video/mp4"},
      {".webm", "video/webm"},               {".wav", "audio/wav"},
      {".pdf", "application/pdf"},           {".xml", "application/xml"},
      {".csv", "text/csv; charset=utf-8"},   {".map", "application/json"},
  };
  std::string lower = ToLower(path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/')));
  for (const auto& [ext, type] : kTypes) {
    if (EndsWith(lower, ext)) return type;
  }
  return "application/octet-stream";
}

void ServeStaticFile(const std::string& root, const http::Request& request, http::ResponseWriter& out) {
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::ProtocolErrorResponse(405, "method not allowed");
    r.headers.Add("Allow", "GET, HEAD");
    out.Send(r).ok();
    return;
  }
  std::string rel = UrlDecode(request.path);
  if (rel.find('\0') != std::string::npos || PathHasDotDot(request.path) || rel.empty() || rel.front() != '/') {
    return Reply(out, Status::InvalidArgument("bad path"));
  }
  auto real_root = RealPath(root);
  if (!real_root) return Reply(out, Status::NotFound("not found"));
  auto real = RealPath(*real_root + rel);
  if (!real || !Inside(*real_root, *real)) return Reply(out, Status::NotFound("not found"));
  struct stat st{};
  if (::stat(real->c_str(), &st) != 0) return Reply(out, Status::NotFound("not found"));
  if (S_ISDIR(st.st_mode)) {
    if (!EndsWith(request.path, "/")) {
      // Relative to where the browser is ("./name/"): right under a path
      // prefix the app never sees, and never "//host/" however many slashes
      // the path began with.
      std::string_view path = request.path;
      std::string_view last = path.substr(path.rfind('/') + 1);
      http::Response r = http::Response::Text(301, "");
      r.headers.Set("Location", "./" + std::string(last) + "/" + (request.query.empty() ? "" : "?" + request.query));
      out.Send(r).ok();
      return;
    }
    real = RealPath(*real + "/index.html");
    if (!real || !Inside(*real_root, *real) || ::stat(real->c_str(), &st) != 0) return Reply(out, Status::NotFound("not found"));
  }
  if (!S_ISREG(st.st_mode)) return Reply(out, Status::NotFound("not found"));
  http::UniqueFd fd(::open(real->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Reply(out, Status::PermissionDenied("not readable"));

  uint64_t size = st.st_size;
  std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." +
                     std::to_string(st.st_mtim.tv_nsec) + "\"";
  http::Headers headers;
  headers.Add("ETag", etag);
  headers.Add("Accept-Ranges", "bytes");
  headers.Add("Content-Type", std::string(ContentTypeForPath(*real)));
  auto inm = request.headers.Get("If-None-Match");
  if (inm && (inm->find(etag) != std::string_view::npos || Trim(*inm) == "*")) {
    out.Start(304, headers).ok();
    out.Finish().ok();
    return;
  }
  uint64_t offset = 0, length = size;
  int status = 200;
  auto range_header = request.headers.Get("Range");
  auto if_range = request.headers.Get("If-Range");
  if (range_header && (!if_range || *if_range == etag)) {
    if (auto range = ParseRange(*range_header, size)) {
      if (range->first > range->last) {
        headers.Set("Content-Range", "bytes */" + std::to_string(size));
        headers.Set("Content-Length", "0");
        out.Start(416, headers).ok();
        out.Finish().ok();
        return;
      }
      status = 206;
      offset = range->first;
      length = range->last - range->first + 1;
      headers.Add("Content-Range", "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) +
                                       "/" + std::to_string(size));
    }
  }
  headers.Add("Content-Length", std::to_string(length));
  if (!out.Start(status, headers).ok()) return;
  if (request.method != "GET" || length == 0) {
    out.Finish().ok();
    return;
  }
  out.SendBody(http::FileBodySource(fd.release(), offset, length)).ok();  // at the client's pace, off this thread
}

}  // namespace spaceport::edge
