#include "store/secret_box.h"

#include <sodium.h>

#include <string>

namespace spaceport::store {

Result<SecretBox> SecretBox::Create(std::string key) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  if (!key.empty() && key.size() != crypto_secretbox_KEYBYTES) {
    return Status::InvalidArgument("secrets key must be " + std::to_string(crypto_secretbox_KEYBYTES) +
                                   " bytes, got " + std::to_string(key.size()));
  }
  return SecretBox(std::move(key));
}

Result<std::string> SecretBox::Seal(std::string_view plaintext) const {
  if (!enabled()) {
    return Status::FailedPrecondition("secrets cannot be stored: no secrets key is configured");
  }
  std::string sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  int rc = crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                                 reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), out,
                                 reinterpret_cast<const unsigned char*>(key_.data()));
  if (rc != 0) return Status::Internal("encrypting a secret failed");
  return sealed;
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view what) const {
  if (!enabled()) {
    return Status::FailedPrecondition(std::string(what) + " cannot be read: no secrets key is configured");
  }
  constexpr size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) {
    return Status::Internal(std::string(what) + " is corrupt in the database (too short to decrypt)");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(sealed.size() - kOverhead, '\0');
  int rc = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                      in + crypto_secretbox_NONCEBYTES, sealed.size() - crypto_secretbox_NONCEBYTES,
                                      in, reinterpret_cast<const unsigned char*>(key_.data()));
  if (rc != 0) {
    return Status::Internal(std::string(what) +
                            " cannot be decrypted with the configured secrets key (wrong or replaced key file?)");
  }
  return plain;
}

}  // namespace spaceport::store
