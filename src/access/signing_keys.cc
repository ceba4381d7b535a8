#include "access/signing_keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace spaceport::access {
namespace {

Status IoError(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp-" + RandomHex(4);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create", tmp);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status failed = IoError("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return failed;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status failed = IoError("cannot store", path);
    ::unlink(tmp.c_str());
    return failed;
  }
  return Status::Ok();
}

std::string PublicPart(const std::string& secret) { return secret.substr(crypto_sign_SEEDBYTES); }

}  // namespace

Result<std::unique_ptr<SigningKeys>> SigningKeys::Open(SigningKeyOptions options, const Clock* clock) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  std::unique_ptr<SigningKeys> keys(new SigningKeys(std::move(options), clock));
  KeySet set;
  const bool exists = ::access(keys->options_.path.c_str(), F_OK) == 0;
  if (!exists && errno != ENOENT) return IoError("cannot reach", keys->options_.path);
  if (exists) {
    std::ifstream in(keys->options_.path);
    if (!in) return IoError("cannot read", keys->options_.path);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    const auto bad = [&](std::string why) {
      return Status::FailedPrecondition("signing key file " + keys->options_.path + " is unusable: " + why);
    };
    if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) return bad("not a key list");
    for (const nlohmann::json& k : j["keys"]) {
      if (!k.is_object() || !k.contains("kid") || !k["kid"].is_string() || !k.contains("secret") ||
          !k["secret"].is_string()) {
        return bad("a key lacks kid or secret");
      }
      std::optional<std::string> secret = Base64Decode(k["secret"].get<std::string>());
      if (!secret || secret->size() != kEd25519SecretKeyBytes) return bad("a secret is not 64 bytes");
      set.keys.push_back(
          {k["kid"].get<std::string>(), *secret, k.value("created", int64_t{0}), k.value("retired", int64_t{0})});
    }
  }
  keys->keys_.Store(std::make_shared<const KeySet>(std::move(set)));
  RETURN_IF_ERROR(keys->RotateIfDue());
  return keys;
}

Status SigningKeys::RotateIfDue() {
  std::lock_guard<std::mutex> lock(rotate_mu_);
  return RotateLocked(/*force=*/false);
}

Status SigningKeys::RotateNow() {
  std::lock_guard<std::mutex> lock(rotate_mu_);
  return RotateLocked(/*force=*/true);
}

Status SigningKeys::RotateLocked(bool force) {
  const int64_t now = clock_->UnixMillis();
  std::shared_ptr<const KeySet> current = Snapshot();
  KeySet next;
  bool changed = false;
  for (const Key& k : current->keys) {
    if (k.retired_ms > 0 && now - k.retired_ms > options_.retire_after.count()) {
      changed = true;  // published long enough after it stopped signing
      continue;
    }
    next.keys.push_back(k);
  }
  const bool due = next.keys.empty() || force || now - next.keys.back().created_ms >= options_.rotate_after.count();
  if (due) {
    if (!next.keys.empty()) next.keys.back().retired_ms = now;
    Key fresh;
    fresh.kid = RandomHex(8);
    fresh.secret.resize(kEd25519SecretKeyBytes);
    std::string pub(kEd25519PublicKeyBytes, '\0');
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(pub.data()),
                        reinterpret_cast<unsigned char*>(fresh.secret.data()));
    fresh.created_ms = now;
    next.keys.push_back(std::move(fresh));
    changed = true;
  }
  if (!changed) return Status::Ok();
  RETURN_IF_ERROR(Save(next));
  keys_.Store(std::make_shared<const KeySet>(std::move(next)));
  return Status::Ok();
}

Status SigningKeys::Save(const KeySet& set) const {
  nlohmann::json list = nlohmann::json::array();
  for (const Key& k : set.keys) {
    list.push_back(
        {{"kid", k.kid}, {"created", k.created_ms}, {"retired", k.retired_ms}, {"secret", Base64Encode(k.secret)}});
  }
  return WriteFileAtomically(options_.path, nlohmann::json{{"keys", list}}.dump(1) + "\n");
}

std::string SigningKeys::Sign(const nlohmann::json& claims) const {
  std::shared_ptr<const KeySet> set = Snapshot();
  const Key& k = set->keys.back();
  return SignJwt(claims, k.kid, k.secret);
}

std::vector<PublicKey> SigningKeys::PublicKeys() const {
  std::vector<PublicKey> out;
  for (const Key& k : Snapshot()->keys) out.push_back({k.kid, PublicPart(k.secret)});
  return out;
}

nlohmann::json SigningKeys::Jwks() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const PublicKey& k : PublicKeys()) {
    keys.push_back({{"kty", "OKP"},
                    {"crv", "Ed25519"},
                    {"x", Base64UrlEncode(k.key)},
                    {"kid", k.kid},
                    {"alg", "EdDSA"},
                    {"use", "sig"}});
  }
  return {{"keys", keys}};
}

std::string SigningKeys::signing_kid() const { return Snapshot()->keys.back().kid; }

}  // namespace spaceport::access
