#include "access/authorize.h"

#include "core/strings.h"

namespace spaceport::access {

AccessLevel LevelFor(const std::optional<Principal>& who, const store::Space& space,
                     std::optional<store::OrgRole> org_role) {
  if (!who) return AccessLevel::kNone;
  if (EqualsIgnoreCase(who->user.name, space.owner)) return AccessLevel::kAdmin;
  if (!org_role) return AccessLevel::kNone;
  switch (*org_role) {
    case store::OrgRole::kAdmin:
      return AccessLevel::kAdmin;
    case store::OrgRole::kWrite:
      return AccessLevel::kWrite;
    case store::OrgRole::kRead:
      return AccessLevel::kRead;
  }
  return AccessLevel::kNone;
}

bool CanSee(AccessLevel level, const store::Space& space) {
  return space.effective_visibility() != store::Visibility::kPrivate || level >= AccessLevel::kRead;
}

bool CanRead(AccessLevel level, const store::Space& space) {
  return space.effective_visibility() == store::Visibility::kPublic || level >= AccessLevel::kRead;
}

bool CanWrite(const std::optional<Principal>& who, AccessLevel level) {
  return who.has_value() && who->can_write() && level >= AccessLevel::kWrite;
}

bool CanAdmin(const std::optional<Principal>& who, AccessLevel level) {
  return who.has_value() && who->can_write() && level >= AccessLevel::kAdmin;
}

}  // namespace spaceport::access
