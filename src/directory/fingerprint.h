// Fingerprints of a Space's files, for finding copies (docs/directory.md,
// "Near-duplicates").
//
// Exact copies: files_key is a hash of the sorted (path, git blob id) pairs
// of the app's files, so two Spaces with the same files have the same key
// whatever their history. Near-copies: a MinHash signature (kMinhashSize
// values) of the files' normalised content (lower-cased words, comments and
// layout ignored only as far as they are whitespace), shingled by
// kShingleWords words, and kBands LSH band hashes of it: two Spaces whose
// shingle sets are 80% alike share a band with probability > 0.99, 50%
// alike 0.64, 20% alike 0.03; candidates are then checked on the signature.
// README.md, .gitattributes and .gitignore are left out (a copy that
// retitles itself is still a copy). Apps with fewer than kMinShingles
// shingles of content are too small to call copies: they get no
// fingerprint (a one-line app is like thousands of others by chance).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/directory_store.h"

namespace spaceport::directory {

inline constexpr int kMinhashSize = 64;
inline constexpr int kBands = 16;  // of kMinhashSize / kBands rows each
inline constexpr int kShingleWords = 4;
inline constexpr double kNearCopySimilarity = 0.8;
inline constexpr size_t kMinShingles = 20;

struct SpaceFile {
  std::string path;
  std::string blob_id;  // git object id
  std::string content;
  bool read = true;  // false: too big or LFS to read (only its path and id count; it is no small app)
};

// Whether a path counts for the fingerprint.
bool FingerprintCounts(const std::string& path);

// Empty files_key when no file counts or the content is too small.
store::Fingerprint FingerprintOf(const std::vector<SpaceFile>& files);

// The share of equal signature values: an estimate of the Jaccard
// similarity of the two shingle sets.
double Similarity(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);

}  // namespace spaceport::directory
