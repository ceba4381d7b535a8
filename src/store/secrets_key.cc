#include "store/secrets_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace spaceport::store {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

Result<std::string> ReadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open secrets key", path);
  std::string key(kSecretsKeyBytes + 1, '\0');  // one extra byte detects long files
  size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("cannot read secrets key", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != kSecretsKeyBytes) {
    return Status::FailedPrecondition("secrets key " + path + " must hold exactly " +
                                      std::to_string(kSecretsKeyBytes) + " bytes");
  }
  key.resize(kSecretsKeyBytes);
  return key;
}

Status WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable(std::string("write failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return ::fsync(fd) == 0 ? Status::Ok() : Status::Unavailable(std::string("fsync failed: ") + std::strerror(errno));
}

// Writes a fresh key to a private temporary file and links it to `path`;
// link(2) fails with EEXIST if another process won the race, and then its
// key is the one everybody uses.
Status CreateKeyFile(const std::string& path) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return ErrnoStatus("cannot create secrets key", path);
  ::fchmod(fd, 0600);
  std::string key(kSecretsKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  Status s = WriteAll(fd, key);
  sodium_memzero(key.data(), key.size());
  ::close(fd);
  if (!s.ok()) {
    s = s.WithContext("writing secrets key " + path);
  } else if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    s = ErrnoStatus("cannot create secrets key", path);
  }
  ::unlink(tmp.c_str());
  return s;
}

}  // namespace

Result<std::string> LoadOrCreateSecretsKey(const std::string& path) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoStatus("cannot stat secrets key", path);
    RETURN_IF_ERROR(CreateKeyFile(path));
  }
  return ReadKeyFile(path);
}

}  // namespace spaceport::store
