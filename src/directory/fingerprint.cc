#include "directory/fingerprint.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/strings.h"

namespace spaceport::directory {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashText(std::string_view s) {  // FNV-1a, then mixed
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return Mix(h);
}

// Word shingles of one file: lower-cased runs of letters, digits and '_'.
void AddShingles(const SpaceFile& f, std::set<uint64_t>* out) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : f.content) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.size() < static_cast<size_t>(kShingleWords)) {
    std::string all;
    for (const std::string& w : words) all += w + " ";
    if (!all.empty()) out->insert(HashText(all));
    return;
  }
  for (size_t i = 0; i + kShingleWords <= words.size(); ++i) {
    std::string shingle;
    for (int k = 0; k < kShingleWords; ++k) shingle += words[i + k] + " ";
    out->insert(HashText(shingle));
  }
}

}  // namespace

bool FingerprintCounts(const std::string& path) {
  return path != "README.md" && path != ".gitattributes" && path != ".gitignore";
}

store::Fingerprint FingerprintOf(const std::vector<SpaceFile>& files) {
  store::Fingerprint fp;
  std::vector<std::string> pairs;
  std::set<uint64_t> shingles;
  bool big = false;
  for (const SpaceFile& f : files) {
    if (!FingerprintCounts(f.path)) continue;
    big = big || !f.read;
    pairs.push_back(f.path + " " + f.blob_id);
    AddShingles(f, &shingles);
  }
  if (pairs.empty() || (!big && shingles.size() < kMinShingles)) return fp;
  for (const SpaceFile& f : files) {
    if (FingerprintCounts(f.path)) shingles.insert(HashText("path:" + f.path));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string joined;
  for (const std::string& p : pairs) joined += p + "\n";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  fp.files_key = HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  fp.minhash.assign(kMinhashSize, UINT32_MAX);
  for (uint64_t s : shingles) {
    for (int i = 0; i < kMinhashSize; ++i) {
      const uint32_t h = static_cast<uint32_t>(Mix(s ^ (0x51ed27071f3a9b5dULL * static_cast<uint64_t>(i + 1))));
      fp.minhash[i] = std::min(fp.minhash[i], h);
    }
  }
  constexpr int kRows = kMinhashSize / kBands;
  for (int b = 0; b < kBands; ++b) {
    uint64_t h = Mix(static_cast<uint64_t>(b) + 1);
    for (int r = 0; r < kRows; ++r) h = Mix(h ^ fp.minhash[b * kRows + r]);
    fp.bands.push_back(static_cast<int64_t>(h >> 1));  // non-negative: a plain SQL integer
  }
  return fp;
}

double Similarity(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.empty() || a.size() != b.size()) return 0.0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(a.size());
}

}  // namespace spaceport::directory
