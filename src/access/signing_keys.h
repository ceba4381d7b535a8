// SigningKeys: the Ed25519 keys that sign identities handed to apps and ID
// tokens, published as a JWKS at /.well-known/jwks.json.
//
// Keys live in one file (JSON, mode 0600) in the data dir, never in the
// database. Rotation keeps an overlap: a new key signs from the moment it is
// made, and the key it replaces stays published for `retire_after` so tokens
// it signed still verify; after that it is dropped. Every change is written
// to the file (temporary file + rename) before it is used.
//
// Thread safety: Sign, PublicKeys and Jwks read an immutable snapshot without
// locking (the edge signs on every app request); RotateIfDue/RotateNow are
// serialized by a mutex and swap the snapshot.
// Failure: Open returns FailedPrecondition for an unreadable or malformed key
// file (never silently replaced: apps would stop trusting the old keys) and
// Unavailable for I/O errors; rotation errors leave the old keys in use.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "access/jwt.h"
#include "core/clock.h"
#include "core/snapshot_ptr.h"
#include "core/status.h"

namespace spaceport::access {

struct SigningKeyOptions {
  std::string path;                                      // the key file
  Millis rotate_after{Millis(30LL * 24 * 3600 * 1000)};  // age of the signing key that triggers rotation
  Millis retire_after{Millis(7LL * 24 * 3600 * 1000)};   // how long a replaced key stays published
};

class SigningKeys {
 public:
  // Loads the key file, creating it with a first key when missing, and
  // rotates if the signing key is already due.
  static Result<std::unique_ptr<SigningKeys>> Open(SigningKeyOptions options, const Clock* clock);

  // Makes a new signing key when the current one is older than rotate_after,
  // and drops replaced keys older than retire_after. Cheap when nothing is due.
  Status RotateIfDue();
  Status RotateNow();

  // A JWT over `claims` with the current signing key.
  std::string Sign(const nlohmann::json& claims) const;
  std::vector<PublicKey> PublicKeys() const;
  // {"keys":[{"kty":"OKP","crv":"Ed25519","x":...,"kid":...,"alg":"EdDSA","use":"sig"}]}
  nlohmann::json Jwks() const;
  std::string signing_kid() const;

 private:
  struct Key {
    std::string kid;
    std::string secret;  // 64 bytes (seed || public key)
    int64_t created_ms = 0;
    int64_t retired_ms = 0;  // 0 while signing
  };
  struct KeySet {
    std::vector<Key> keys;  // the signing key last
  };

  SigningKeys(SigningKeyOptions options, const Clock* clock) : options_(std::move(options)), clock_(clock) {}
  Status RotateLocked(bool force);
  Status Save(const KeySet& set) const;
  std::shared_ptr<const KeySet> Snapshot() const { return keys_.Load(); }

  const SigningKeyOptions options_;
  const Clock* const clock_;
  std::mutex rotate_mu_;
  SnapshotPtr<KeySet> keys_{nullptr};
};

}  // namespace spaceport::access
