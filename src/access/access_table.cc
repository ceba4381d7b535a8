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

AccessTable::AccessTable() = default;

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}
}  // namespace

void AccessTable::PublishOwner(std::string_view owner, std::set<int64_t> members) {
  const std::string key = Lower(owner);
  std::shared_ptr<const std::set<int64_t>> current;
  if (owners_.Find(key, &current) && *current == members) return;  // the common case: unchanged
  owners_.Set(key, std::make_shared<const std::set<int64_t>>(std::move(members)));
}

bool AccessTable::IsOwnerMember(std::string_view owner, int64_t user_id) const {
  if (user_id == 0) return false;
  std::shared_ptr<const std::set<int64_t>> members;
  return owners_.Find(Lower(owner), &members) && members->count(user_id) > 0;
}

void AccessTable::Publish(const std::string& space_id, SpaceAccess access) {
  if (access.Unrestricted() && access.embed_links.empty()) {
    map_.Erase(space_id);
  } else {
    map_.Set(space_id, std::make_shared<const SpaceAccess>(std::move(access)));
  }
}

void AccessTable::Remove(std::string_view space_id) { map_.Erase(space_id); }

std::shared_ptr<const SpaceAccess> AccessTable::Find(std::string_view space_id) const {
  std::shared_ptr<const SpaceAccess> access;
  return map_.Find(space_id, &access) ? access : nullptr;
}

}  // namespace spaceport::access
