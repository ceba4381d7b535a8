// Compact JSON Web Tokens signed with Ed25519 (JWS alg "EdDSA", RFC 8037).
//
// The edge signs the identity it hands to apps (X-Spaceport-Identity) and the
// OIDC provider signs ID tokens with these; anyone can verify them with the
// public keys published as a JWKS (signing_keys.h). Only EdDSA is produced or
// accepted: a token naming any other "alg" (including "none") is refused.
// Pure functions, thread safe.
// Failure: VerifyJwt returns Unauthenticated with a short reason for every
// malformed, unsigned, wrongly signed, expired or not-yet-valid token.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace spaceport::access {

inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SecretKeyBytes = 64;  // libsodium's seed || public key

std::string Base64UrlEncode(std::string_view bytes);  // no padding
std::optional<std::string> Base64UrlDecode(std::string_view text);

struct PublicKey {
  std::string kid;
  std::string key;  // 32 raw bytes
};

// header = {"alg":"EdDSA","typ":"JWT","kid":kid}; `secret_key` is 64 bytes.
std::string SignJwt(const nlohmann::json& claims, const std::string& kid, const std::string& secret_key);

// Checks the signature against the key named by the header's kid, then "exp"
// and "nbf" (unix seconds) against `now_seconds` with `leeway_seconds`.
// Returns the claims.
Result<nlohmann::json> VerifyJwt(std::string_view token, const std::vector<PublicKey>& keys, int64_t now_seconds,
                                 int64_t leeway_seconds = 30);

}  // namespace spaceport::access
