#include "access/access_table.h"

namespace spaceport::access {

bool SpaceAccess::AllowsApp(int64_t user_id) const {
  // Protected Spaces hide their source, not their app.
  if (visibility != Visibility::kPrivate && !gated) return true;
  return user_id != 0 && readers.count(user_id) > 0;
}

bool SpaceAccess::EmbedLinkLive(std::string_view link_id, int64_t now_ms) const {
  auto it = embed_links.find(link_id);
  return it != embed_links.end() && it->second.expires_at_ms > now_ms;
}

AccessTable::AccessTable() : map_(std::make_shared<const Map>()) {}

void AccessTable::Publish(const std::string& space_id, SpaceAccess access) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<Map>(*map_.Load());
  if (access.Unrestricted() && access.embed_links.empty()) {
    next->erase(space_id);
  } else {
    (*next)[space_id] = std::make_shared<const SpaceAccess>(std::move(access));
  }
  map_.Store(std::move(next));
}

void AccessTable::Remove(std::string_view space_id) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<Map>(*map_.Load());
  if (auto it = next->find(space_id); it != next->end()) next->erase(it);
  map_.Store(std::move(next));
}

std::shared_ptr<const SpaceAccess> AccessTable::Find(std::string_view space_id) const {
  auto map = map_.Load();
  if (map->empty()) return nullptr;
  auto it = map->find(space_id);
  return it == map->end() ? nullptr : it->second;
}

}  // namespace spaceport::access
