// Store::Open: picks the backend from the URL scheme. The only file that
// knows every backend.
#include "store/store.h"

#include "core/strings.h"
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

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (StartsWith(options.url, kSqlite)) {
    std::string path = options.url.substr(kSqlite.size());
    if (path.empty()) return Status::InvalidArgument("store url 'sqlite:' needs a path or :memory:");
    return sqlite::OpenSqliteStore(path, options.secrets_key);
  }
  // Only the scheme is echoed: a database URL may carry a password.
  std::string scheme = options.url.substr(0, options.url.find(':'));
  return Status::InvalidArgument("unsupported store url scheme '" + scheme +
                                 "' (expected sqlite:PATH or sqlite::memory:)");
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

}  // namespace spaceport::store
