// Who may do what with a Space: one pure decision from the caller, the Space
// and the caller's role in the organization that owns it (if any).
//
// Levels: the owner (a user) and admins of the owning organization: admin;
// write members: write; read members: read; everyone else: none.
//   CanSee   (page, app, info, runtime, likes): public and protected Spaces to
//            anyone; private ones need read.
//   CanRead  (source: files, git fetch, tree/resolve, logs, duplicate): public
//            to anyone; protected and private need read.
//   CanWrite (push, commit, secrets/variables, runtime): write level AND a
//            write-scoped credential (a read token never writes).
//   CanAdmin (delete): admin level and a write-scoped credential.
// Pure functions, thread safe.
#pragma once

#include <optional>

#include "access/tokens.h"
#include "store/store.h"

namespace spaceport::access {

enum class AccessLevel { kNone, kRead, kWrite, kAdmin };

// `org_role`: the caller's role in the Space's owner when that owner is an
// organization (nullopt otherwise or when not a member).
AccessLevel LevelFor(const std::optional<Principal>& who, const store::Space& space,
                     std::optional<store::OrgRole> org_role);

bool CanSee(AccessLevel level, const store::Space& space);
bool CanRead(AccessLevel level, const store::Space& space);
bool CanWrite(const std::optional<Principal>& who, AccessLevel level);
bool CanAdmin(const std::optional<Principal>& who, AccessLevel level);

}  // namespace spaceport::access
