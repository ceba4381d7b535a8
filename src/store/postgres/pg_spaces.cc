// PostgresStore: Spaces, builds, env (variables and secrets), and likes.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/validation.h"

namespace spaceport::store::postgres {

const char kSpaceColumns[] =
    "s.id, s.owner, s.name, s.subdomain, s.sdk, s.is_private, s.hardware, s.sleep_time_seconds,"
    " s.sha, s.card_json, s.stage, s.error_message, s.created_at, s.last_modified,"
    " s.likes_count, COALESCE(s.duplicated_from, 0),"
    " s.visibility, s.storage, s.disabled";

Space ReadSpace(const PgResult& r, int row) {
  Space s;
  s.id = r.Int(row, 0);
  s.owner = r.Text(row, 1);
  s.name = r.Text(row, 2);
  s.subdomain = r.Text(row, 3);
  s.sdk = r.Text(row, 4);
  s.hardware = r.Text(row, 6);
  s.sleep_time_seconds = r.Int(row, 7);
  s.sha = r.Text(row, 8);
  s.card_json = r.Text(row, 9);
  s.stage = r.Text(row, 10);
  s.error_message = r.Text(row, 11);
  s.created_at = r.Int(row, 12);
  s.last_modified = r.Int(row, 13);
  s.likes = r.Int(row, 14);
  s.duplicated_from = r.Int(row, 15);
  s.visibility = ParseVisibility(r.Text(row, 16)).value_or(Visibility::kPrivate);  // unknown: fail closed
  s.is_private = s.visibility == Visibility::kPrivate;
  s.storage = r.Text(row, 17);
  s.disabled = r.Text(row, 18);
  return s;
}

namespace {

constexpr char kBuildColumns[] = "id, space_id, commit_sha, status, error, created_at, finished_at";

// Collects a statement's parameters and names each one's placeholder.
struct Args {
  PgParams params;
  int count = 0;
  template <typename T>
  std::string operator()(const T& value) {
    params.Add(value);
    return "$" + std::to_string(++count);
  }
};

BuildStatus ParseBuildStatus(std::string_view name) {
  for (BuildStatus s : {BuildStatus::kQueued, BuildStatus::kRunning, BuildStatus::kSucceeded, BuildStatus::kFailed,
                        BuildStatus::kCancelled}) {
    if (BuildStatusName(s) == name) return s;
  }
  return BuildStatus::kFailed;  // unknown rows read as failed rather than running forever
}

Build ReadBuild(const PgResult& r, int row) {
  return Build{r.Int(row, 0), r.Int(row, 1), r.Text(row, 2), ParseBuildStatus(r.Text(row, 3)),
               r.Text(row, 4), r.Int(row, 5), r.Int(row, 6)};
}

std::string LikeEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The WHERE clause of a listing; its parameters go to `args`.
std::string SpaceFilter(const SpaceQuery& q, Args& args) {
  std::string where = " WHERE true";
  if (!q.author.empty()) where += " AND lower(s.owner) = lower(" + args(q.author) + ")";
  if (q.duplicated_from != 0) where += " AND s.duplicated_from = " + args(q.duplicated_from);
  if (!q.search.empty()) {
    where += " AND (s.owner || '/' || s.name) ILIKE " + args("%" + LikeEscape(q.search) + "%") + " ESCAPE '\\'";
  }
  for (const std::string& tag : q.tags) {
    std::string p = args(tag);
    where += " AND (s.sdk = " + p + " OR " + p + " = ANY(card_tags(s.card_json)))";
  }
  auto any_of = [&](const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    nlohmann::json list = values;
    where += std::string(" AND ") + column + " IN (SELECT jsonb_array_elements_text(" + args(list.dump()) + "::jsonb))";
  };
  any_of("s.sdk", q.sdks);
  any_of("s.stage", q.stages);
  any_of("s.hardware", q.hardware);
  if (q.directory_view) {
    where += " AND NOT EXISTS (SELECT 1 FROM directory_docs dd WHERE dd.space_id = s.id AND (dd.hidden";
    if (!q.include_abandoned) where += " OR dd.abandoned";
    if (!q.include_duplicates) where += " OR dd.duplicate_of <> 0";
    where += "))";
  }
  if (q.verified_only) {
    where += " AND EXISTS (SELECT 1 FROM directory_docs dv WHERE dv.space_id = s.id AND dv.verified)";
  }
  if (q.include_all_private) {
    // no visibility filter: a system listing
  } else if (q.include_private_of_user && q.viewer_user_id != 0) {
    std::string viewer = args(q.viewer_user_id);
    where += " AND (NOT s.is_private OR lower(s.owner) = (SELECT lower(name) FROM users WHERE id = " + viewer +
             ") OR lower(s.owner) IN (SELECT lower(o.name) FROM organizations o JOIN org_members m"
             " ON m.org_id = o.id WHERE m.user_id = " + viewer + "))";
  } else {
    where += " AND NOT s.is_private";
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

// A clash on the subdomain or on owner/name, said as the SQLite backend says it.
Status NameClash(const Status& s, const Space& space) {
  if (s.message().find("spaces_subdomain_key") != std::string::npos) {
    return Status::AlreadyExists("subdomain '" + space.subdomain + "' is already used by another space");
  }
  return Status::AlreadyExists("space '" + space.full_id() + "' already exists");
}

Result<Space> QueryOneSpace(PgConn& conn, const std::string& where, const PgParams& params, const std::string& what) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kSpaceColumns + " FROM spaces s WHERE " + where,
                                         params));
  if (r.rows() == 0) return Status::NotFound(what + " not found");
  return ReadSpace(r, 0);
}

// ORDER BY of a listing (not by id).
std::string ListOrder(const SpaceQuery& q, const std::string& direction) {
  if (q.sort == "trendingScore") return " ORDER BY d.trending_key" + direction + ", d.space_id" + direction;
  std::string column = q.sort == "createdAt"      ? "s.created_at"
                       : q.sort == "lastModified" ? "s.last_modified"
                                                  : "s.likes_count";
  std::string tie = q.sort == "likes" ? ", s.created_at" + direction : "";
  return " ORDER BY " + column + direction + tie + ", s.id" + direction;
}

}  // namespace

