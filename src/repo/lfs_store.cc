#include "repo/lfs_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "core/strings.h"

namespace spaceport::repo {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPointerVersion = "version https://git-lfs.github.com/spec/v1";
constexpr size_t kMaxPointerBytes = 1024;

// Closes the fd and removes the temp file unless Keep() was called.
class TempUpload {
 public:
  explicit TempUpload(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  ~TempUpload() {
    if (fd_ >= 0) close(fd_);
    if (!kept_) unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  Status CloseFile() {
    int fd = fd_;
    fd_ = -1;
    if (fsync(fd) != 0 || close(fd) != 0) return Status::Internal("writing LFS object failed");
    return Status::Ok();
  }
  void Keep() { kept_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool kept_ = false;
};

Status WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::Internal("writing LFS object failed (disk full?)");
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Copies the body into fd while hashing; stops early when it grows past `limit`.
Result<std::pair<int64_t, std::string>> CopyHashing(http::BodyReader& body, int fd, int64_t limit) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return Status::Internal("sha256 unavailable");
  std::vector<char> buf(1 << 16);
  int64_t total = 0;
  while (true) {
    ASSIGN_OR_RETURN(size_t n, body.Read(buf.data(), buf.size()));
    if (n == 0) break;
    total += static_cast<int64_t>(n);
    if (total > limit) return Status::InvalidArgument("uploaded object is larger than its announced size");
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    RETURN_IF_ERROR(WriteAll(fd, buf.data(), n));
  }
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return std::make_pair(total, HexEncode(std::string_view(reinterpret_cast<char*>(digest), len)));
}

}  // namespace

bool IsValidLfsOid(std::string_view oid) { return oid.size() == 64 && IsLowerHex(oid); }

std::string FormatLfsPointer(const LfsPointer& p) {
  return std::string(kPointerVersion) + "\noid sha256:" + p.oid + "\nsize " + std::to_string(p.size) + "\n";
}

std::optional<LfsPointer> ParseLfsPointer(std::string_view text) {
  if (text.size() > kMaxPointerBytes || !StartsWith(text, kPointerVersion)) return std::nullopt;
  LfsPointer p;
  bool has_size = false;
  for (const std::string& line : Split(text, '\n')) {
    if (StartsWith(line, "oid sha256:")) p.oid = line.substr(11);
    if (StartsWith(line, "size ")) {
      auto n = ParseInt(line.substr(5));
      if (!n || *n < 0) return std::nullopt;
      p.size = *n;
      has_size = true;
    }
  }
  if (!IsValidLfsOid(p.oid) || !has_size) return std::nullopt;
  return p;
}

std::string LfsStore::ObjectPath(std::string_view owner, std::string_view name, std::string_view oid) const {
  std::string o(oid);
  return repos_->PathOf(owner, name) + "/lfs/objects/" + o.substr(0, 2) + "/" + o.substr(2, 2) + "/" + o;
}

Result<int64_t> LfsStore::Size(std::string_view owner, std::string_view name, std::string_view oid) const {
  if (!IsValidLfsOid(oid)) return Status::InvalidArgument("invalid LFS oid '" + std::string(oid) + "'");
  if (!repos_->Exists(owner, name)) return Status::NotFound("repository not found");
  std::error_code ec;
  auto size = fs::file_size(ObjectPath(owner, name, oid), ec);
  if (ec) return Status::NotFound("LFS object " + std::string(oid) + " not found");
  return static_cast<int64_t>(size);
}

Status LfsStore::Check(std::string_view owner, std::string_view name, const LfsPointer& want) const {
  ASSIGN_OR_RETURN(int64_t size, Size(owner, name, want.oid));
  if (size != want.size) {
    return Status::InvalidArgument("LFS object " + want.oid + " has " + std::to_string(size) + " bytes, not " +
                                   std::to_string(want.size));
  }
  return Status::Ok();
}

Status LfsStore::Put(std::string_view owner, std::string_view name, const LfsPointer& want,
                     http::BodyReader& body) const {
  if (!IsValidLfsOid(want.oid)) return Status::InvalidArgument("invalid LFS oid '" + want.oid + "'");
  if (want.size < 0) return Status::InvalidArgument("invalid LFS object size");
  if (!repos_->Exists(owner, name)) return Status::NotFound("repository not found");
  std::string git_dir = repos_->PathOf(owner, name);
  std::error_code ec;
  fs::create_directories(git_dir + "/lfs/tmp", ec);
  if (ec) return Status::Internal("creating LFS staging dir: " + ec.message());
  TempUpload tmp(git_dir + "/lfs/tmp/" + want.oid + "-" + RandomHex(6));
  if (tmp.fd() < 0) return Status::Internal("creating LFS staging file failed");
  ASSIGN_OR_RETURN(auto got, CopyHashing(body, tmp.fd(), want.size));
  if (got.first != want.size) {
    return Status::InvalidArgument("uploaded " + std::to_string(got.first) + " bytes, announced " +
                                   std::to_string(want.size));
  }
  if (got.second != want.oid) {
    return Status::InvalidArgument("uploaded bytes have sha256 " + got.second + ", not " + want.oid);
  }
  RETURN_IF_ERROR(tmp.CloseFile());
  std::string dest = ObjectPath(owner, name, want.oid);
  fs::create_directories(fs::path(dest).parent_path(), ec);
  if (ec) return Status::Internal("creating LFS object dir: " + ec.message());
  if (rename(tmp.path().c_str(), dest.c_str()) != 0) return Status::Internal("storing LFS object failed");
  tmp.Keep();
  return Status::Ok();
}

}  // namespace spaceport::repo
