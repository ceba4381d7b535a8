// Repository contents in the HF shapes: the file tree, raw files (resolve,
// with ETag, Range and HEAD; LFS files resolved to their content) and the
// commit list.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "core/clock.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

constexpr int kDefaultCommitPage = 50;
constexpr int kMaxCommitPage = 1000;

Json TreeEntryJson(const repo::TreeEntry& e) {
  Json j = {{"type", e.type}, {"oid", e.oid}, {"size", e.size}, {"path", e.path}};
  if (e.lfs) {
    j["size"] = e.lfs->size;
    j["lfs"] = {{"oid", e.lfs->oid}, {"size", e.lfs->size}, {"pointerSize", e.size}};
  }
  return j;
}

Status HandleTree(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.ReadableSpace(call, call.Param("owner"), call.Param("name")));
  bool recursive = call.Query("recursive").value_or("") == "true" || call.Query("recursive") == "1";
  ASSIGN_OR_RETURN(std::vector<repo::TreeEntry> entries,
                   hub.deps().repos->ListTree(space.owner, space.name, call.Param("rev"), call.Param("path"),
                                              recursive));
  Json list = Json::array();
  for (const repo::TreeEntry& e : entries) list.push_back(TreeEntryJson(e));
  return call.SendJson(200, list);
}

struct ByteRange {
  int64_t first = 0;
  int64_t last = -1;  // inclusive
  bool partial = false;
};

// One "bytes=a-b" | "bytes=a-" | "bytes=-n" range; nullopt when unsatisfiable.
// Anything we do not understand (several ranges, other units) means the whole file.
std::optional<ByteRange> ParseRange(std::optional<std::string_view> header, int64_t size) {
  ByteRange whole{0, size - 1, false};
  if (!header) return whole;
  std::string_view h = Trim(*header);
  if (!StartsWith(h, "bytes=") || h.find(',') != std::string_view::npos) return whole;
  h.remove_prefix(6);
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return whole;
  std::optional<int64_t> a = dash > 0 ? ParseInt(h.substr(0, dash)) : std::nullopt;
  std::optional<int64_t> b = dash + 1 < h.size() ? ParseInt(h.substr(dash + 1)) : std::nullopt;
  if ((dash > 0 && !a) || (dash + 1 < h.size() && !b) || (!a && !b)) return whole;
  ByteRange r{0, size - 1, true};
  if (!a) {
    if (*b <= 0) return std::nullopt;
    r.first = std::max<int64_t>(0, size - *b);
  } else {
    r.first = a.value_or(0);
    if (r.first >= size) return std::nullopt;
    int64_t end = b.value_or(size - 1);
    if (end < r.first) return whole;
    r.last = std::min(end, size - 1);
  }
  if (r.first >= size) return std::nullopt;
  return r;
}

}  // namespace

Status SendFileRange(http::ResponseWriter& out, const std::string& path, uint64_t first, uint64_t length) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("opening LFS object failed");
  return out.SendBody(http::FileBodySource(fd, first, length));
}