// ---- Spaces ----

Result<Space> PostgresStore::CreateSpace(const Space& input, int64_t now) {
  Space space = input;
  space.SetVisibility(space.effective_visibility());
  if (space.subdomain.empty()) space.subdomain = DefaultSubdomain(space.owner, space.name);
  if (space.card_json.empty()) space.card_json = "{}";
  RETURN_IF_ERROR(ValidateSpace(space));
  space.created_at = now;
  space.last_modified = now;
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<Space> {
    PgParams p;
    p.Add(space.owner).Add(space.name).Add(space.subdomain).Add(space.sdk).Add(space.is_private);
    p.Add(space.hardware).Add(space.sleep_time_seconds).Add(space.sha).Add(space.card_json).Add(space.stage);
    p.Add(space.error_message).Add(now).Add(now);
    if (space.duplicated_from != 0) {
      p.Add(space.duplicated_from);
    } else {
      p.AddNull();
    }
    p.Add(VisibilityName(space.visibility)).Add(space.storage);
    Result<PgResult> r = conn.Exec(
        "INSERT INTO spaces (owner, name, subdomain, sdk, is_private, hardware, sleep_time_seconds, sha, card_json,"
        " stage, error_message, created_at, last_modified, duplicated_from, visibility, storage)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        p);
    if (r.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("space " + std::to_string(space.duplicated_from) + " (duplicated from) not found");
    }
    if (r.status().code() == StatusCode::kAlreadyExists) return NameClash(r.status(), space);
    RETURN_IF_ERROR(r.status());
    space.id = r->Int(0, 0);
    return space;
  });
}

