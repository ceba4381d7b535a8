// SqliteStore: spaces, builds, env (variables and secrets), and likes.
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/validation.h"

namespace spaceport::store::sqlite {

const char kSpaceColumns[] =
    "s.id, s.owner, s.name, s.subdomain, s.sdk, s.is_private, s.hardware, s.sleep_time_seconds,"
    " s.sha, s.card_json, s.stage, s.error_message, s.created_at, s.last_modified,"
    " s.likes_count, COALESCE(s.duplicated_from, 0),"
    " s.visibility, s.storage, s.disabled";

Space ReadSpace(const Stmt& st) {
  Space s;
  s.id = st.Int(0);
  s.owner = st.Text(1);
  s.name = st.Text(2);
  s.subdomain = st.Text(3);
  s.sdk = st.Text(4);
  s.is_private = st.Int(5) != 0;
  s.hardware = st.Text(6);
  s.sleep_time_seconds = st.Int(7);
  s.sha = st.Text(8);
  s.card_json = st.Text(9);
  s.stage = st.Text(10);
  s.error_message = st.Text(11);
  s.created_at = st.Int(12);
  s.last_modified = st.Int(13);
  s.likes = st.Int(14);
  s.duplicated_from = st.Int(15);
  s.visibility = ParseVisibility(st.Text(16)).value_or(Visibility::kPrivate);  // unknown: fail closed
  s.is_private = s.visibility == Visibility::kPrivate;
  s.storage = st.Text(17);
  s.disabled = st.Text(18);
  return s;
}

namespace {

constexpr char kBuildColumns[] = "id, space_id, commit_sha, status, error, created_at, finished_at";

using Binding = std::variant<int64_t, std::string>;

BuildStatus ParseBuildStatus(std::string_view name) {
  for (BuildStatus s : {BuildStatus::kQueued, BuildStatus::kRunning, BuildStatus::kSucceeded, BuildStatus::kFailed,
                        BuildStatus::kCancelled}) {
    if (BuildStatusName(s) == name) return s;
  }
  return BuildStatus::kFailed;  // unknown rows read as failed rather than running forever
}

Build ReadBuild(const Stmt& st) {
  Build b;
  b.id = st.Int(0);
  b.space_id = st.Int(1);
  b.commit_sha = st.Text(2);
  b.status = ParseBuildStatus(st.Text(3));
  b.error = st.Text(4);
  b.created_at = st.Int(5);
  b.finished_at = st.Int(6);
  return b;
}

void BindAll(Stmt& st, const std::vector<Binding>& bindings) {
  int index = 1;
  for (const Binding& b : bindings) {
    if (const int64_t* i = std::get_if<int64_t>(&b)) {
      st.Bind(index++, *i);
    } else {
      st.Bind(index++, std::get<std::string>(b));
    }
  }
}

std::string LikeEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The WHERE clause of a listing; appends its parameters to `bindings`.
std::string SpaceFilter(const SpaceQuery& q, std::vector<Binding>& bindings) {
  std::string where = " WHERE 1";
  if (!q.author.empty()) {
    where += " AND s.owner = ?";
    bindings.emplace_back(q.author);
  }
  if (q.duplicated_from != 0) {
    where += " AND s.duplicated_from = ?";
    bindings.emplace_back(q.duplicated_from);
  }
  if (!q.search.empty()) {
    where += " AND (s.owner || '/' || s.name) LIKE ? ESCAPE '\\'";
    bindings.emplace_back("%" + LikeEscape(q.search) + "%");
  }
  for (const std::string& tag : q.tags) {
    // The card is stored by Spaceport itself, but guard json_each anyway: a
    // malformed row must not fail every listing.
    where +=
        " AND (s.sdk = ? OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(s.card_json)"
        " THEN s.card_json ELSE '{}' END, '$.tags') t WHERE t.value = ?))";
    bindings.emplace_back(tag);
    bindings.emplace_back(tag);
  }
  auto any_of = [&](const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    where += std::string(" AND ") + column + " IN (SELECT value FROM json_each(?))";
    nlohmann::json list = values;
    bindings.emplace_back(list.dump());
  };
  any_of("s.sdk", q.sdks);
  any_of("s.stage", q.stages);
  any_of("s.hardware", q.hardware);
  if (q.directory_view) {
    where += " AND NOT EXISTS (SELECT 1 FROM directory_docs d WHERE d.space_id = s.id AND (d.hidden";
    if (!q.include_abandoned) where += " OR d.abandoned";
    if (!q.include_duplicates) where += " OR d.duplicate_of != 0";
    where += "))";
  }
  if (q.verified_only) {
    where += " AND EXISTS (SELECT 1 FROM directory_docs d WHERE d.space_id = s.id AND d.verified)";
  }
  if (q.include_all_private) {
    // no visibility filter: a system listing
  } else if (q.include_private_of_user && q.viewer_user_id != 0) {
    where += " AND (s.is_private = 0 OR s.owner = (SELECT name FROM users WHERE id = ?)"
             " OR s.owner IN (SELECT o.name FROM organizations o JOIN org_members m ON m.org_id = o.id"
             " WHERE m.user_id = ?))";
    bindings.emplace_back(q.viewer_user_id);
    bindings.emplace_back(q.viewer_user_id);
  } else {
    where += " AND s.is_private = 0";
  }
  return where;
}

Status ValidateSpace(const Space& s) {
  if (!IsValidUserName(s.owner)) return Status::InvalidArgument("invalid space owner '" + s.owner + "'");
  if (!IsValidSpaceName(s.name)) {
    return Status::InvalidArgument("invalid space name '" + s.name +
                                   "': use 1-96 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (!IsValidSubdomain(s.subdomain)) {
    return Status::InvalidArgument("invalid subdomain '" + s.subdomain + "': use lower-case letters, digits and '-'");
  }
  return Status::Ok();
}

Result<Space> QueryOneSpace(SqliteDb& db, const std::string& where, const std::vector<Binding>& bindings,
                            const std::string& what) {
  ASSIGN_OR_RETURN(auto st, db.Prepare(std::string("SELECT ") + kSpaceColumns + " FROM spaces s WHERE " + where));
  BindAll(*st, bindings);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::NotFound(what + " not found");
  return ReadSpace(*st);
}

Status RequireChanged(const Stmt& st, const std::string& what) {
  return st.Changes() == 0 ? Status::NotFound(what + " not found") : Status::Ok();
}

}  // namespace

// ---- Spaces ----

Result<Space> SqliteStore::CreateSpace(const Space& input, int64_t now) {
  Space space = input;
  space.SetVisibility(space.effective_visibility());
  if (space.subdomain.empty()) space.subdomain = DefaultSubdomain(space.owner, space.name);
  if (space.card_json.empty()) space.card_json = "{}";
  RETURN_IF_ERROR(ValidateSpace(space));
  space.created_at = now;
  space.last_modified = now;
  return InTxn(TxnKind::kWrite, [&]() -> Result<Space> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "INSERT INTO spaces (owner, name, subdomain, sdk, is_private, hardware,"
                                  " sleep_time_seconds, sha, card_json, stage, error_message, created_at,"
                                  " last_modified, duplicated_from, visibility, storage)"
                                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?)"));
    st->Bind(1, space.owner).Bind(2, space.name).Bind(3, space.subdomain).Bind(4, space.sdk);
    st->Bind(5, int64_t{space.is_private ? 1 : 0}).Bind(6, space.hardware).Bind(7, space.sleep_time_seconds);
    st->Bind(8, space.sha).Bind(9, space.card_json).Bind(10, space.stage).Bind(11, space.error_message);
    st->Bind(15, VisibilityName(space.visibility)).Bind(16, space.storage);
    Status s = st->Bind(12, now).Bind(13, now).Bind(14, space.duplicated_from).Run();
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("space " + std::to_string(space.duplicated_from) + " (duplicated from) not found");
    }
    if (s.code() == StatusCode::kAlreadyExists) {
      if (s.message().find("spaces.subdomain") != std::string::npos) {
        return Status::AlreadyExists("subdomain '" + space.subdomain + "' is already used by another space");
      }
      return Status::AlreadyExists("space '" + space.full_id() + "' already exists");
    }
    RETURN_IF_ERROR(s);
    space.id = db_->LastInsertId();
    return space;
  });
}

