#include "access/jwt.h"

#include <sodium.h>

#include <array>
#include <optional>

namespace spaceport::access {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

Status Bad(std::string_view why) { return Status::Unauthenticated("identity token refused: " + std::string(why)); }

std::optional<nlohmann::json> DecodeJsonPart(std::string_view part) {
  std::optional<std::string> bytes = Base64UrlDecode(part);
  if (!bytes) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = DecodeChar(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, or two spellings would decode alike.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string SignJwt(const nlohmann::json& claims, const std::string& kid, const std::string& secret_key) {
  nlohmann::json header = {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid}};
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return input + "." + Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
}

Result<nlohmann::json> VerifyJwt(std::string_view token, const std::vector<PublicKey>& keys, int64_t now_seconds,
                                 int64_t leeway_seconds) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Bad("not a compact JWS");
  }
  std::optional<nlohmann::json> header = DecodeJsonPart(token.substr(0, dot1));
  std::optional<nlohmann::json> claims = DecodeJsonPart(token.substr(dot1 + 1, dot2 - dot1 - 1));
  std::optional<std::string> sig = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !claims || !sig) return Bad("malformed");
  // value() throws on a member of another type: check the types first (a
  // header {"alg": 1} must be refused, not end the server).
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "EdDSA") {
    return Bad("alg must be EdDSA");
  }
  if (sig->size() != crypto_sign_BYTES) return Bad("bad signature length");
  auto kid_field = header->find("kid");
  if (kid_field != header->end() && !kid_field->is_string()) return Bad("kid must be a string");
  std::string kid = kid_field == header->end() ? "" : kid_field->get<std::string>();
  const PublicKey* key = nullptr;
  for (const PublicKey& k : keys) {
    if (k.kid == kid && k.key.size() == kEd25519PublicKeyBytes) key = &k;
  }
  if (key == nullptr) return Bad("unknown key id");
  std::string_view input = token.substr(0, dot2);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                  reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                                  reinterpret_cast<const unsigned char*>(key->key.data())) != 0) {
    return Bad("bad signature");
  }
  if (claims->contains("exp") &&
      (!(*claims)["exp"].is_number_integer() || (*claims)["exp"].get<int64_t>() + leeway_seconds < now_seconds)) {
    return Bad("expired");
  }
  if (claims->contains("nbf") &&
      (!(*claims)["nbf"].is_number_integer() || (*claims)["nbf"].get<int64_t>() - leeway_seconds > now_seconds)) {
    return Bad("not valid yet");
  }
  return *claims;
}

}  // namespace spaceport::access
