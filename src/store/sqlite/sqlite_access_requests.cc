// Gated Spaces: the gate mode per Space and the visitors' access requests.
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_rows.h"

namespace spaceport::store::sqlite {
namespace {

constexpr char kRequestColumns[] =
    "r.space_id, r.user_id, u.name, r.status, r.fields, r.rejection_reason, r.created_at, r.updated_at";

AccessRequest ReadRequest(const Stmt& st) {
  AccessRequest r;
  r.space_id = st.Int(0);
  r.user_id = st.Int(1);
  r.user_name = st.Text(2);
  r.status = ParseAccessRequestStatus(st.Text(3)).value_or(AccessRequestStatus::kPending);
  r.fields_json = st.Text(4);
  r.rejection_reason = st.Text(5);
  r.created_at = st.Int(6);
  r.updated_at = st.Int(7);
  return r;
}

Status MissingRow(int64_t space_id, int64_t user_id) {
  return Status::NotFound("space " + std::to_string(space_id) + " or user " + std::to_string(user_id) + " not found");
}

}  // namespace

Status SqliteStore::SetGate(int64_t space_id, std::string_view mode) {
  if (!mode.empty() && mode != "auto" && mode != "manual") {
    return Status::InvalidArgument("gated must be false, \"auto\" or \"manual\"");
  }
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    if (mode.empty()) {
      ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM space_gates WHERE space_id = ?"));
      return st->Bind(1, space_id).Run();
    }
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO space_gates (space_id, mode) VALUES (?, ?)"
                                           " ON CONFLICT (space_id) DO UPDATE SET mode = excluded.mode"));
    Status s = st->Bind(1, space_id).Bind(2, mode).Run();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
    return s;
  });
}

Result<std::string> SqliteStore::GetGate(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::string> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT mode FROM space_gates WHERE space_id = ?"));
    st->Bind(1, space_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    return row ? st->Text(0) : std::string();
  });
}

Result<AccessRequest> SqliteStore::RequestAccess(int64_t space_id, int64_t user_id, const std::string& fields_json,
                                                 AccessRequestStatus initial, int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Result<AccessRequest> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO access_requests (space_id, user_id, status, fields,"
                                           " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"));
    Status s = st->Bind(1, space_id)
                   .Bind(2, user_id)
                   .Bind(3, AccessRequestStatusName(initial))
                   .Bind(4, fields_json)
                   .Bind(5, now)
                   .Bind(6, now)
                   .Run();
    if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("access was already requested");
    if (s.code() == StatusCode::kNotFound) return MissingRow(space_id, user_id);
    RETURN_IF_ERROR(s);
    Result<AccessRequest> made = ReadOneRequest(space_id, user_id);
    if (made.status().code() == StatusCode::kNotFound) return Status::Internal("access request vanished");
    return made;
  });
}

Result<AccessRequest> SqliteStore::GetAccessRequest(int64_t space_id, int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<AccessRequest> { return ReadOneRequest(space_id, user_id); });
}

Result<AccessRequest> SqliteStore::ReadOneRequest(int64_t space_id, int64_t user_id) {
  ASSIGN_OR_RETURN(auto read, db_->Prepare(std::string("SELECT ") + kRequestColumns +
                                           " FROM access_requests r JOIN users u ON u.id = r.user_id"
                                           " WHERE r.space_id = ? AND r.user_id = ?"));
  read->Bind(1, space_id).Bind(2, user_id);
  ASSIGN_OR_RETURN(bool row, read->Step());
  if (!row) return Status::NotFound("no access request");
  return ReadRequest(*read);
}

Status SqliteStore::DecideAccess(int64_t space_id, int64_t user_id, AccessRequestStatus status,
                                 const std::string& rejection_reason, int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st,
                     db_->Prepare("INSERT INTO access_requests (space_id, user_id, status, rejection_reason,"
                                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                                  " ON CONFLICT (space_id, user_id) DO UPDATE SET status = excluded.status,"
                                  " rejection_reason = excluded.rejection_reason, updated_at = excluded.updated_at"));
    std::string reason = status == AccessRequestStatus::kRejected ? rejection_reason : "";
    Status s = st->Bind(1, space_id)
                   .Bind(2, user_id)
                   .Bind(3, AccessRequestStatusName(status))
                   .Bind(4, reason)
                   .Bind(5, now)
                   .Bind(6, now)
                   .Run();
    if (s.code() == StatusCode::kNotFound) return MissingRow(space_id, user_id);
    return s;
  });
}

Result<std::vector<AccessRequest>> SqliteStore::ListAccessRequests(int64_t space_id, AccessRequestStatus status) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<AccessRequest>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kRequestColumns +
                                           " FROM access_requests r JOIN users u ON u.id = r.user_id"
                                           " WHERE r.space_id = ? AND r.status = ? ORDER BY r.created_at, r.user_id"));
    st->Bind(1, space_id).Bind(2, AccessRequestStatusName(status));
    return ReadRows<AccessRequest>(*st, [&] { return ReadRequest(*st); });
  });
}

}  // namespace spaceport::store::sqlite
