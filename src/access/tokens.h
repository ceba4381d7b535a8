// API tokens and request authentication for the hub.
//
// Tokens look like "sp_" + 40 hex characters; only their SHA-256 is stored.
// The same token spelled "hf_" + the 40 characters is accepted too, because
// the Hugging Face clients insist on that prefix.
// Authenticator resolves the credentials of a hub request: "Authorization:
// Bearer <token>", or HTTP Basic with the token as password (git). A missing
// header is anonymous (no error); a present but bad one is Unauthenticated.
// Comparison is by hash lookup, so timing does not reveal token prefixes,
// then the stored hash is re-checked in constant time.
// Without an Authorization header, a valid session cookie (access/sessions.h)
// authenticates as the session's user with full (write) rights; a bad or
// expired cookie is simply anonymous. Whether a cookie may be used for a
// state-changing request (CSRF) is the hub's decision (Principal::via_session).
// Thread safety: safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "access/sessions.h"
#include "core/clock.h"
#include "core/status.h"
#include "http/message.h"
#include "store/account_store.h"

namespace spaceport::access {

std::string GenerateToken();                    // "sp_..." (fresh randomness)
std::string HashToken(std::string_view token);  // sha256 hex

// Who is calling: a user, through a token or a browser session.
struct Principal {
  store::User user;
  store::TokenScope scope = store::TokenScope::kWrite;
  bool via_session = false;
  std::string token_name;    // tokens only
  int64_t token_id = 0;      // tokens only
  std::string csrf_secret;   // sessions only
  std::string session_hash;  // sessions only: HashSessionId of the browser's session
  bool can_write() const { return scope == store::TokenScope::kWrite; }
};

class Authenticator {
 public:
  Authenticator(store::AccountStore* store, const Clock* clock, SessionManager* sessions = nullptr)
      : store_(store), clock_(clock), sessions_(sessions) {}
  // nullopt: anonymous. Error: credentials present but invalid.
  Result<std::optional<Principal>> Authenticate(const http::Headers& headers) const;

 private:
  Result<std::optional<Principal>> FromSession(const http::Headers& headers) const;

  store::AccountStore* store_;
  const Clock* clock_;
  SessionManager* sessions_;
};

}  // namespace spaceport::access
