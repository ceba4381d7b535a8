// PostgresStore: gated Spaces (the gate mode per Space and the visitors'
// access requests) and embed links.
#include <string>
#include <vector>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace spaceport::store::postgres {
namespace {

constexpr char kRequestColumns[] =
    "r.space_id, r.user_id, u.name, r.status, r.fields, r.rejection_reason, r.created_at, r.updated_at";

AccessRequest ReadRequest(const PgResult& r, int row) {
  AccessRequest a;
  a.space_id = r.Int(row, 0);
  a.user_id = r.Int(row, 1);
  a.user_name = r.Text(row, 2);
  a.status = ParseAccessRequestStatus(r.Text(row, 3)).value_or(AccessRequestStatus::kPending);
  a.fields_json = r.Text(row, 4);
  a.rejection_reason = r.Text(row, 5);
  a.created_at = r.Int(row, 6);
  a.updated_at = r.Int(row, 7);
  return a;
}

constexpr char kLinkColumns[] = "id, space_id, name, created_by, secret_hash, created_at, expires_at, revoked";

EmbedLink ReadLink(const PgResult& r, int row) {
  EmbedLink l;
  l.id = r.Text(row, 0);
  l.space_id = r.Int(row, 1);
  l.name = r.Text(row, 2);
  l.created_by = r.Int(row, 3);
  l.secret_hash = r.Text(row, 4);
  l.created_at = r.Int(row, 5);
  l.expires_at = r.Int(row, 6);
  l.revoked = r.Bool(row, 7);
  return l;
}

Status MissingRow(int64_t space_id, int64_t user_id) {
  return Status::NotFound("space " + std::to_string(space_id) + " or user " + std::to_string(user_id) + " not found");
}

Result<AccessRequest> ReadOneRequest(PgConn& conn, int64_t space_id, int64_t user_id) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kRequestColumns +
                                             " FROM access_requests r JOIN users u ON u.id = r.user_id"
                                             " WHERE r.space_id = $1 AND r.user_id = $2",
                                         PgParams().Add(space_id).Add(user_id)));
  if (r.rows() == 0) return Status::NotFound("no access request");
  return ReadRequest(r, 0);
}

}  // namespace

Status PostgresStore::SetGate(int64_t space_id, std::string_view mode) {
  if (!mode.empty() && mode != "auto" && mode != "manual") {
    return Status::InvalidArgument("gated must be false, \"auto\" or \"manual\"");
  }
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    if (mode.empty()) {
      return conn.Exec("DELETE FROM space_gates WHERE space_id = $1", PgParams().Add(space_id)).status();
    }
    Status s = conn.Exec("INSERT INTO space_gates (space_id, mode) VALUES ($1, $2)"
                         " ON CONFLICT (space_id) DO UPDATE SET mode = excluded.mode",
                         PgParams().Add(space_id).Add(mode))
                   .status();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
    return s;
  });
}

Result<std::string> PostgresStore::GetGate(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::string> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT mode FROM space_gates WHERE space_id = $1", PgParams().Add(space_id)));
    return r.rows() > 0 ? r.Text(0, 0) : std::string();
  });
}

Result<AccessRequest> PostgresStore::RequestAccess(int64_t space_id, int64_t user_id, const std::string& fields_json,
                                                   AccessRequestStatus initial, int64_t now) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<AccessRequest> {
    Status s = conn.Exec("INSERT INTO access_requests (space_id, user_id, status, fields, created_at, updated_at)"
                         " VALUES ($1, $2, $3, $4, $5, $5)",
                         PgParams().Add(space_id).Add(user_id).Add(AccessRequestStatusName(initial)).Add(fields_json).Add(now))
                   .status();
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("access was already requested");
    if (s.code() == StatusCode::kNotFound) return MissingRow(space_id, user_id);
    RETURN_IF_ERROR(s);
    Result<AccessRequest> made = ReadOneRequest(conn, space_id, user_id);
    if (made.status().code() == StatusCode::kNotFound) return Status::Internal("access request vanished");
    return made;
  });
}

Result<AccessRequest> PostgresStore::GetAccessRequest(int64_t space_id, int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) { return ReadOneRequest(conn, space_id, user_id); });
}

Status PostgresStore::DecideAccess(int64_t space_id, int64_t user_id, AccessRequestStatus status,
                                   const std::string& rejection_reason, int64_t now) {
  std::string reason = status == AccessRequestStatus::kRejected ? rejection_reason : "";
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    Status s = conn.Exec("INSERT INTO access_requests (space_id, user_id, status, rejection_reason, created_at,"
                         " updated_at) VALUES ($1, $2, $3, $4, $5, $5)"
                         " ON CONFLICT (space_id, user_id) DO UPDATE SET status = excluded.status,"
                         " rejection_reason = excluded.rejection_reason, updated_at = excluded.updated_at",
                         PgParams().Add(space_id).Add(user_id).Add(AccessRequestStatusName(status)).Add(reason).Add(now))
                   .status();
    if (s.code() == StatusCode::kNotFound) return MissingRow(space_id, user_id);
    return s;
  });
}

Result<std::vector<AccessRequest>> PostgresStore::ListAccessRequests(int64_t space_id, AccessRequestStatus status) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<AccessRequest>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kRequestColumns +
                                               " FROM access_requests r JOIN users u ON u.id = r.user_id"
                                               " WHERE r.space_id = $1 AND r.status = $2"
                                               " ORDER BY r.created_at, r.user_id",
                                           PgParams().Add(space_id).Add(AccessRequestStatusName(status))));
    return ReadRows<AccessRequest>(r, [&](int row) { return ReadRequest(r, row); });
  });
}

// ---- Embed links ----

Result<EmbedLink> PostgresStore::CreateEmbedLink(const EmbedLink& link) {
  if (link.id.empty() || link.secret_hash.empty()) {
    return Status::InvalidArgument("an embed link needs an id and a secret hash");
  }
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<EmbedLink> {
    Status s = conn.Exec("INSERT INTO embed_links (id, space_id, name, created_by, secret_hash, created_at, expires_at)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         PgParams()
                             .Add(link.id)
                             .Add(link.space_id)
                             .Add(link.name)
                             .Add(link.created_by)
                             .Add(link.secret_hash)
                             .Add(link.created_at)
                             .Add(link.expires_at))
                   .status();
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("embed link id is taken");
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("space " + std::to_string(link.space_id) + " or user " + std::to_string(link.created_by) +
                              " not found");
    }
    RETURN_IF_ERROR(s);
    EmbedLink made = link;
    made.revoked = false;
    return made;
  });
}

Result<std::vector<EmbedLink>> PostgresStore::ListEmbedLinks(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<EmbedLink>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kLinkColumns +
                                               " FROM embed_links WHERE space_id = $1 ORDER BY created_at DESC, seq DESC",
                                           PgParams().Add(space_id)));
    return ReadRows<EmbedLink>(r, [&](int row) { return ReadLink(r, row); });
  });
}

Status PostgresStore::RevokeEmbedLink(int64_t space_id, std::string_view link_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE embed_links SET revoked = true WHERE space_id = $1 AND id = $2",
                                           PgParams().Add(space_id).Add(link_id)));
    return RequireChanged(r, "embed link " + std::string(link_id));
  });
}

}  // namespace spaceport::store::postgres