namespace {

struct FileToSend {
  std::unique_ptr<repo::RevisionReader> reader;  // its git process streams the blob
  repo::FileInfo info;
  int64_t size = 0;
  std::string etag;
  std::string lfs_path;  // empty: the git blob itself
};

Result<FileToSend> LocateFile(HubCore& hub, const store::Space& space, Call& call) {
  const std::string& rev = call.Param("rev");
  ASSIGN_OR_RETURN(std::unique_ptr<repo::RevisionReader> reader,
                   hub.deps().repos->OpenRevision(space.owner, space.name, rev));
  Result<repo::FileInfo> stat = reader->Stat(call.Param("path"));
  if (!stat.ok()) {
    if (stat.status().code() != StatusCode::kNotFound) return stat.status();
    http::Headers h;
    h.Set("X-Error-Code", "EntryNotFound");
    SendError(call.out, stat.status(), ErrorFormat::kJson, h);
    return stat.status();
  }
  const repo::FileInfo info = *stat;
  FileToSend f{std::move(reader), info, info.size, info.oid, ""};
  if (info.lfs) {
    f.size = info.lfs->size;
    f.etag = info.lfs->oid;
    f.lfs_path = hub.lfs().ObjectPath(space.owner, space.name, info.lfs->oid);
    Status present = hub.lfs().Check(space.owner, space.name, *info.lfs);
    if (!present.ok()) return Status::NotFound("the LFS content of '" + call.Param("path") + "' is missing");
  }
  return f;
}

Status HandleResolve(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.ReadableSpace(call, call.Param("owner"), call.Param("name")));
  Result<FileToSend> located = LocateFile(hub, space, call);
  if (!located.ok() && call.out.started()) return Status::Ok();  // answered with X-Error-Code
  ASSIGN_OR_RETURN(FileToSend f, std::move(located));
  http::Headers h;
  h.Set("Content-Type", "application/octet-stream");
  h.Set("ETag", "\"" + f.etag + "\"");
  h.Set("X-Repo-Commit", f.info.commit);
  h.Set("Accept-Ranges", "bytes");
  h.Set("Cache-Control", "no-cache");
  if (f.info.lfs) {
    h.Set("X-Linked-Size", std::to_string(f.size));
    h.Set("X-Linked-ETag", "\"" + f.etag + "\"");
  }
  std::optional<ByteRange> range = ParseRange(call.request.headers.Get("Range"), f.size);
  if (!range) {
    h.Set("Content-Range", "bytes */" + std::to_string(f.size));
    h.Set("Content-Length", "0");
    RETURN_IF_ERROR(call.out.Start(416, h));
    return call.out.Finish();
  }
  int64_t length = f.size == 0 ? 0 : range->last - range->first + 1;
  if (range->partial) {
    h.Set("Content-Range", "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                               std::to_string(f.size));
  }
  h.Set("Content-Length", std::to_string(length));
  RETURN_IF_ERROR(call.out.Start(range->partial ? 206 : 200, h));
  if (call.request.method == "HEAD" || length == 0) return call.out.Finish();
  // Straight from git or the LFS object to the client, at the client's pace
  // and without holding this thread (http::ResponseWriter::SendBody).
  if (f.lfs_path.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<http::BodySource> blob,
                     repo::RevisionReader::Stream(std::move(f.reader), f.info, static_cast<uint64_t>(range->first),
                                                  static_cast<uint64_t>(length)));
    return call.out.SendBody(std::move(blob));
  }
  f.reader.reset();  // its git process is not needed for the LFS object
  return SendFileRange(call.out, f.lfs_path, static_cast<uint64_t>(range->first), static_cast<uint64_t>(length));
}

Status HandleCommits(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.ReadableSpace(call, call.Param("owner"), call.Param("name")));
  int64_t limit = ParseInt(call.Query("limit").value_or("")).value_or(kDefaultCommitPage);
  int64_t page = ParseInt(call.Query("p").value_or("")).value_or(0);
  if (limit < 1 || page < 0) return Status::InvalidArgument("'limit' and 'p' must be positive integers");
  limit = std::min<int64_t>(limit, kMaxCommitPage);
  const std::string& rev = call.Param("rev");
  ASSIGN_OR_RETURN(std::vector<repo::CommitInfo> commits,
                   hub.deps().repos->ListCommits(space.owner, space.name, rev, static_cast<int>(limit),
                                                 static_cast<int>(page * limit)));
  Json list = Json::array();
  for (const repo::CommitInfo& c : commits) {
    Json authors = Json::array();
    for (const std::string& a : c.authors) authors.push_back({{"user", a}, {"avatar", nullptr}});
    list.push_back({{"id", c.sha}, {"title", c.title}, {"message", c.message}, {"authors", authors},
                    {"date", FormatIsoTime(c.unix_millis)}});
  }
  http::Response r = http::Response::Json(200, DumpJson(list));
  if (static_cast<int64_t>(commits.size()) == limit) {
    std::string next = hub.PublicUrl() + "/api/spaces/" + space.full_id() + "/commits/" + UrlEncode(rev) +
                       "?limit=" + std::to_string(limit) + "&p=" + std::to_string(page + 1);
    r.headers.Set("Link", "<" + next + ">; rel=\"next\"");
  }
  return call.out.Send(r);
}

}  // namespace

void RegisterFilesApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string api = "/api/spaces/:owner/:name";
  router.Add("GET", api + "/tree/:rev", [h](Call& c) { return HandleTree(*h, c); });
  router.Add("GET", api + "/tree/:rev/*path", [h](Call& c) { return HandleTree(*h, c); });
  router.Add("GET", api + "/commits/:rev", [h](Call& c) { return HandleCommits(*h, c); });
  router.Add("GET", "/spaces/:owner/:name/resolve/:rev/*path", [h](Call& c) { return HandleResolve(*h, c); });
  router.Add("HEAD", "/spaces/:owner/:name/resolve/:rev/*path", [h](Call& c) { return HandleResolve(*h, c); });
}

}  // namespace spaceport::hub
