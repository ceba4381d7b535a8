// GitBatch: one `git cat-file --batch-command` answering a request's reads
// of a repository: resolving a revision, describing an object, and a blob's
// bytes streamed in bounded chunks. A file download costs one git process and
// a 64 KiB buffer however big the file, instead of a process per step and the
// whole blob in memory.
//
// Thread safety: one thread at a time. Failure: Internal when git fails or
// answers out of protocol, Unavailable when it stays silent past the
// timeout; after either (or a sink error mid-object) the batch is broken and
// every later call fails. The destructor ends the process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "http/handler.h"

namespace spaceport::repo {

// `git --version` output ("git version 2.39.5") against the oldest git
// Spaceport works with (2.36: `cat-file --batch-command`): OK, or
// FailedPrecondition saying what was found and what is needed.
Status CheckGitVersionText(std::string_view version_output);
// Runs the git on PATH and checks it as above (Unavailable without git).
Status CheckGitVersion();

struct GitObject {
  std::string oid;
  std::string type;  // blob | tree | commit | tag; empty when missing
  int64_t size = 0;
};

class GitBatch {
 public:
  static Result<std::unique_ptr<GitBatch>> Start(const std::string& git_dir, Millis timeout = Millis(30000));
  ~GitBatch();
  GitBatch(const GitBatch&) = delete;
  GitBatch& operator=(const GitBatch&) = delete;

  // "<rev>^{commit}", "<commit>:<path>", an oid. Missing: type empty.
  Result<GitObject> Info(std::string_view object);
  // The object's bytes from `skip`, at most `take` of them, to `sink` in
  // chunks of at most 64 KiB. When `take` ends before the object does, the
  // batch stops there and is finished: later calls fail (a small range of a
  // big file does not read the rest of it).
  Status Contents(std::string_view oid, uint64_t skip, uint64_t take,
                  const std::function<Status(std::string_view)>& sink);
  // A small object whole (at most `max` bytes, else InvalidArgument).
  Result<std::string> ReadSmall(std::string_view oid, size_t max);
  // As Contents, but as a source the event loop reads without blocking
  // (http::BodySource, for ResponseWriter::SendBody): the batch goes with
  // it, and its git process ends when the source does. The `skip` bytes
  // are read past here, before it is returned.
  static Result<std::unique_ptr<http::BodySource>> StreamContents(std::unique_ptr<GitBatch> batch,
                                                                  std::string_view oid, uint64_t skip, uint64_t take);

 private:
  GitBatch(pid_t pid, int in, int out, int err, Millis timeout)
      : pid_(pid), in_(in), out_(out), err_(err), timeout_(timeout) {}
  Status Send(std::string_view command);
  Result<std::string> ReadLine();
  Status Fill();  // at least one more byte into buf_
  Result<GitObject> ParseHeader(std::string_view object);
  Status Broken(Status why);
  friend class BlobSource;

  pid_t pid_;
  int in_, out_, err_;
  Millis timeout_;
  std::string buf_;  // read, not yet consumed
  size_t pos_ = 0;
  Status broken_ = Status::Ok();
};

}  // namespace spaceport::repo
