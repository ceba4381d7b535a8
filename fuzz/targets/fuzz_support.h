// Helpers shared by the libFuzzer targets in this folder (fuzz builds only).
//
// SP_FUZZ_CHECK states an invariant the parser's header promises; a broken
// one aborts, so libFuzzer reports it like a crash and saves the input.
// PieceEnds turns one input byte into the cut points used to feed the rest
// in 1 to 3 pieces, so incremental parsers see their resume paths.
// Thread safety: pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define SP_FUZZ_CHECK(cond)                                                             \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace spaceport::fuzz {

// Ends of the pieces of `size` bytes, non-decreasing, the last one `size`.
// The selector's low nibble places the first cut, its high nibble the second
// within what is left; 0 or 15 put a cut at an end (fewer pieces).
inline std::array<size_t, 3> PieceEnds(uint8_t selector, size_t size) {
  size_t first = size * (selector & 0x0f) / 15;
  size_t second = first + (size - first) * (selector >> 4) / 15;
  return {first, second, size};
}

}  // namespace spaceport::fuzz
