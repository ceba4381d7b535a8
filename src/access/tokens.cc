#include "access/tokens.h"

#include <string>

#include "core/strings.h"

namespace spaceport::access {
namespace {

constexpr std::string_view kTokenPrefix = "sp_";
// The Hugging Face clients refuse tokens that do not start with "hf_", so a
// Spaceport token "sp_<rest>" is also accepted spelled "hf_<rest>".
constexpr std::string_view kHfAliasPrefix = "hf_";
constexpr size_t kTokenRandomBytes = 20;
constexpr size_t kTokenLength = kTokenPrefix.size() + 2 * kTokenRandomBytes;

Status InvalidToken() { return Status::Unauthenticated("invalid token"); }

// "sp_" + 40 lower-case hex. Checked before hashing so junk never reaches
// the store (and arbitrarily long headers cost nothing).
bool IsWellFormedToken(std::string_view token) {
  return token.size() == kTokenLength && StartsWith(token, kTokenPrefix) &&
         IsLowerHex(token.substr(kTokenPrefix.size()));
}

// The token carried by an Authorization header value, or an error.
Result<std::string> ExtractToken(std::string_view header) {
  header = Trim(header);
  size_t space = header.find_first_of(" \t");
  if (space == std::string_view::npos) return InvalidToken();
  std::string_view scheme = header.substr(0, space);
  std::string_view credentials = Trim(header.substr(space + 1));
  std::string token;
  if (EqualsIgnoreCase(scheme, "Bearer")) {
    token = std::string(credentials);
  } else if (EqualsIgnoreCase(scheme, "Basic")) {
    std::optional<std::string> decoded = Base64Decode(credentials);
    if (!decoded) return InvalidToken();
    size_t colon = decoded->find(':');
    // The user part is required but not checked: the token names its owner.
    if (colon == std::string::npos || colon == 0) return InvalidToken();
    token = decoded->substr(colon + 1);
  } else {
    return InvalidToken();
  }
  if (StartsWith(token, kHfAliasPrefix)) token = std::string(kTokenPrefix) + token.substr(kHfAliasPrefix.size());
  if (!IsWellFormedToken(token)) return InvalidToken();
  return token;
}

}  // namespace

std::string GenerateToken() { return std::string(kTokenPrefix) + RandomHex(kTokenRandomBytes); }

std::string HashToken(std::string_view token) { return Sha256Hex(token); }

Result<std::optional<Principal>> Authenticator::FromSession(const http::Headers& headers) const {
  if (sessions_ == nullptr) return std::optional<Principal>();
  std::optional<std::string> id = SessionIdFromCookies(headers);
  if (!id) return std::optional<Principal>();
  ASSIGN_OR_RETURN(std::optional<SessionIdentity> session, sessions_->Lookup(*id));
  // A suspended account browses as if signed out (docs/directory.md, "Moderation").
  if (!session || session->user.suspended) return std::optional<Principal>();
  Principal p{std::move(session->user),        store::TokenScope::kWrite,  true, "", 0,
              std::move(session->csrf_secret), std::move(session->id_hash)};
  return std::optional<Principal>(std::move(p));
}

Result<std::optional<Principal>> Authenticator::Authenticate(const http::Headers& headers) const {
  std::optional<std::string_view> header = headers.Get("Authorization");
  if (!header) return FromSession(headers);
  ASSIGN_OR_RETURN(std::string token, ExtractToken(*header));
  auto used = store_->UseToken(HashToken(token), clock_->UnixMillis());
  if (!used.ok()) {
    // An unknown token is the caller's fault; a failing store is not (5xx).
    if (used.status().code() == StatusCode::kNotFound) return InvalidToken();
    return used.status().WithContext("checking token");
  }
  // The lookup was by hash; re-check it in constant time so no store
  // backend's comparison timing can matter.
  if (!ConstantTimeEquals(used->first.token_hash, HashToken(token))) return InvalidToken();
  if (used->second.suspended) return Status::Unauthenticated("this account is suspended");
  Principal p{std::move(used->second), used->first.scope, false, used->first.name, used->first.id, "", ""};
  return std::optional<Principal>(std::move(p));
}

}  // namespace spaceport::access
