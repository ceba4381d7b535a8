// Embed links: expiring URLs that open one Space's app inside an iframe on
// another site without sign-in (docs/access.md "Embedding").
//
// A link is an id ("el_" + 16 hex; listed by the API, names the link in
// revocation and in X-Spaceport-Embed) and a secret (32 random bytes, hex),
// shown once inside its URL: APP_URL/.spaceport/embed?t=ID.SECRET. The store
// keeps SHA-256(secret) only, as for API tokens. The hub publishes each
// Space's live links (id, secret hash, expiry) in the Space's AccessTable
// entry; CheckEmbedToken decides from that entry alone (no database, constant-
// time comparison of hashes), so a revocation reaches the edge with the next
// publish. The link is bound to its Space by living in that Space's entry:
// another Space's token finds nothing there.
// Why not a JWT over (Space, link, expiry): the signing keys rotate every 30
// days and retired keys are dropped 7 days later, while a link may live 90
// days; the per-link secret never depends on key rotation. The embed viewer's
// cookie (AppSessions::EmbedSession) is a signed token, valid while the link is.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "access/access_table.h"

namespace spaceport::access {

inline constexpr std::string_view kEmbedLinkIdPrefix = "el_";

struct NewEmbedLink {
  std::string id;           // "el_" + 16 hex
  std::string token;        // "ID.SECRET", the URL's t= parameter; shown once
  std::string secret_hash;  // what the store keeps
};
NewEmbedLink GenerateEmbedLink();  // fresh randomness

// True for ids GenerateEmbedLink could have made (the API refuses others).
bool IsEmbedLinkId(std::string_view id);

// A live link a token opens: its id and expiry (unix millis).
struct EmbedGrant {
  std::string link_id;
  int64_t expires_at_ms = 0;
};
// The link of `access` named by `token` when its secret matches and it has
// not expired at `now_ms`; nullopt for malformed, unknown (revoked, another
// Space's), wrong-secret or expired tokens alike. A null `access` has no links.
std::optional<EmbedGrant> CheckEmbedToken(const SpaceAccess* access, std::string_view token, int64_t now_ms);

}  // namespace spaceport::access