Result<Space> SqliteStore::GetSpace(std::string_view owner, std::string_view name) {
  return InTxn(TxnKind::kRead, [&] {
    return QueryOneSpace(*db_, "s.owner = ? AND s.name = ?", {std::string(owner), std::string(name)},
                         "space '" + std::string(owner) + "/" + std::string(name) + "'");
  });
}

Result<Space> SqliteStore::GetSpaceById(int64_t id) {
  return InTxn(TxnKind::kRead,
               [&] { return QueryOneSpace(*db_, "s.id = ?", {id}, "space " + std::to_string(id)); });
}

Result<Space> SqliteStore::GetSpaceBySubdomain(std::string_view subdomain) {
  return InTxn(TxnKind::kRead, [&] {
    return QueryOneSpace(*db_, "s.subdomain = ?", {std::string(subdomain)},
                         "space with subdomain '" + std::string(subdomain) + "'");
  });
}

// ORDER BY of a listing (not by id).
static std::string ListOrder(const SpaceQuery& q, const std::string& direction) {
  // Trending walks the directory's index of keys (the listing joins
  // directory_docs, see ListSpaces); ties fall back to the newest id.
  if (q.sort == "trendingScore") return " ORDER BY d.trending_key" + direction + ", d.space_id" + direction;
  std::string column = q.sort == "createdAt"      ? "s.created_at"
                       : q.sort == "lastModified" ? "s.last_modified"
                                                  : "s.likes_count";
  // Ties (equal counts) fall back to newest first, so pages are stable.
  std::string tie = q.sort == "likes" ? ", s.created_at" + direction : "";
  return " ORDER BY " + column + direction + tie + ", s.id" + direction;
}

