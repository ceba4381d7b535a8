#include "access/embed_links.h"

#include "core/strings.h"

namespace spaceport::access {
namespace {

constexpr size_t kIdRandomBytes = 8;
constexpr size_t kSecretRandomBytes = 32;

}  // namespace

NewEmbedLink GenerateEmbedLink() {
  NewEmbedLink link;
  link.id = std::string(kEmbedLinkIdPrefix) + RandomHex(kIdRandomBytes);
  std::string secret = RandomHex(kSecretRandomBytes);
  link.token = link.id + "." + secret;
  link.secret_hash = Sha256Hex(secret);
  return link;
}

bool IsEmbedLinkId(std::string_view id) {
  if (!StartsWith(id, kEmbedLinkIdPrefix)) return false;
  id.remove_prefix(kEmbedLinkIdPrefix.size());
  return id.size() == 2 * kIdRandomBytes && IsLowerHex(id);
}

std::optional<EmbedGrant> CheckEmbedToken(const SpaceAccess* access, std::string_view token, int64_t now_ms) {
  if (access == nullptr) return std::nullopt;
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view id = token.substr(0, dot);
  std::string_view secret = token.substr(dot + 1);
  if (!IsEmbedLinkId(id) || secret.size() != 2 * kSecretRandomBytes || !IsLowerHex(secret)) return std::nullopt;
  auto it = access->embed_links.find(id);
  if (it == access->embed_links.end() || it->second.expires_at_ms <= now_ms) return std::nullopt;
  if (!ConstantTimeEquals(it->second.secret_hash, Sha256Hex(secret))) return std::nullopt;
  return EmbedGrant{std::string(id), it->second.expires_at_ms};
}

}  // namespace spaceport::access
