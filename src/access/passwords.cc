#include "access/passwords.h"

#include <sodium.h>

namespace spaceport::access {

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::InvalidArgument("the password needs at least " + std::to_string(kMinPasswordLength) +
                                   " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return Status::InvalidArgument("the password is too long (at most " + std::to_string(kMaxPasswordLength) +
                                   " characters)");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("out of memory while hashing a password");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (sodium_init() < 0) return false;
  std::string hash(stored_hash);  // NUL-terminated for libsodium
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace spaceport::access
