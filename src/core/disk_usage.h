// How much disk a directory tree takes: what a Space's build and app wrote.
//
// Counts allocated blocks (st_blocks, so a sparse file counts what it holds,
// not its length), each inode once (hard links), without following symlinks
// or crossing into other filesystems (a mount below is not the tree's). Files
// that vanish during the walk are skipped; a tree that does not exist is 0.
// Thread safety: stateless; safe from any thread. Cost: one fstatat per
// entry; callers that poll pace themselves by the time a walk took.
#pragma once

#include <cstdint>
#include <string>

namespace spaceport {

int64_t DiskBytesBelow(const std::string& dir);

}  // namespace spaceport
