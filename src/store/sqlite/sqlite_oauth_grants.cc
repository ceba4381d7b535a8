// SqliteStore: "Sign in with Spaceport" consent grants (one per user and Space).
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace spaceport::store::sqlite {
namespace {

Status MissingGrant(int64_t user_id, int64_t space_id) {
  return Status::NotFound("no OAuth grant of user " + std::to_string(user_id) + " for space " +
                          std::to_string(space_id));
}

}  // namespace

Status SqliteStore::SaveOAuthGrant(int64_t user_id, int64_t space_id, const std::string& scopes, int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO oauth_grants (user_id, space_id, scopes, granted_at)"
                                           " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, space_id) DO UPDATE"
                                           " SET scopes = excluded.scopes, granted_at = excluded.granted_at"));
    Status s = st->Bind(1, user_id).Bind(2, space_id).Bind(3, scopes).Bind(4, now).Run();
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("user " + std::to_string(user_id) + " or space " + std::to_string(space_id) +
                              " not found");
    }
    return s;
  });
}

Result<OAuthGrant> SqliteStore::GetOAuthGrant(int64_t user_id, int64_t space_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<OAuthGrant> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT scopes, granted_at FROM oauth_grants"
                                           " WHERE user_id = ? AND space_id = ?"));
    st->Bind(1, user_id).Bind(2, space_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return MissingGrant(user_id, space_id);
    OAuthGrant g;
    g.user_id = user_id;
    g.space_id = space_id;
    g.scopes = st->Text(0);
    g.granted_at = st->Int(1);
    return g;
  });
}

Result<std::vector<OAuthGrant>> SqliteStore::ListOAuthGrants(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<OAuthGrant>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kSpaceColumns +
                                           ", g.scopes, g.granted_at FROM oauth_grants g"
                                           " JOIN spaces s ON s.id = g.space_id WHERE g.user_id = ?"
                                           " ORDER BY g.granted_at DESC, s.id DESC"));
    st->Bind(1, user_id);
    std::vector<OAuthGrant> grants;
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      OAuthGrant g;
      g.space = ReadSpace(*st);
      g.user_id = user_id;
      g.space_id = g.space.id;
      g.scopes = st->Text(kSpaceColumnCount);
      g.granted_at = st->Int(kSpaceColumnCount + 1);
      grants.push_back(std::move(g));
    }
    return grants;
  });
}

Status SqliteStore::RevokeOAuthGrant(int64_t user_id, int64_t space_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM oauth_grants WHERE user_id = ? AND space_id = ?"));
    RETURN_IF_ERROR(st->Bind(1, user_id).Bind(2, space_id).Run());
    return st->Changes() > 0 ? Status::Ok() : MissingGrant(user_id, space_id);
  });
}

}  // namespace spaceport::store::sqlite
