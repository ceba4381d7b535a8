#include "runtime/routes.h"

namespace spaceport::runtime {

RouteTable::RouteTable() : snapshot_(std::make_shared<const Snapshot>()) {}

std::shared_ptr<const RouteTable::Snapshot> RouteTable::Load() const {
  return snapshot_.Load();
}

void RouteTable::Publish(AppRoute route) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<Snapshot>(*Load());
  if (auto old = next->by_id.find(route.space_id); old != next->by_id.end()) {
    next->by_subdomain.erase(old->second->subdomain);
  }
  auto shared = std::make_shared<const AppRoute>(std::move(route));
  next->by_id[shared->space_id] = shared;
  next->by_subdomain[shared->subdomain] = shared;
  snapshot_.Store(std::move(next));
}

void RouteTable::Remove(std::string_view space_id) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<Snapshot>(*Load());
  auto it = next->by_id.find(space_id);
  if (it == next->by_id.end()) return;
  next->by_subdomain.erase(it->second->subdomain);
  next->by_id.erase(it);
  snapshot_.Store(std::move(next));
}

std::shared_ptr<const AppRoute> RouteTable::FindBySpaceId(std::string_view space_id) const {
  auto snap = Load();
  auto it = snap->by_id.find(space_id);
  return it == snap->by_id.end() ? nullptr : it->second;
}

std::shared_ptr<const AppRoute> RouteTable::FindBySubdomain(std::string_view subdomain) const {
  auto snap = Load();
  auto it = snap->by_subdomain.find(subdomain);
  return it == snap->by_subdomain.end() ? nullptr : it->second;
}

}  // namespace spaceport::runtime
