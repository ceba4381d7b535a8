// Fuzz target: compact JWTs as clients present them (sp_app cookies, OIDC
// access tokens) to access::VerifyJwt (access/jwt.h), with one fixed Ed25519
// key; the input once as given and once with its signature part replaced by a
// valid one, so the claim checks behind the signature are reached too. Also
// Base64UrlDecode. Checks (jwt.h): failure is Unauthenticated, an accepted
// token says alg EdDSA and names our kid, encode-then-decode gives the bytes back.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "access/jwt.h"
#include "fuzz_support.h"

namespace spaceport::access {
namespace {

constexpr char kKid[] = "fuzz-key";
// 32 bytes: the Ed25519 seed the corpus tokens were signed with.
constexpr char kSeed[] = "spaceport fuzz jwt key seed 0001";
static_assert(sizeof(kSeed) - 1 == crypto_sign_SEEDBYTES);
constexpr int64_t kNowSeconds = 1'700'000'000;  // 2023-11-14T22:13:20Z

struct FixedKey {
  std::string secret;  // seed || public key, as SignJwt takes it
  std::vector<PublicKey> keys;
};

const FixedKey& Key() {
  static const FixedKey key = [] {
    if (sodium_init() < 0) std::abort();
    unsigned char pub[crypto_sign_PUBLICKEYBYTES];
    unsigned char secret[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pub, secret, reinterpret_cast<const unsigned char*>(kSeed));
    FixedKey k;
    k.secret.assign(reinterpret_cast<const char*>(secret), sizeof(secret));
    k.keys.push_back(PublicKey{kKid, std::string(reinterpret_cast<const char*>(pub), sizeof(pub))});
    return k;
  }();
  return key;
}

// "header.claims" with a valid signature appended (any third part dropped).
std::string Resigned(std::string_view token) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  std::string_view input = token.substr(0, dot2);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       reinterpret_cast<const unsigned char*>(Key().secret.data()));
  return std::string(input) + "." + Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(sig), sizeof(sig)));
}

void Verify(std::string_view token) {
  Result<nlohmann::json> claims = VerifyJwt(token, Key().keys, kNowSeconds);
  if (!claims.ok()) {
    SP_FUZZ_CHECK(claims.status().code() == StatusCode::kUnauthenticated);
    return;
  }
  std::optional<std::string> header_text = Base64UrlDecode(token.substr(0, token.find('.')));
  SP_FUZZ_CHECK(header_text.has_value());
  nlohmann::json header = nlohmann::json::parse(*header_text, nullptr, /*allow_exceptions=*/false);
  SP_FUZZ_CHECK(header.is_object() && header["alg"] == "EdDSA" && header["kid"] == kKid);
}

}  // namespace
}  // namespace spaceport::access

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  spaceport::access::Verify(bytes);
  spaceport::access::Verify(spaceport::access::Resigned(bytes));
  static_cast<void>(spaceport::access::Base64UrlDecode(bytes));
  std::optional<std::string> back = spaceport::access::Base64UrlDecode(spaceport::access::Base64UrlEncode(bytes));
  SP_FUZZ_CHECK(back.has_value() && *back == bytes);
  return 0;
}