Result<std::vector<Space>> SqliteStore::ListSpaces(const SpaceQuery& q) {
  RETURN_IF_ERROR(ValidateSearch(q.search));
  if (q.sort != "createdAt" && q.sort != "lastModified" && q.sort != "likes" && q.sort != "trendingScore" &&
      q.sort != "id") {
    return Status::InvalidArgument("unsupported sort '" + q.sort + "' (createdAt, lastModified, likes or trendingScore)");
  }
  if (q.limit < 0 || q.offset < 0) return Status::InvalidArgument("limit and offset must not be negative");
  std::vector<Binding> bindings;
  // By trending: from the directory's documents in key order (a Space the
  // directory has not indexed yet is not listed).
  const std::string from = q.sort == "trendingScore" ? " FROM directory_docs d JOIN spaces s ON s.id = d.space_id"
                                                     : " FROM spaces s";
  std::string sql = std::string("SELECT ") + kSpaceColumns + from + SpaceFilter(q, bindings);
  const std::string direction = q.descending ? " DESC" : " ASC";
  if (q.sort == "id") {
    sql += " AND s.id > ? ORDER BY s.id" + direction + " LIMIT ?";
    bindings.emplace_back(q.after_id);
    bindings.emplace_back(q.limit);
  } else {
    sql += ListOrder(q, direction) + " LIMIT ? OFFSET ?";
    bindings.emplace_back(q.limit);
    bindings.emplace_back(q.offset);
  }
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<Space>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
    BindAll(*st, bindings);
    return ReadRows<Space>(*st, [&] { return ReadSpace(*st); });
  });
}


Result<int64_t> SqliteStore::CountSpaces(const SpaceQuery& q) {
  RETURN_IF_ERROR(ValidateSearch(q.search));
  std::vector<Binding> bindings;
  std::string sql = "SELECT COUNT(*) FROM spaces s" + SpaceFilter(q, bindings);
  return InTxn(TxnKind::kRead, [&]() -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
    BindAll(*st, bindings);
    ASSIGN_OR_RETURN(bool row, st->Step());
    return row ? st->Int(0) : 0;
  });
}

Status SqliteStore::UpdateSpace(const Space& space) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "UPDATE spaces SET sdk = ?, is_private = ?, hardware = ?, sleep_time_seconds = ?,"
                                  " sha = ?, card_json = ?, last_modified = ?, visibility = ?, storage = ? WHERE id = ?"));
    Visibility visibility = space.effective_visibility();
    st->Bind(1, space.sdk).Bind(2, int64_t{visibility == Visibility::kPrivate ? 1 : 0}).Bind(3, space.hardware);
    st->Bind(4, space.sleep_time_seconds).Bind(5, space.sha);
    st->Bind(6, space.card_json.empty() ? std::string("{}") : space.card_json);
    st->Bind(8, VisibilityName(visibility));
    RETURN_IF_ERROR(st->Bind(7, space.last_modified).Bind(9, space.storage).Bind(10, space.id).Run());
    return RequireChanged(*st, "space " + std::to_string(space.id));
  });
}