Result<Space> PostgresStore::GetSpace(std::string_view owner, std::string_view name) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) {
    return QueryOneSpace(conn, "lower(s.owner) = lower($1) AND lower(s.name) = lower($2)",
                         PgParams().Add(owner).Add(name),
                         "space '" + std::string(owner) + "/" + std::string(name) + "'");
  });
}

Result<Space> PostgresStore::GetSpaceById(int64_t id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) {
    return QueryOneSpace(conn, "s.id = $1", PgParams().Add(id), "space " + std::to_string(id));
  });
}

Result<Space> PostgresStore::GetSpaceBySubdomain(std::string_view subdomain) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) {
    return QueryOneSpace(conn, "s.subdomain = $1", PgParams().Add(subdomain),
                         "space with subdomain '" + std::string(subdomain) + "'");
  });
}

Result<std::vector<Space>> PostgresStore::ListSpaces(const SpaceQuery& q) {
  RETURN_IF_ERROR(ValidateSearch(q.search));
  if (q.sort != "createdAt" && q.sort != "lastModified" && q.sort != "likes" && q.sort != "trendingScore" &&
      q.sort != "id") {
    return Status::InvalidArgument("unsupported sort '" + q.sort + "' (createdAt, lastModified, likes or trendingScore)");
  }
  if (q.limit < 0 || q.offset < 0) return Status::InvalidArgument("limit and offset must not be negative");
  Args args;
  const std::string from = q.sort == "trendingScore" ? " FROM directory_docs d JOIN spaces s ON s.id = d.space_id"
                                                     : " FROM spaces s";
  std::string sql = std::string("SELECT ") + kSpaceColumns + from + SpaceFilter(q, args);
  const std::string direction = q.descending ? " DESC" : " ASC";
  if (q.sort == "id") {
    sql += " AND s.id > " + args(q.after_id) + " ORDER BY s.id" + direction + " LIMIT " + args(q.limit);
  } else {
    sql += ListOrder(q, direction) + " LIMIT " + args(q.limit) + " OFFSET " + args(q.offset);
  }
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<Space>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, args.params));
    return ReadRows<Space>(r, [&](int row) { return ReadSpace(r, row); });
  });
}

Result<int64_t> PostgresStore::CountSpaces(const SpaceQuery& q) {
  RETURN_IF_ERROR(ValidateSearch(q.search));
  Args args;
  std::string sql = "SELECT COUNT(*) FROM spaces s" + SpaceFilter(q, args);
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, args.params));
    return r.Int(0, 0);
  });
}

Status PostgresStore::UpdateSpace(const Space& space) {
  Visibility visibility = space.effective_visibility();
  PgParams p;
  p.Add(space.sdk).Add(visibility == Visibility::kPrivate).Add(space.hardware).Add(space.sleep_time_seconds);
  p.Add(space.sha).Add(space.card_json.empty() ? std::string("{}") : space.card_json).Add(space.last_modified);
  p.Add(VisibilityName(visibility)).Add(space.storage).Add(space.id);
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE spaces SET sdk = $1, is_private = $2, hardware = $3,"
                                           " sleep_time_seconds = $4, sha = $5, card_json = $6, last_modified = $7,"
                                           " visibility = $8, storage = $9 WHERE id = $10",
                                           p));
    return RequireChanged(r, "space " + std::to_string(space.id));
  });
}

Status PostgresStore::SetSpaceStage(int64_t space_id, std::string_view stage, std::string_view error_message) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE spaces SET stage = $1, error_message = $2 WHERE id = $3",
                                           PgParams().Add(stage).Add(error_message).Add(space_id)));
    return RequireChanged(r, "space " + std::to_string(space_id));
  });
}

Status PostgresStore::SetSpaceVisibility(int64_t space_id, Visibility visibility) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE spaces SET is_private = $1, visibility = $2 WHERE id = $3",
                                           PgParams()
                                               .Add(visibility == Visibility::kPrivate)
                                               .Add(VisibilityName(visibility))
                                               .Add(space_id)));
    return RequireChanged(r, "space " + std::to_string(space_id));
  });
}

