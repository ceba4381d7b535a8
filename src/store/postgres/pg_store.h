// PostgresStore: the PostgreSQL backend of store::Store, for installations
// that outgrow one machine (several nodes on one database).
//
// A pool of connections (pg_db.h): methods run concurrently, each as one
// transaction (writes at SERIALIZABLE, retried on conflicts, so checks
// followed by writes behave as under SQLite's single writer). The schema is
// migrated on open (pg_migrations.h). Secret env values are sealed with
// SecretBox before they reach the database, as in the SQLite backend.
// Thread safety: all methods are safe from any thread.
// Failure: see store/store.h; SQLSTATEs map through PgStatus.
#pragma once

#include <memory>
#include <string>

#include "store/postgres/pg_db.h"
#include "store/billing_store.h"
#include "store/collection_store.h"
#include "store/directory_store.h"
#include "store/moderation_store.h"
#include "store/secret_box.h"
#include "store/store.h"

namespace spaceport::store::postgres {

// `url`: postgres://user@host:port/db (any libpq connection string);
// `secrets_key` is empty or 32 bytes; `fence` (borrowed, may be null) as in
// StoreOptions.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const std::string& secrets_key,
                                                 const WriteFence* fence);

// The other areas on the same database, each with a pool of its own
// (pg_billing.cc, ...).
Result<std::unique_ptr<BillingStore>> OpenPostgresBillingStore(const std::string& url, const WriteFence* fence);
Result<std::unique_ptr<DirectoryStore>> OpenPostgresDirectoryStore(const std::string& url, const WriteFence* fence);
Result<std::unique_ptr<ModerationStore>> OpenPostgresModerationStore(const std::string& url, const WriteFence* fence);
Result<std::unique_ptr<CollectionStore>> OpenPostgresCollectionStore(const std::string& url, const WriteFence* fence);

class PostgresStore : public Store {
 public:
  PostgresStore(std::unique_ptr<PgPool> pool, SecretBox box) : pool_(std::move(pool)), box_(std::move(box)) {}

  Result<User> CreateUser(const std::string& name, bool is_admin, int64_t now) override;
  Result<User> GetUser(int64_t id) override;
  Result<User> GetUserByName(std::string_view name) override;
  Result<std::vector<User>> ListUsers() override;

  Result<Token> CreateToken(int64_t user_id, const std::string& name, TokenScope scope,
                            const std::string& token_hash, int64_t now) override;
  Result<std::pair<Token, User>> UseToken(std::string_view token_hash, int64_t now) override;
  Result<std::vector<Token>> ListTokens(int64_t user_id) override;
  Status DeleteToken(int64_t user_id, int64_t token_id) override;

  Result<Space> CreateSpace(const Space& space, int64_t now) override;
  Result<Space> GetSpace(std::string_view owner, std::string_view name) override;
  Result<Space> GetSpaceById(int64_t id) override;
  Result<Space> GetSpaceBySubdomain(std::string_view subdomain) override;
  Result<std::vector<Space>> ListSpaces(const SpaceQuery& query) override;
  Result<int64_t> CountSpaces(const SpaceQuery& query) override;
  Status UpdateSpace(const Space& space) override;
  Status SetSpaceStage(int64_t space_id, std::string_view stage, std::string_view error_message) override;
  Status SetSpaceVisibility(int64_t space_id, Visibility visibility) override;
  Status DeleteSpace(int64_t space_id) override;
  Status RenameSpace(int64_t space_id, std::string_view owner, std::string_view name,
                     std::string_view subdomain) override;

  Result<Build> CreateBuild(int64_t space_id, const std::string& commit_sha, int64_t now) override;
  Status FinishBuild(int64_t build_id, BuildStatus status, const std::string& error, int64_t now) override;
  Status SetBuildStatus(int64_t build_id, BuildStatus status) override;
  Result<std::vector<Build>> ListBuilds(int64_t space_id, int64_t limit) override;

  Status SetEnv(int64_t space_id, const EnvVar& var) override;
  Status DeleteEnv(int64_t space_id, std::string_view key, bool secret) override;
  Result<std::vector<EnvVar>> ListEnv(int64_t space_id) override;

  Status Like(int64_t user_id, int64_t space_id, int64_t now) override;
  Status Unlike(int64_t user_id, int64_t space_id) override;
  Result<std::vector<User>> ListLikers(int64_t space_id) override;
  Result<std::vector<LikedSpace>> ListLikedSpaces(int64_t user_id) override;
  Result<int64_t> CountLikes(int64_t space_id) override;
  // pg_gates.cc
  Status SetGate(int64_t space_id, std::string_view mode) override;
  Result<std::string> GetGate(int64_t space_id) override;
  Result<AccessRequest> RequestAccess(int64_t space_id, int64_t user_id, const std::string& fields_json,
                                      AccessRequestStatus initial, int64_t now) override;
  Status DecideAccess(int64_t space_id, int64_t user_id, AccessRequestStatus status,
                      const std::string& rejection_reason, int64_t now) override;
  Result<std::vector<AccessRequest>> ListAccessRequests(int64_t space_id, AccessRequestStatus status) override;
  Result<AccessRequest> GetAccessRequest(int64_t space_id, int64_t user_id) override;

  Result<EmbedLink> CreateEmbedLink(const EmbedLink& link) override;
  Result<std::vector<EmbedLink>> ListEmbedLinks(int64_t space_id) override;
  Status RevokeEmbedLink(int64_t space_id, std::string_view link_id) override;

  // pg_accounts.cc
  Status SetPasswordHash(int64_t user_id, const std::string& password_hash) override;
  Result<std::string> GetPasswordHash(int64_t user_id) override;
  Status CreateSession(const Session& session) override;
  Result<std::pair<Session, User>> GetSession(std::string_view id_hash, int64_t now) override;
  Status TouchSession(std::string_view id_hash, int64_t now, int64_t expires_at) override;
  Status DeleteSession(std::string_view id_hash) override;
  Status DeleteUserSessions(int64_t user_id) override;
  Result<int64_t> DeleteExpiredSessions(int64_t now) override;
  Result<Organization> CreateOrganization(const std::string& name, int64_t creator_user_id, int64_t now) override;
  Result<Organization> GetOrganizationByName(std::string_view name) override;
  Status SetOrgMember(int64_t org_id, int64_t user_id, OrgRole role) override;
  Status RemoveOrgMember(int64_t org_id, int64_t user_id) override;
  Result<std::vector<OrgMember>> ListOrgMembers(int64_t org_id) override;
  Result<std::vector<Membership>> ListMemberships(int64_t user_id) override;
  Result<OrgRole> GetOrgRole(std::string_view org_name, int64_t user_id) override;
  Status SaveOAuthGrant(int64_t user_id, int64_t space_id, const std::string& scopes, int64_t now) override;
  Result<OAuthGrant> GetOAuthGrant(int64_t user_id, int64_t space_id) override;
  Result<std::vector<OAuthGrant>> ListOAuthGrants(int64_t user_id) override;
  Status RevokeOAuthGrant(int64_t user_id, int64_t space_id) override;

 private:
  template <typename Fn>
  auto InTxn(TxnKind kind, Fn&& fn) -> decltype(fn(std::declval<PgConn&>())) {
    return postgres::InTxn(*pool_, kind, std::forward<Fn>(fn));
  }

  std::unique_ptr<PgPool> pool_;
  const SecretBox box_;
};

}  // namespace spaceport::store::postgres