Status SqliteStore::SetSpaceStage(int64_t space_id, std::string_view stage, std::string_view error_message) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE spaces SET stage = ?, error_message = ? WHERE id = ?"));
    RETURN_IF_ERROR(st->Bind(1, stage).Bind(2, error_message).Bind(3, space_id).Run());
    return RequireChanged(*st, "space " + std::to_string(space_id));
  });
}

Status SqliteStore::SetSpaceVisibility(int64_t space_id, Visibility visibility) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE spaces SET is_private = ?, visibility = ? WHERE id = ?"));
    RETURN_IF_ERROR(st->Bind(1, int64_t{visibility == Visibility::kPrivate ? 1 : 0})
                        .Bind(2, VisibilityName(visibility))
                        .Bind(3, space_id)
                        .Run());
    return RequireChanged(*st, "space " + std::to_string(space_id));
  });
}

Status SqliteStore::DeleteSpace(int64_t space_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM spaces WHERE id = ?"));
    RETURN_IF_ERROR(st->Bind(1, space_id).Run());
    return RequireChanged(*st, "space " + std::to_string(space_id));
  });
}

Status SqliteStore::RenameSpace(int64_t space_id, std::string_view owner, std::string_view name,
                                std::string_view subdomain) {
  Space renamed;
  renamed.owner = std::string(owner);
  renamed.name = std::string(name);
  renamed.subdomain = std::string(subdomain);
  RETURN_IF_ERROR(ValidateSpace(renamed));
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE spaces SET owner = ?, name = ?, subdomain = ? WHERE id = ?"));
    Status s = st->Bind(1, owner).Bind(2, name).Bind(3, subdomain).Bind(4, space_id).Run();
    if (s.code() == StatusCode::kAlreadyExists) {
      if (s.message().find("spaces.subdomain") != std::string::npos) {
        return Status::AlreadyExists("subdomain '" + renamed.subdomain + "' is already used by another space");
      }
      return Status::AlreadyExists("space '" + renamed.full_id() + "' already exists");
    }
    RETURN_IF_ERROR(s);
    RETURN_IF_ERROR(RequireChanged(*st, "space " + std::to_string(space_id)));
    // The Space's OAuth client id changes with its subdomain, and a consent
    // named the old owner/name: its users are asked again.
    ASSIGN_OR_RETURN(auto grants, db_->Prepare("DELETE FROM oauth_grants WHERE space_id = ?"));
    return grants->Bind(1, space_id).Run();
  });
}

// ---- Builds ----

Result<Build> SqliteStore::CreateBuild(int64_t space_id, const std::string& commit_sha, int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Result<Build> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "INSERT INTO builds (space_id, commit_sha, status, error, created_at, finished_at)"
                                  " VALUES (?, ?, ?, '', ?, 0)"));
    Status s = st->Bind(1, space_id).Bind(2, commit_sha).Bind(3, BuildStatusName(BuildStatus::kQueued)).Bind(4, now).Run();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
    RETURN_IF_ERROR(s);
    return Build{db_->LastInsertId(), space_id, commit_sha, BuildStatus::kQueued, "", now, 0};
  });
}

Status SqliteStore::FinishBuild(int64_t build_id, BuildStatus status, const std::string& error, int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE builds SET status = ?, error = ?, finished_at = ? WHERE id = ?"));
    RETURN_IF_ERROR(st->Bind(1, BuildStatusName(status)).Bind(2, error).Bind(3, now).Bind(4, build_id).Run());
    return RequireChanged(*st, "build " + std::to_string(build_id));
  });
}

Status SqliteStore::SetBuildStatus(int64_t build_id, BuildStatus status) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE builds SET status = ? WHERE id = ?"));
    RETURN_IF_ERROR(st->Bind(1, BuildStatusName(status)).Bind(2, build_id).Run());
    return RequireChanged(*st, "build " + std::to_string(build_id));
  });
}

Result<std::vector<Build>> SqliteStore::ListBuilds(int64_t space_id, int64_t limit) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<Build>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kBuildColumns +
                                           " FROM builds WHERE space_id = ? ORDER BY id DESC LIMIT ?"));
    st->Bind(1, space_id).Bind(2, limit > 0 ? limit : int64_t{-1});
    return ReadRows<Build>(*st, [&] { return ReadBuild(*st); });
  });
}

