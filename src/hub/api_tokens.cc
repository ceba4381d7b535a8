// Token management API (a Spaceport addition): GET/POST /api/settings/tokens,
// DELETE /api/settings/tokens/{id}. A token's text is returned once, when it
// is created; only its hash is stored. Creating or revoking needs a
// write-scoped credential, so a read token cannot mint a write token.
#include "access/tokens.h"
#include "core/strings.h"
#include "hub/hub_core.h"

namespace spaceport::hub {

Result<IssuedApiToken> IssueApiToken(HubCore& hub, int64_t user_id, const std::string& name,
                                     const std::string& role) {
  std::string trimmed(Trim(name));
  if (trimmed.empty() || trimmed.size() > 100) return Status::InvalidArgument("a token needs a name (1-100 characters)");
  if (role != "read" && role != "write") return Status::InvalidArgument("'role' must be read or write");
  store::TokenScope scope = role == "read" ? store::TokenScope::kRead : store::TokenScope::kWrite;
  std::string text = access::GenerateToken();
  ASSIGN_OR_RETURN(store::Token token, hub.deps().store->CreateToken(user_id, trimmed, scope, access::HashToken(text),
                                                                     hub.deps().clock->UnixMillis()));
  return IssuedApiToken{std::move(token), std::move(text)};
}

namespace {

Json TokenJson(const store::Token& t) {
  return {{"id", std::to_string(t.id)},
          {"name", t.name},
          {"role", std::string(store::TokenScopeName(t.scope))},
          {"createdAt", FormatIsoTime(t.created_at)},
          {"lastUsedAt", t.last_used_at == 0 ? Json(nullptr) : Json(FormatIsoTime(t.last_used_at))}};
}

Status HandleList(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(std::vector<store::Token> tokens, hub.deps().store->ListTokens(who.user.id));
  Json list = Json::array();
  for (const store::Token& t : tokens) list.push_back(TokenJson(t));
  return call.SendJson(200, list);
}

Status HandleCreate(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> name, OptString(body, "name"));
  ASSIGN_OR_RETURN(std::optional<std::string> role, OptString(body, "role"));
  ASSIGN_OR_RETURN(IssuedApiToken issued, IssueApiToken(hub, who.user.id, name.value_or(""), role.value_or("read")));
  Json j = TokenJson(issued.token);
  j["token"] = issued.text;
  return call.SendJson(200, j);
}

Status HandleDelete(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  std::optional<int64_t> id = ParseInt(call.Param("id"));
  if (!id) return Status::NotFound("token not found");
  RETURN_IF_ERROR(hub.deps().store->DeleteToken(who.user.id, *id));
  hub.ForgetCallers();  // revoked at every node's edge at once
  return call.SendJson(200, Json::object());
}

}  // namespace

void RegisterTokensApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/api/settings/tokens", [h](Call& c) { return HandleList(*h, c); });
  router.Add("POST", "/api/settings/tokens", [h](Call& c) { return HandleCreate(*h, c); });
  router.Add("DELETE", "/api/settings/tokens/:id", [h](Call& c) { return HandleDelete(*h, c); });
}

}  // namespace spaceport::hub
