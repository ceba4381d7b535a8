// The secrets key file: 32 random bytes kept beside (not inside) the database,
// used by the store to encrypt secret env values at rest (see secret_box.h).
//
// LoadOrCreateSecretsKey creates the file with mode 0600 when it is missing
// (atomically: written to a temporary file, then linked into place, so a
// concurrent process never reads a half-written key) and reads it otherwise.
// Thread safety: safe from any thread or process.
// Failure: a file of the wrong size is FailedPrecondition naming the path
// (never silently replaced: that would make every stored secret unreadable);
// I/O errors are Unavailable.
#pragma once

#include <string>

#include "core/status.h"

namespace spaceport::store {

inline constexpr size_t kSecretsKeyBytes = 32;

Result<std::string> LoadOrCreateSecretsKey(const std::string& path);

}  // namespace spaceport::store
