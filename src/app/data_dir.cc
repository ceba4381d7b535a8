#include "app/data_dir.h"

#include <filesystem>
#include <system_error>

#include "store/secrets_key.h"

namespace spaceport::app {

DataDir::DataDir(std::string root) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(root, ec);
  root_ = ec ? root : abs.lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Status DataDir::EnsureLayout() const {
  for (const char* sub : {"", "repos", "builds", "cache", "logs"}) {
    std::error_code ec;
    std::filesystem::create_directories(Path(sub), ec);
    if (ec) return Status::Internal("cannot create " + Path(sub) + ": " + ec.message());
  }
  return Status::Ok();
}

Result<std::unique_ptr<store::Store>> DataDir::OpenStore() const {
  RETURN_IF_ERROR(EnsureLayout());
  ASSIGN_OR_RETURN(std::string key, store::LoadOrCreateSecretsKey(Path("secrets.key")));
  return store::Store::Open({.url = "sqlite:" + Path("spaceport.db"), .secrets_key = key});
}

}  // namespace spaceport::app
