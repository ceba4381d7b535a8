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

AccessTable::AccessTable() : map_(std::make_shared<const Map>()), owners_(std::make_shared<const Owners>()) {}

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}
}  // namespace

void AccessTable::PublishOwner(std::string_view owner, std::set<int64_t> members) {
  std::lock_guard lock(write_mu_);
  auto current = owners_.Load();
  std::string key = Lower(owner);
  if (auto it = current->find(key); it != current->end() && it->second == members) return;
  auto next = std::make_shared<Owners>(*current);
  (*next)[key] = std::move(members);
  owners_.Store(std::move(next));
}

bool AccessTable::IsOwnerMember(std::string_view owner, int64_t user_id) const {
  if (user_id == 0) return false;
  auto owners = owners_.Load();
  auto it = owners->find(Lower(owner));
  return it != owners->end() && it->second.count(user_id) > 0;
}

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
