#include "runtime/routes.h"

namespace spaceport::runtime {

RouteTable::RouteTable() = default;

void RouteTable::Publish(AppRoute route) {
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const AppRoute> old;
  if (by_id_.Find(route.space_id, &old) && old->subdomain != route.subdomain) by_subdomain_.Erase(old->subdomain);
  auto shared = std::make_shared<const AppRoute>(std::move(route));
  by_id_.Set(shared->space_id, shared);
  by_subdomain_.Set(shared->subdomain, shared);
}

void RouteTable::Remove(std::string_view space_id) {
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const AppRoute> old;
  if (!by_id_.Find(space_id, &old)) return;
  by_subdomain_.Erase(old->subdomain);
  by_id_.Erase(space_id);
}

std::shared_ptr<const AppRoute> RouteTable::FindBySpaceId(std::string_view space_id) const {
  std::shared_ptr<const AppRoute> route;
  return by_id_.Find(space_id, &route) ? route : nullptr;
}

std::shared_ptr<const AppRoute> RouteTable::FindBySubdomain(std::string_view subdomain) const {
  std::shared_ptr<const AppRoute> route;
  return by_subdomain_.Find(subdomain, &route) ? route : nullptr;
}

}  // namespace spaceport::runtime
