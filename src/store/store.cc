// Store::Open: picks the backend from the URL scheme. The only file that
// knows every backend.
#include "store/store.h"

#include "core/strings.h"
#include "store/billing_store.h"
#include "store/collection_store.h"
#include "store/directory_store.h"
#include "store/moderation_store.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace spaceport::store {

std::string_view TokenScopeName(TokenScope s) {
  switch (s) {
    case TokenScope::kRead:
      return "read";
    case TokenScope::kWrite:
      return "write";
  }
  return "read";
}

std::string_view BuildStatusName(BuildStatus s) {
  switch (s) {
    case BuildStatus::kQueued:
      return "queued";
    case BuildStatus::kRunning:
      return "running";
    case BuildStatus::kSucceeded:
      return "succeeded";
    case BuildStatus::kFailed:
      return "failed";
    case BuildStatus::kCancelled:
      return "cancelled";
  }
  return "queued";
}

std::string_view VisibilityName(Visibility v) {
  switch (v) {
    case Visibility::kPublic:
      return "public";
    case Visibility::kProtected:
      return "protected";
    case Visibility::kPrivate:
      return "private";
  }
  return "private";
}

std::optional<Visibility> ParseVisibility(std::string_view name) {
  for (Visibility v : {Visibility::kPublic, Visibility::kProtected, Visibility::kPrivate}) {
    if (VisibilityName(v) == name) return v;
  }
  return std::nullopt;
}

std::string_view OrgRoleName(OrgRole r) {
  switch (r) {
    case OrgRole::kRead:
      return "read";
    case OrgRole::kWrite:
      return "write";
    case OrgRole::kAdmin:
      return "admin";
  }
  return "read";
}

std::optional<OrgRole> ParseOrgRole(std::string_view name) {
  for (OrgRole r : {OrgRole::kRead, OrgRole::kWrite, OrgRole::kAdmin}) {
    if (OrgRoleName(r) == name) return r;
  }
  return std::nullopt;
}

bool IsPostgresUrl(std::string_view url) {
  return StartsWith(url, "postgres://") || StartsWith(url, "postgresql://");
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (StartsWith(options.url, kSqlite)) {
    std::string path = options.url.substr(kSqlite.size());
    if (path.empty()) return Status::InvalidArgument("store url 'sqlite:' needs a path or :memory:");
    return sqlite::OpenSqliteStore(path, options.secrets_key);
  }
  if (IsPostgresUrl(options.url)) return postgres::OpenPostgresStore(options.url, options.secrets_key, options.fence);
  // Only the scheme is echoed: a database URL may carry a password.
  std::string scheme = options.url.substr(0, options.url.find(':'));
  return Status::InvalidArgument("unsupported store url scheme '" + scheme +
                                 "' (expected sqlite:PATH, sqlite::memory: or postgres://...)");
}

Result<std::unique_ptr<BillingStore>> OpenBillingStore(const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (StartsWith(options.url, kSqlite)) {
    std::string path = options.url.substr(kSqlite.size());
    if (path.empty()) return Status::InvalidArgument("store url 'sqlite:' needs a path or :memory:");
    return OpenSqliteBillingStore(path);
  }
  if (IsPostgresUrl(options.url)) return postgres::OpenPostgresBillingStore(options.url, options.fence);
  std::string scheme = options.url.substr(0, options.url.find(':'));
  return Status::InvalidArgument("unsupported store url scheme '" + scheme + "'");
}

namespace {

// The database file of an area that shares the store's database.
Result<std::string> SharedSqliteFile(const StoreOptions& options, const std::string& area) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (StartsWith(options.url, kSqlite)) {
    std::string path = options.url.substr(kSqlite.size());
    if (path.empty() || path == ":memory:") {
      return Status::InvalidArgument(area + " needs the store's database file, not 'sqlite:" + path + "'");
    }
    return path;
  }
  std::string scheme = options.url.substr(0, options.url.find(':'));
  return Status::InvalidArgument("unsupported store url scheme '" + scheme + "'");
}

}  // namespace

Result<std::unique_ptr<DirectoryStore>> OpenDirectoryStore(const StoreOptions& options) {
  if (IsPostgresUrl(options.url)) return postgres::OpenPostgresDirectoryStore(options.url, options.fence);
  ASSIGN_OR_RETURN(std::string path, SharedSqliteFile(options, "the directory"));
  return OpenSqliteDirectoryStore(path);
}

Result<std::unique_ptr<ModerationStore>> OpenModerationStore(const StoreOptions& options) {
  if (IsPostgresUrl(options.url)) return postgres::OpenPostgresModerationStore(options.url, options.fence);
  ASSIGN_OR_RETURN(std::string path, SharedSqliteFile(options, "moderation"));
  return OpenSqliteModerationStore(path);
}

Result<std::unique_ptr<CollectionStore>> OpenCollectionStore(const StoreOptions& options) {
  if (IsPostgresUrl(options.url)) return postgres::OpenPostgresCollectionStore(options.url, options.fence);
  ASSIGN_OR_RETURN(std::string path, SharedSqliteFile(options, "collections"));
  return OpenSqliteCollectionStore(path);
}

std::string_view AccessRequestStatusName(AccessRequestStatus s) {
  switch (s) {
    case AccessRequestStatus::kPending: return "pending";
    case AccessRequestStatus::kAccepted: return "accepted";
    case AccessRequestStatus::kRejected: return "rejected";
  }
  return "pending";
}

std::optional<AccessRequestStatus> ParseAccessRequestStatus(std::string_view s) {
  for (AccessRequestStatus v :
       {AccessRequestStatus::kPending, AccessRequestStatus::kAccepted, AccessRequestStatus::kRejected}) {
    if (s == AccessRequestStatusName(v)) return v;
  }
  return std::nullopt;
}

Status ForEachSpace(SpaceStore& store, SpaceQuery query, const std::function<Status(const Space&)>& fn) {
  // By id from the last one seen: each page costs the same however deep
  // (an OFFSET would re-read every row before it).
  query.sort = "id";
  query.descending = false;
  query.offset = 0;
  query.after_id = 0;
  if (query.limit <= 0) query.limit = 1000;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<Space> page, store.ListSpaces(query));
    for (const Space& space : page) RETURN_IF_ERROR(fn(space));
    if (static_cast<int64_t>(page.size()) < query.limit) return Status::Ok();
    query.after_id = page.back().id;
  }
}

}  // namespace spaceport::store