// ---- Env ----

Status SqliteStore::SetEnv(int64_t space_id, const EnvVar& var) {
  if (!IsValidEnvKey(var.key)) {
    return Status::InvalidArgument("invalid variable name '" + var.key +
                                   "': use letters, digits and '_', not starting with a digit");
  }
  std::string stored = var.value;
  if (var.secret) {
    ASSIGN_OR_RETURN(stored, box_.Seal(var.value));
  }
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "INSERT INTO env (space_id, secret, key, value, description, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (space_id, secret, key) DO UPDATE SET"
                                  " value = excluded.value, description = excluded.description,"
                                  " updated_at = excluded.updated_at"));
    st->Bind(1, space_id).Bind(2, int64_t{var.secret ? 1 : 0}).Bind(3, var.key).BindBlob(4, stored);
    Status s = st->Bind(5, var.description).Bind(6, var.updated_at).Run();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
    return s;
  });
}

Status SqliteStore::DeleteEnv(int64_t space_id, std::string_view key, bool secret) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM env WHERE space_id = ? AND secret = ? AND key = ?"));
    RETURN_IF_ERROR(st->Bind(1, space_id).Bind(2, int64_t{secret ? 1 : 0}).Bind(3, key).Run());
    return RequireChanged(*st, std::string(secret ? "secret '" : "variable '") + std::string(key) + "'");
  });
}

Result<std::vector<EnvVar>> SqliteStore::ListEnv(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<EnvVar>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "SELECT key, value, description, secret, updated_at FROM env"
                                  " WHERE space_id = ? ORDER BY secret, key"));
    st->Bind(1, space_id);
    std::vector<EnvVar> vars;
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      EnvVar v{st->Text(0), st->Blob(1), st->Text(2), st->Int(3) != 0, st->Int(4)};
      if (v.secret) {
        ASSIGN_OR_RETURN(v.value, box_.Open(v.value, "secret '" + v.key + "' of space " + std::to_string(space_id)));
      }
      vars.push_back(std::move(v));
    }
    return vars;
  });
}

// ---- Likes ----

Status SqliteStore::Like(int64_t user_id, int64_t space_id, int64_t now) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  "INSERT INTO likes (user_id, space_id, created_at) VALUES (?, ?, ?)"
                                  " ON CONFLICT (user_id, space_id) DO NOTHING"));
    Status s = st->Bind(1, user_id).Bind(2, space_id).Bind(3, now).Run();
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("user " + std::to_string(user_id) + " or space " + std::to_string(space_id) +
                              " not found");
    }
    return s;
  });
}

Status SqliteStore::Unlike(int64_t user_id, int64_t space_id) {
  return InTxn(TxnKind::kWrite, [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM likes WHERE user_id = ? AND space_id = ?"));
    return st->Bind(1, user_id).Bind(2, space_id).Run();
  });
}

Result<std::vector<User>> SqliteStore::ListLikers(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<User>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
                                  std::string("SELECT ") + kUserColumns + " FROM likes l"
                                  " JOIN users u ON u.id = l.user_id WHERE l.space_id = ?"
                                  " ORDER BY l.created_at, u.id"));
    st->Bind(1, space_id);
    return ReadRows<User>(*st, [&] { return ReadUser(*st, 0); });
  });
}

Result<std::vector<LikedSpace>> SqliteStore::ListLikedSpaces(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<std::vector<LikedSpace>> {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kSpaceColumns +
                                           ", lk.created_at FROM likes lk JOIN spaces s ON s.id = lk.space_id"
                                           " WHERE lk.user_id = ? ORDER BY lk.created_at DESC, s.id DESC"));
    st->Bind(1, user_id);
    return ReadRows<LikedSpace>(*st, [&] { return LikedSpace{ReadSpace(*st), st->Int(kSpaceColumnCount)}; });
  });
}

Result<int64_t> SqliteStore::CountLikes(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&]() -> Result<int64_t> {
    // The counter the likes triggers keep (schema v12), not a count of rows.
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT likes_count FROM spaces WHERE id = ?"));
    st->Bind(1, space_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    return row ? st->Int(0) : 0;
  });
}

}  // namespace spaceport::store::sqlite
