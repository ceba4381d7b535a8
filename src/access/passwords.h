// Password hashing for sign-in: argon2id with libsodium's interactive limits,
// stored in libsodium's self-describing string form ("$argon2id$v=19$...").
//
// Hashing costs ~64 MiB and tens of milliseconds on purpose; callers run it on
// worker threads, never on the edge's event loop.
// Thread safety: pure functions, safe from any thread.
// Failure: HashPassword is Internal when memory for the hash is unavailable;
// CheckPasswordPolicy is InvalidArgument with a message fit for the user.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace spaceport::access {

constexpr size_t kMinPasswordLength = 8;
constexpr size_t kMaxPasswordLength = 1024;  // argon2 takes any size; this bounds the work per request

Status CheckPasswordPolicy(std::string_view password);
Result<std::string> HashPassword(std::string_view password);
// False for a wrong password and for an empty or malformed hash.
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

}  // namespace spaceport::access
