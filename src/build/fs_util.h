// Internal to the build module: small filesystem helpers for exported trees.
//
// Exported trees are untrusted: a file may be a symlink pointing anywhere on
// the host, so reads refuse symlinks and existence checks resolve paths and
// insist they stay inside the tree. Nothing here throws.
// Thread safety: stateless functions; safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace spaceport::build::internal {

// Reads a regular file (not a symlink) of the tree, at most max_bytes of it.
// nullopt when it does not exist; an error when it is not a regular file.
Result<std::optional<std::string>> ReadTreeFile(const std::string& root, const std::string& rel,
                                                size_t max_bytes);

// True when root/rel resolves to a regular file inside root.
bool IsFileInTree(const std::string& root, const std::string& rel);

bool PathExists(const std::string& path);
Status MakeDirs(const std::string& path);
void RemoveTree(const std::string& path);  // best effort
Status WriteFile(const std::string& path, const std::string& data);

// Makes every file and directory below and at `dir` root's, with no write
// bit for group or others and no set-id bit, without following symlinks: what
// a sandboxed build wrote becomes read-only to every Space.
Status SealTree(const std::string& dir);

// Replaces `from` with `to` in the small text files directly under dir
// (a venv's bin/ scripts carry their directory in shebangs).
void ReplaceInTextFiles(const std::string& dir, const std::string& from, const std::string& to);

}  // namespace spaceport::build::internal