Status PostgresStore::DeleteSpace(int64_t space_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("DELETE FROM spaces WHERE id = $1", PgParams().Add(space_id)));
    return RequireChanged(r, "space " + std::to_string(space_id));
  });
}

Status PostgresStore::RenameSpace(int64_t space_id, std::string_view owner, std::string_view name,
                                  std::string_view subdomain) {
  Space renamed;
  renamed.owner = std::string(owner);
  renamed.name = std::string(name);
  renamed.subdomain = std::string(subdomain);
  RETURN_IF_ERROR(ValidateSpace(renamed));
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    Result<PgResult> r = conn.Exec("UPDATE spaces SET owner = $1, name = $2, subdomain = $3 WHERE id = $4",
                                   PgParams().Add(owner).Add(name).Add(subdomain).Add(space_id));
    if (r.status().code() == StatusCode::kAlreadyExists) return NameClash(r.status(), renamed);
    RETURN_IF_ERROR(r.status());
    RETURN_IF_ERROR(RequireChanged(*r, "space " + std::to_string(space_id)));
    // The Space's OAuth client id changes with its subdomain, and a consent
    // named the old owner/name: its users are asked again.
    return conn.Exec("DELETE FROM oauth_grants WHERE space_id = $1", PgParams().Add(space_id)).status();
  });
}

// ---- Builds ----

Result<Build> PostgresStore::CreateBuild(int64_t space_id, const std::string& commit_sha, int64_t now) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Result<Build> {
    Result<PgResult> r = conn.Exec(
        "INSERT INTO builds (space_id, commit_sha, status, error, created_at, finished_at)"
        " VALUES ($1, $2, $3, '', $4, 0) RETURNING id",
        PgParams().Add(space_id).Add(commit_sha).Add(BuildStatusName(BuildStatus::kQueued)).Add(now));
    if (r.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("space " + std::to_string(space_id) + " not found");
    }
    RETURN_IF_ERROR(r.status());
    return Build{r->Int(0, 0), space_id, commit_sha, BuildStatus::kQueued, "", now, 0};
  });
}

Status PostgresStore::FinishBuild(int64_t build_id, BuildStatus status, const std::string& error, int64_t now) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE builds SET status = $1, error = $2, finished_at = $3 WHERE id = $4",
                                           PgParams().Add(BuildStatusName(status)).Add(error).Add(now).Add(build_id)));
    return RequireChanged(r, "build " + std::to_string(build_id));
  });
}

Status PostgresStore::SetBuildStatus(int64_t build_id, BuildStatus status) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE builds SET status = $1 WHERE id = $2",
                                           PgParams().Add(BuildStatusName(status)).Add(build_id)));
    return RequireChanged(r, "build " + std::to_string(build_id));
  });
}

Result<std::vector<Build>> PostgresStore::ListBuilds(int64_t space_id, int64_t limit) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<Build>> {
    PgParams p;
    p.Add(space_id);
    if (limit > 0) {
      p.Add(limit);
    } else {
      p.AddNull();  // LIMIT NULL: all
    }
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kBuildColumns +
                                               " FROM builds WHERE space_id = $1 ORDER BY id DESC LIMIT $2",
                                           p));
    return ReadRows<Build>(r, [&](int row) { return ReadBuild(r, row); });
  });
}

// ---- Env ----

