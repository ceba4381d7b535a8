// Embed links: signed, expiring links to one Space's app (store.h).
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_rows.h"

namespace spaceport::store::sqlite {
namespace {

constexpr char kLinkColumns[] =
    "id, space_id, name, created_by, secret_hash, created_at, expires_at, revoked";

EmbedLink ReadLink(const Stmt& st) {
  EmbedLink l;
  l.id = st.Text(0);
  l.space_id = st.Int(1);
  l.name = st.Text(2);
  l.created_by = st.Int(3);
  l.secret_hash = st.Text(4);
  l.created_at = st.Int(5);
  l.expires_at = st.Int(6);
  l.revoked = st.Int(7) != 0;
  return l;
}

}  // namespace

Result<EmbedLink> SqliteStore::CreateEmbedLink(const EmbedLink& link) {
  if (link.id.empty() || link.secret_hash.empty()) {
    return Status::InvalidArgument("an embed link needs an id and a secret hash");
  }
  return InTxn(TxnKind::kWrite, [&]() -> Result<EmbedLink> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO embed_links (id, space_id, name, created_by, secret_hash,"
                                           " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    Status s = st->Bind(1, link.id)
                   .Bind(2, link.space_id)
                   .Bind(3, link.name)
                   .Bind(4, link.created_by)
                   .Bind(5, link.secret_hash)
                   .Bind(6, link.created_at)
                   .Bind(7, link.expires_at)
                   .Run();
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("embed link id is taken");
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("space " + std::to_string(link.space_id) + " or user " +
                              std::to_string(link.created_by) + " not found");
    }
    RETURN_IF_ERROR(s);
    EmbedLink made = link;
    made.revoked = false;
    return made;
  });
}

Result<std::vector<EmbedLink>> SqliteStore::ListEmbedLinks(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<EmbedLink>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kLinkColumns +
                                           " FROM embed_links WHERE space_id = ?"
                                           " ORDER BY created_at DESC, rowid DESC"));
    st->Bind(1, space_id);
    return ReadRows<EmbedLink>(*st, [&] { return ReadLink(*st); });
  });
}

Status SqliteStore::RevokeEmbedLink(int64_t space_id, std::string_view link_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE embed_links SET revoked = 1 WHERE space_id = ? AND id = ?"));
    RETURN_IF_ERROR(st->Bind(1, space_id).Bind(2, link_id).Run());
    if (st->Changes() == 0) return Status::NotFound("embed link " + std::string(link_id) + " not found");
    return Status::Ok();
  });
}

}  // namespace spaceport::store::sqlite
