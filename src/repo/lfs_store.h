// LFS objects of Space repositories: the git-lfs pointer format and the
// content-addressed object store beside each bare repository.
//
// Layout: <repo>.git/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid> (what git-lfs
// itself uses for a bare repository), uploads staged under <repo>.git/lfs/tmp.
// An object is stored only after its bytes were counted and hashed while
// streaming and matched the announced size and sha256; a mismatch leaves
// nothing behind. Objects are immutable once stored, so concurrent uploads of
// the same oid are harmless (the rename of either wins with equal bytes).
// Thread safety: safe from any thread. Failure: InvalidArgument for bad oids,
// sizes or content mismatches; NotFound for missing repos or objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/handler.h"
#include "repo/repo_store.h"

namespace spaceport::repo {

// 64 lower-case hex characters.
bool IsValidLfsOid(std::string_view oid);

// "version https://git-lfs.github.com/spec/v1\noid sha256:<oid>\nsize <n>\n".
std::string FormatLfsPointer(const LfsPointer& pointer);
// A pointer file's text, or nullopt when `text` is anything else.
std::optional<LfsPointer> ParseLfsPointer(std::string_view text);

class LfsStore {
 public:
  explicit LfsStore(const RepoStore* repos) : repos_(repos) {}

  // Where the object lives (whether or not it exists). Caller validated names and oid.
  std::string ObjectPath(std::string_view owner, std::string_view name, std::string_view oid) const;
  // The stored object's size; NotFound when absent.
  Result<int64_t> Size(std::string_view owner, std::string_view name, std::string_view oid) const;
  // Ok when the object is stored with exactly `want.size` bytes.
  Status Check(std::string_view owner, std::string_view name, const LfsPointer& want) const;
  // Streams `body` to a temp file while hashing; keeps it only when it is
  // exactly want.size bytes with sha256 want.oid (InvalidArgument otherwise).
  Status Put(std::string_view owner, std::string_view name, const LfsPointer& want, http::BodyReader& body) const;

 private:
  const RepoStore* repos_;
};

}  // namespace spaceport::repo
