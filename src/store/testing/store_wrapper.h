// StoreWrapper: forwards every Store call to another Store. Subclass it and
// override the methods a test wants to fail or observe (fault injection, like
// an EnvWrapper): e.g. make UseToken return Unavailable.
// Ownership: does not own the wrapped store. Thread safety: as the target.
#pragma once

#include "store/store.h"

namespace spaceport::store::testing {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store* target) : target_(target) {}

  Result<User> CreateUser(const std::string& name, bool is_admin, int64_t now) override {
    return target_->CreateUser(name, is_admin, now);
  }
  Result<User> GetUser(int64_t id) override { return target_->GetUser(id); }
  Result<User> GetUserByName(std::string_view name) override { return target_->GetUserByName(name); }
  Result<std::vector<User>> ListUsers() override { return target_->ListUsers(); }

  Result<Token> CreateToken(int64_t user_id, const std::string& name, TokenScope scope,
                            const std::string& token_hash, int64_t now) override {
    return target_->CreateToken(user_id, name, scope, token_hash, now);
  }
  Result<std::pair<Token, User>> UseToken(std::string_view token_hash, int64_t now) override {
    return target_->UseToken(token_hash, now);
  }
  Result<std::vector<Token>> ListTokens(int64_t user_id) override { return target_->ListTokens(user_id); }
  Status DeleteToken(int64_t user_id, int64_t token_id) override { return target_->DeleteToken(user_id, token_id); }

  Result<Space> CreateSpace(const Space& space, int64_t now) override { return target_->CreateSpace(space, now); }
  Result<Space> GetSpace(std::string_view owner, std::string_view name) override {
    return target_->GetSpace(owner, name);
  }
  Result<Space> GetSpaceById(int64_t id) override { return target_->GetSpaceById(id); }
  Result<Space> GetSpaceBySubdomain(std::string_view subdomain) override {
    return target_->GetSpaceBySubdomain(subdomain);
  }
  Result<std::vector<Space>> ListSpaces(const SpaceQuery& query) override { return target_->ListSpaces(query); }
  Result<int64_t> CountSpaces(const SpaceQuery& query) override { return target_->CountSpaces(query); }
  Status UpdateSpace(const Space& space) override { return target_->UpdateSpace(space); }
  Status RenameSpace(int64_t space_id, std::string_view owner, std::string_view name,
                     std::string_view subdomain) override {
    return target_->RenameSpace(space_id, owner, name, subdomain);
  }
  Status SetSpaceStage(int64_t space_id, std::string_view stage, std::string_view error_message) override {
    return target_->SetSpaceStage(space_id, stage, error_message);
  }
  Status SetSpaceVisibility(int64_t space_id, store::Visibility visibility) override {
    return target_->SetSpaceVisibility(space_id, visibility);
  }
  Status DeleteSpace(int64_t space_id) override { return target_->DeleteSpace(space_id); }

  Result<Build> CreateBuild(int64_t space_id, const std::string& commit_sha, int64_t now) override {
    return target_->CreateBuild(space_id, commit_sha, now);
  }
  Status FinishBuild(int64_t build_id, BuildStatus status, const std::string& error, int64_t now) override {
    return target_->FinishBuild(build_id, status, error, now);
  }
  Status SetBuildStatus(int64_t build_id, BuildStatus status) override {
    return target_->SetBuildStatus(build_id, status);
  }
  Result<std::vector<Build>> ListBuilds(int64_t space_id, int64_t limit) override {
    return target_->ListBuilds(space_id, limit);
  }

  Status SetEnv(int64_t space_id, const EnvVar& var) override { return target_->SetEnv(space_id, var); }
  Status DeleteEnv(int64_t space_id, std::string_view key, bool secret) override {
    return target_->DeleteEnv(space_id, key, secret);
  }
  Result<std::vector<EnvVar>> ListEnv(int64_t space_id) override { return target_->ListEnv(space_id); }

  Status Like(int64_t user_id, int64_t space_id, int64_t now) override {
    return target_->Like(user_id, space_id, now);
  }
  Status Unlike(int64_t user_id, int64_t space_id) override { return target_->Unlike(user_id, space_id); }
  Result<std::vector<User>> ListLikers(int64_t space_id) override { return target_->ListLikers(space_id); }
  Result<std::vector<LikedSpace>> ListLikedSpaces(int64_t user_id) override {
    return target_->ListLikedSpaces(user_id);
  }
  Result<int64_t> CountLikes(int64_t space_id) override { return target_->CountLikes(space_id); }
  Status SetGate(int64_t space_id, std::string_view mode) override { return target_->SetGate(space_id, mode); }
  Result<std::string> GetGate(int64_t space_id) override { return target_->GetGate(space_id); }
  Result<AccessRequest> RequestAccess(int64_t space_id, int64_t user_id, const std::string& fields_json,
                                      AccessRequestStatus initial, int64_t now) override {
    return target_->RequestAccess(space_id, user_id, fields_json, initial, now);
  }
  Status DecideAccess(int64_t space_id, int64_t user_id, AccessRequestStatus status, const std::string& reason,
                      int64_t now) override {
    return target_->DecideAccess(space_id, user_id, status, reason, now);
  }
  Result<std::vector<AccessRequest>> ListAccessRequests(int64_t space_id, AccessRequestStatus status) override {
    return target_->ListAccessRequests(space_id, status);
  }
  Result<AccessRequest> GetAccessRequest(int64_t space_id, int64_t user_id) override {
    return target_->GetAccessRequest(space_id, user_id);
  }

  Result<EmbedLink> CreateEmbedLink(const EmbedLink& link) override { return target_->CreateEmbedLink(link); }
  Result<std::vector<EmbedLink>> ListEmbedLinks(int64_t space_id) override {
    return target_->ListEmbedLinks(space_id);
  }
  Status RevokeEmbedLink(int64_t space_id, std::string_view link_id) override {
    return target_->RevokeEmbedLink(space_id, link_id);
  }

  Status SetPasswordHash(int64_t user_id, const std::string& hash) override {
    return target_->SetPasswordHash(user_id, hash);
  }
  Result<std::string> GetPasswordHash(int64_t user_id) override { return target_->GetPasswordHash(user_id); }
  Status CreateSession(const Session& session) override { return target_->CreateSession(session); }
  Result<std::pair<Session, User>> GetSession(std::string_view id_hash, int64_t now) override {
    return target_->GetSession(id_hash, now);
  }
  Status TouchSession(std::string_view id_hash, int64_t now, int64_t expires_at) override {
    return target_->TouchSession(id_hash, now, expires_at);
  }
  Status DeleteSession(std::string_view id_hash) override { return target_->DeleteSession(id_hash); }
  Status DeleteUserSessions(int64_t user_id) override { return target_->DeleteUserSessions(user_id); }
  Result<int64_t> DeleteExpiredSessions(int64_t now) override { return target_->DeleteExpiredSessions(now); }
  Result<Organization> CreateOrganization(const std::string& name, int64_t creator, int64_t now) override {
    return target_->CreateOrganization(name, creator, now);
  }
  Result<Organization> GetOrganizationByName(std::string_view name) override {
    return target_->GetOrganizationByName(name);
  }
  Status SetOrgMember(int64_t org_id, int64_t user_id, OrgRole role) override {
    return target_->SetOrgMember(org_id, user_id, role);
  }
  Status RemoveOrgMember(int64_t org_id, int64_t user_id) override {
    return target_->RemoveOrgMember(org_id, user_id);
  }
  Result<std::vector<OrgMember>> ListOrgMembers(int64_t org_id) override { return target_->ListOrgMembers(org_id); }
  Result<std::vector<Membership>> ListMemberships(int64_t user_id) override {
    return target_->ListMemberships(user_id);
  }
  Result<OrgRole> GetOrgRole(std::string_view org_name, int64_t user_id) override {
    return target_->GetOrgRole(org_name, user_id);
  }
  Status SaveOAuthGrant(int64_t user_id, int64_t space_id, const std::string& scopes, int64_t now) override {
    return target_->SaveOAuthGrant(user_id, space_id, scopes, now);
  }
  Result<OAuthGrant> GetOAuthGrant(int64_t user_id, int64_t space_id) override {
    return target_->GetOAuthGrant(user_id, space_id);
  }
  Result<std::vector<OAuthGrant>> ListOAuthGrants(int64_t user_id) override {
    return target_->ListOAuthGrants(user_id);
  }
  Status RevokeOAuthGrant(int64_t user_id, int64_t space_id) override {
    return target_->RevokeOAuthGrant(user_id, space_id);
  }

 protected:
  Store* target_;
};

}  // namespace spaceport::store::testing
