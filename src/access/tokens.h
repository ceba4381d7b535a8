// API tokens and request authentication for the hub.
//
// Tokens look like "sp_" + 40 hex characters; only their SHA-256 is stored.
// The same token spelled "hf_" + the 40 characters is accepted too, because
// the Hugging Face clients insist on that prefix.
// Authenticator resolves the credentials of a hub request: "Authorization:
// Bearer <token>", or HTTP Basic with the token as password (git). A missing
// header is anonymous (no error); a present but bad one is Unauthenticated.
// Comparison is by hash lookup, so timing does not reveal token prefixes.
// Thread safety: safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "http/message.h"
#include "store/store.h"

namespace spaceport::access {

std::string GenerateToken();                    // "sp_..." (fresh randomness)
std::string HashToken(std::string_view token);  // sha256 hex

struct Principal {
  store::User user;
  store::TokenScope scope = store::TokenScope::kWrite;
  bool can_write() const { return scope == store::TokenScope::kWrite; }
};

class Authenticator {
 public:
  Authenticator(store::Store* store, const Clock* clock) : store_(store), clock_(clock) {}
  // nullopt: anonymous. Error: credentials present but invalid.
  Result<std::optional<Principal>> Authenticate(const http::Headers& headers) const;

 private:
  store::Store* store_;
  const Clock* clock_;
};

}  // namespace spaceport::access
