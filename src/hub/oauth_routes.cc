// The OAuth2 / OpenID Connect provider's HTTP face (access/oidc_provider.h
// holds the rules): discovery, authorize, token, userinfo. Token and userinfo
// answer in OAuth's own error shape ({"error": code, "error_description"}),
// which OAuth clients expect instead of the hub's {"error": message}.
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

Status SendOAuthError(Call& call, int status, std::string_view code, std::string_view description) {
  http::Response r = http::Response::Json(
      status, DumpJson({{"error", std::string(code)}, {"error_description", std::string(description)}}));
  r.headers.Set("Cache-Control", "no-store");
  if (status == 401) r.headers.Set("WWW-Authenticate", "Bearer error=\"" + std::string(code) + "\"");
  return call.out.Send(r);
}

Result<store::Space> ClientSpace(HubCore& hub, std::string_view client_id) {
  std::string sub = access::OidcProvider::SubdomainOf(client_id);
  Result<store::Space> space = sub.empty() ? Status::NotFound("") : hub.deps().store->GetSpaceBySubdomain(sub);
  if (!space.ok() && space.status().code() == StatusCode::kNotFound) {
    return Status::PermissionDenied("unknown client_id");
  }
  return space;
}

Status HandleDiscovery(HubCore& hub, Call& call) {
  http::Response r = http::Response::Json(200, DumpJson(hub.deps().oidc->Discovery()));
  r.headers.Set("Cache-Control", "public, max-age=300");
  return call.out.Send(r);
}

Status HandleAuthorize(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  if (!who) return Status::Unauthenticated("sign in to continue to this app");
  if (call.Query("response_type").value_or("") != "code") {
    return Status::InvalidArgument("response_type must be code");
  }
  access::AuthorizeRequest req{call.Query("client_id").value_or(""),
                               call.Query("redirect_uri").value_or(""),
                               call.Query("scope").value_or(""),
                               call.Query("state").value_or(""),
                               call.Query("nonce").value_or(""),
                               call.Query("code_challenge").value_or(""),
                               call.Query("code_challenge_method").value_or("")};
  ASSIGN_OR_RETURN(store::Space space, ClientSpace(hub, req.client_id));
  access::Caller caller{who->user.id, who->user.name};
  ASSIGN_OR_RETURN(std::string location,
                   hub.deps().oidc->Authorize(space, req, caller, space.card_json, hub.options().app_port_suffix));
  http::Response r = http::Response::Text(302, "");
  r.headers.Set("Location", location);
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Referrer-Policy", "no-referrer");
  return call.out.Send(r);
}

Status HandleToken(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::string form, call.body.ReadAll(64 * 1024));
  const auto field = [&](std::string_view k) { return QueryParam(form, k).value_or(""); };
  if (field("grant_type") != "authorization_code") {
    return SendOAuthError(call, 400, "unsupported_grant_type", "only authorization_code is supported");
  }
  access::TokenRequest req{field("code"), field("redirect_uri"), field("code_verifier"), field("client_id"),
                           field("client_secret")};
  if (auto basic = call.request.headers.Get("Authorization"); basic && StartsWith(*basic, "Basic ")) {
    std::optional<std::string> pair = Base64Decode(Trim(basic->substr(6)));
    size_t colon = pair ? pair->find(':') : std::string::npos;
    if (colon == std::string::npos) return SendOAuthError(call, 401, "invalid_client", "malformed Basic credentials");
    req.client_id = UrlDecode(pair->substr(0, colon));
    req.client_secret = UrlDecode(pair->substr(colon + 1));
  }
  Result<store::Space> space = ClientSpace(hub, req.client_id);
  if (!space.ok()) return SendOAuthError(call, 401, "invalid_client", space.status().message());
  Result<Json> tokens = hub.deps().oidc->Token(*space, req);
  if (!tokens.ok()) {
    if (tokens.status().code() == StatusCode::kPermissionDenied) {
      return SendOAuthError(call, 401, "invalid_client", tokens.status().message());
    }
    return SendOAuthError(call, 400, "invalid_grant", tokens.status().message());
  }
  return call.SendJson(200, *tokens);
}

Status HandleUserInfo(HubCore& hub, Call& call) {
  auto auth = call.request.headers.Get("Authorization");
  if (!auth || !StartsWith(*auth, "Bearer "))
    return SendOAuthError(call, 401, "invalid_token", "Bearer token required");
  Result<Json> info = hub.deps().oidc->UserInfo(Trim(auth->substr(7)));
  if (!info.ok()) return SendOAuthError(call, 401, "invalid_token", info.status().message());
  return call.SendJson(200, *info);
}

}  // namespace

void RegisterOAuthRoutes(Router& router, HubCore& hub) {
  if (hub.deps().oidc == nullptr) return;
  router.Add("GET", "/.well-known/openid-configuration", [&hub](Call& call) { return HandleDiscovery(hub, call); });
  router.Add(
      "GET", "/oauth/authorize", [&hub](Call& call) { return HandleAuthorize(hub, call); }, ErrorFormat::kHtml);
  router.Add("POST", "/oauth/token", [&hub](Call& call) { return HandleToken(hub, call); });
  router.Add("GET", "/oauth/userinfo", [&hub](Call& call) { return HandleUserInfo(hub, call); });
  router.Add("POST", "/oauth/userinfo", [&hub](Call& call) { return HandleUserInfo(hub, call); });
}

}  // namespace spaceport::hub
