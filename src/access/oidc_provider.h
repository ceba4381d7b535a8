// OidcProvider: "Sign in with Spaceport" for apps (OAuth 2.0 authorization
// code flow with PKCE, OpenID Connect ID tokens), compatible with Spaces'
// `hf_oauth: true`.
//
// Each Space with hf_oauth gets one confidential client. Its id and secret
// are derived (HMAC with a key kept in the data dir), so nothing is stored:
// client_id = "{subdomain}-{12 hex}", the hex tying it to the Space's row
// (a deleted and re-created Space gets a new client). The app receives them
// as OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET with OAUTH_SCOPES and
// OPENID_PROVIDER_URL (AppEnv). Redirect URIs must point at the Space's own
// app host or its path-based URL on the hub.
// Authorizing is two steps so the hub can ask the user in between:
// CheckAuthorize validates a request (client, redirect URI, PKCE, scopes the
// card offers, and the card's hf_oauth_authorized_org), and IssueCode mints
// the code once the user has consented (now or earlier: the hub keeps the
// grants). CheckAuthorize is pure, so the consent form's POST re-validates
// the request it carries instead of trusting it.
// Codes live in memory for `code_ttl`, are single use and bound to the
// client, the redirect URI and the S256 PKCE challenge (required). Access
// and ID tokens are EdDSA JWTs from SigningKeys (typ "sp-oauth-access" and
// "JWT"). What userinfo answers (including the user's organizations, `orgs`,
// for the repo scopes) is what was true when the code was issued; the hub
// only checks that the user's consent still stands (store::OAuthGrant), so
// revoking a connected app ends the tokens it holds.
//
// Thread safety: safe from any thread (a mutex guards the pending codes; no
// I/O under it).
// Failure: InvalidArgument for malformed requests (invalid_request),
// PermissionDenied for bad client credentials (invalid_client),
// Unauthenticated for bad, used or expired codes and verifiers
// (invalid_grant) and for bad access tokens.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "access/caller_cache.h"
#include "access/signing_keys.h"
#include "core/clock.h"
#include "store/store.h"

namespace spaceport::access {

struct OidcOptions {
  std::string issuer;       // the hub's public URL
  std::string apps_domain;  // app hosts: {subdomain}.{apps_domain}
  std::string client_key;   // 32 bytes: derives client ids and secrets
  Millis code_ttl{60000};
  Millis default_token_ttl{Millis(8LL * 3600 * 1000)};  // hf_oauth_expiration_minutes overrides
};

struct OAuthClient {
  std::string client_id;
  std::string client_secret;
};

struct AuthorizeRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;  // space separated; "openid profile" when empty
  std::string state;
  std::string nonce;
  std::string code_challenge;
  std::string code_challenge_method;
};

// A request CheckAuthorize accepted.
struct ValidAuthorize {
  AuthorizeRequest request;
  std::vector<std::string> scopes;           // as requested, de-duplicated; all offered by the card
  std::vector<std::string> authorized_orgs;  // the card's hf_oauth_authorized_org; empty: any user
  int64_t token_ttl_s = 0;
};

// One of the user's organizations, for the `orgs` userinfo claim.
struct OrgClaim {
  int64_t id = 0;
  std::string name;
  std::string role;  // "admin" | "write" | "read"
};

struct TokenRequest {
  std::string code;
  std::string redirect_uri;
  std::string code_verifier;
  std::string client_id;
  std::string client_secret;
};

class OidcProvider {
 public:
  OidcProvider(const SigningKeys* keys, const Clock* clock, OidcOptions options)
      : keys_(keys), clock_(clock), options_(std::move(options)) {}

  void SetIssuer(std::string issuer) { options_.issuer = std::move(issuer); }  // before serving
  const std::string& issuer() const { return options_.issuer; }
  nlohmann::json Discovery() const;

  OAuthClient ClientFor(const store::Space& space) const;
  // The env keys an hf_oauth app gets (empty when the card does not ask).
  std::map<std::string, std::string> AppEnv(const store::Space& space, const std::string& card_json) const;
  // The subdomain a client id claims (the caller checks ClientFor matches).
  static std::string SubdomainOf(std::string_view client_id);

  // Checks a request for `space`'s client: PermissionDenied for a client
  // that is not this Space's (or a card without hf_oauth), InvalidArgument
  // for a foreign redirect URI, missing PKCE or a scope the card does not offer.
  Result<ValidAuthorize> CheckAuthorize(const store::Space& space, const AuthorizeRequest& request,
                                        const std::string& space_card_json, const std::string& app_port_suffix) const;
  // PermissionDenied, naming the organization(s), when the card limits the
  // app to members and `member_of` (the user's organization names) has none.
  static Status CheckAuthorizedOrg(const ValidAuthorize& request, const std::vector<std::string>& member_of);
  // After consent: the redirect to the app with a fresh code (and `state`).
  // `orgs` are the user's organizations (kept for userinfo when the scopes
  // include read-repos, write-repos or manage-repos).
  std::string IssueCode(const ValidAuthorize& request, const Caller& caller, std::vector<OrgClaim> orgs = {});
  // The redirect for a user who said no: error=access_denied and the state
  // (RFC 6749 4.1.2.1). Only for a request CheckAuthorize accepted.
  static std::string DeniedRedirect(const AuthorizeRequest& request);

  // Consent bookkeeping over space-separated scope lists: whether `granted`
  // covers every requested scope, and the union to remember after an Allow.
  static bool GrantCovers(std::string_view granted, const std::vector<std::string>& requested);
  static std::string MergeScopes(std::string_view granted, const std::vector<std::string>& requested);
  // What a scope lets the app do, in words for the consent page.
  static std::string DescribeScope(std::string_view scope);
  // Redeems a code: {access_token, token_type, expires_in, id_token, scope}.
  Result<nlohmann::json> Token(const store::Space& space, const TokenRequest& request);
  // A valid access token: whose it is, which client holds it, when it was
  // issued, and its claims shaped as OIDC userinfo.
  struct AccessToken {
    int64_t user_id = 0;
    std::string client_id;
    int64_t issued_at = 0;  // unix seconds
    nlohmann::json userinfo;
  };
  Result<AccessToken> CheckAccessToken(std::string_view access_token) const;

 private:
  struct PendingCode {
    std::string client_id;
    std::string redirect_uri;
    std::string challenge;
    std::string scope;
    std::string nonce;
    Caller caller;
    std::vector<OrgClaim> orgs;  // only for the repo scopes
    int64_t token_ttl_s = 0;
    SteadyTime expires;
  };
  bool RedirectAllowed(const store::Space& space, std::string_view uri, const std::string& port_suffix) const;
  static std::string Redirect(const AuthorizeRequest& request, const std::string& params);

  const SigningKeys* const keys_;
  const Clock* const clock_;
  OidcOptions options_;
  Mutex mu_;
  std::map<std::string, PendingCode> codes_ SP_GUARDED_BY(mu_);  // by sha256 of the code
};

}  // namespace spaceport::access
