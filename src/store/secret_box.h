// SecretBox: encryption at rest for secret env values, shared by every store
// backend (libsodium crypto_secretbox: XSalsa20-Poly1305).
//
// Sealed form: 24-byte random nonce || ciphertext (with 16-byte tag). A fresh
// nonce per value, so equal secrets never look equal on disk.
// A SecretBox built from an empty key is disabled: Seal and Open fail with
// FailedPrecondition, so secrets are never stored in the clear.
// Thread safety: immutable after Create; safe from any thread.
// Failure: a value that does not authenticate (wrong key, tampering) is
// Internal with a message naming the value and the secrets key, never garbage.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace spaceport::store {

class SecretBox {
 public:
  // `key` is empty (disabled) or exactly 32 bytes; other sizes are
  // InvalidArgument. Initializes libsodium.
  static Result<SecretBox> Create(std::string key);

  bool enabled() const { return !key_.empty(); }
  Result<std::string> Seal(std::string_view plaintext) const;
  // `what` names the value in errors, e.g. "secret HF_TOKEN of space 3".
  Result<std::string> Open(std::string_view sealed, std::string_view what) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace spaceport::store