Status PostgresStore::SetEnv(int64_t space_id, const EnvVar& var) {
  if (!IsValidEnvKey(var.key)) {
    return Status::InvalidArgument("invalid variable name '" + var.key +
                                   "': use letters, digits and '_', not starting with a digit");
  }
  std::string stored = var.value;
  if (var.secret) {
    ASSIGN_OR_RETURN(stored, box_.Seal(var.value));
  }
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    PgParams p;
    p.Add(space_id).Add(var.secret).Add(var.key).AddBytes(stored).Add(var.description).Add(var.updated_at);
    Status s = conn.Exec("INSERT INTO env (space_id, secret, key, value, description, updated_at)"
                         " VALUES ($1, $2, $3, $4::bytea, $5, $6) ON CONFLICT (space_id, secret, key) DO UPDATE SET"
                         " value = excluded.value, description = excluded.description,"
                         " updated_at = excluded.updated_at",
                         p)
                   .status();
    if (s.code() == StatusCode::kNotFound) return Status::NotFound("space " + std::to_string(space_id) + " not found");
    return s;
  });
}

Status PostgresStore::DeleteEnv(int64_t space_id, std::string_view key, bool secret) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("DELETE FROM env WHERE space_id = $1 AND secret = $2 AND key = $3",
                                           PgParams().Add(space_id).Add(secret).Add(key)));
    return RequireChanged(r, std::string(secret ? "secret '" : "variable '") + std::string(key) + "'");
  });
}

Result<std::vector<EnvVar>> PostgresStore::ListEnv(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<EnvVar>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT key, value, description, secret, updated_at FROM env"
                                           " WHERE space_id = $1 ORDER BY secret, key",
                                           PgParams().Add(space_id)));
    std::vector<EnvVar> vars;
    for (int row = 0; row < r.rows(); ++row) {
      EnvVar v{r.Text(row, 0), r.Bytes(row, 1), r.Text(row, 2), r.Bool(row, 3), r.Int(row, 4)};
      if (v.secret) {
        ASSIGN_OR_RETURN(v.value, box_.Open(v.value, "secret '" + v.key + "' of space " + std::to_string(space_id)));
      }
      vars.push_back(std::move(v));
    }
    return vars;
  });
}

// ---- Likes ----

Status PostgresStore::Like(int64_t user_id, int64_t space_id, int64_t now) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    Status s = conn.Exec("INSERT INTO likes (user_id, space_id, created_at) VALUES ($1, $2, $3)"
                         " ON CONFLICT (user_id, space_id) DO NOTHING",
                         PgParams().Add(user_id).Add(space_id).Add(now))
                   .status();
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("user " + std::to_string(user_id) + " or space " + std::to_string(space_id) +
                              " not found");
    }
    return s;
  });
}

Status PostgresStore::Unlike(int64_t user_id, int64_t space_id) {
  return InTxn(TxnKind::kWrite, [&](PgConn& conn) -> Status {
    return conn.Exec("DELETE FROM likes WHERE user_id = $1 AND space_id = $2", PgParams().Add(user_id).Add(space_id))
        .status();
  });
}

Result<std::vector<User>> PostgresStore::ListLikers(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<User>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kUserColumns +
                                               " FROM likes l JOIN users u ON u.id = l.user_id WHERE l.space_id = $1"
                                               " ORDER BY l.created_at, u.id",
                                           PgParams().Add(space_id)));
    return ReadRows<User>(r, [&](int row) { return ReadUser(r, row, 0); });
  });
}

Result<std::vector<LikedSpace>> PostgresStore::ListLikedSpaces(int64_t user_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<LikedSpace>> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kSpaceColumns +
                                               ", lk.created_at FROM likes lk JOIN spaces s ON s.id = lk.space_id"
                                               " WHERE lk.user_id = $1 ORDER BY lk.created_at DESC, s.id DESC",
                                           PgParams().Add(user_id)));
    return ReadRows<LikedSpace>(r, [&](int row) { return LikedSpace{ReadSpace(r, row), r.Int(row, kSpaceColumnCount)}; });
  });
}

Result<int64_t> PostgresStore::CountLikes(int64_t space_id) {
  return InTxn(TxnKind::kRead, [&](PgConn& conn) -> Result<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT likes_count FROM spaces WHERE id = $1", PgParams().Add(space_id)));
    return r.rows() > 0 ? r.Int(0, 0) : 0;
  });
}

}  // namespace spaceport::store::postgres
