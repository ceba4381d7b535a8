#include "app/data_dir.h"

#include <filesystem>
#include <system_error>

#include "store/secrets_key.h"

namespace spaceport::app {

DataDir::DataDir(std::string root, std::string store_url) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(root, ec);
  root_ = ec ? root : abs.lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  store_url_ = store_url.empty() ? "sqlite:" + Path("spaceport.db") : std::move(store_url);
}

Status DataDir::EnsureLayout() const {
  for (const char* sub : {"", "repos", "builds", "cache", "logs", "spaces"}) {
    std::error_code ec;
    if (std::filesystem::exists(Path(sub), ec)) continue;  // keep what the server (or operator) set
    std::filesystem::create_directories(Path(sub), ec);
    if (ec) return Status::Internal("cannot create " + Path(sub) + ": " + ec.message());
    // Private repositories, logs and secrets live here: nobody else may look.
    std::filesystem::permissions(Path(sub), std::filesystem::perms::owner_all, std::filesystem::perm_options::replace,
                                 ec);
  }
  return Status::Ok();
}

Status DataDir::AllowTraversal() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto traverse = fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec;
  for (const char* sub : {"", "builds", "cache", "spaces"}) {
    fs::create_directories(Path(sub), ec);
    fs::permissions(Path(sub), traverse, fs::perm_options::replace, ec);
    if (ec) return Status::Internal("cannot set permissions of " + Path(sub) + ": " + ec.message());
  }
  for (const char* file : {"spaceport.db", "spaceport.db-wal", "spaceport.db-shm", "secrets.key"}) {
    if (fs::exists(Path(file), ec)) {
      fs::permissions(Path(file), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<store::Store>> DataDir::OpenStore() const {
  RETURN_IF_ERROR(EnsureLayout());
  ASSIGN_OR_RETURN(std::string key, store::LoadOrCreateSecretsKey(Path("secrets.key")));
  return store::Store::Open({.url = store_url_, .secrets_key = key, .fence = fence_});
}

Result<std::unique_ptr<store::BillingStore>> DataDir::OpenBillingStore() const {
  RETURN_IF_ERROR(EnsureLayout());
  return store::OpenBillingStore({.url = store_url_, .secrets_key = "", .fence = fence_});
}

Result<std::unique_ptr<store::DirectoryStore>> DataDir::OpenDirectoryStore() const {
  RETURN_IF_ERROR(EnsureLayout());
  return store::OpenDirectoryStore({.url = store_url_, .secrets_key = "", .fence = fence_});
}

Result<std::unique_ptr<store::ModerationStore>> DataDir::OpenModerationStore() const {
  RETURN_IF_ERROR(EnsureLayout());
  return store::OpenModerationStore({.url = store_url_, .secrets_key = "", .fence = fence_});
}

Result<std::unique_ptr<store::CollectionStore>> DataDir::OpenCollectionStore() const {
  RETURN_IF_ERROR(EnsureLayout());
  return store::OpenCollectionStore({.url = store_url_, .secrets_key = "", .fence = fence_});
}

}  // namespace spaceport::app
