// Bulk loader for bench/directory: a data dir with N synthetic Spaces, as
// `spaceport serve --data-dir` opens it, without N pushes.
//
// Usage: directory_bench_load --data-dir D [--spaces N] [--seed S]
//
// Text is drawn from a Zipf vocabulary (50,000 words, exponent 1.05; the
// most common words are everyday ones such as "model" and "demo", and
// appear in most documents); READMEs have log-normal lengths (median ~55
// words, a long tail to 3,000). Owners: N/30 users. Signals: 30% verified,
// likes Zipf-distributed, 2% abandoned, 3% near-copies, 0.5% private; sdk,
// stage and hardware with realistic shares (most Spaces asleep).
//
// Prints, one per line: "token <write token of user bench>", then timings
// and sizes. The Spaces rows go in with plain SQL in large transactions
// (the store's CreateSpace is one transaction per Space); their documents
// go through the DirectoryStore's IndexMany.
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "access/tokens.h"
#include "app/data_dir.h"
#include "directory/directory.h"
#include "directory/trending.h"
#include "store/directory_store.h"
#include "store/store.h"

namespace {

using spaceport::Result;
using spaceport::Status;
namespace store = spaceport::store;

constexpr int kVocabulary = 50000;
// Trending keys are relative to the time of the load (the scores decay from there).
const int64_t kLoadedAt = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
const char* const kCommon[] = {"model", "demo",  "app",   "gradio", "image",  "text",  "generation", "chat",
                               "llm",   "audio", "the",   "and",    "for",    "with",  "stable",     "diffusion",
                               "space", "test",  "whisper", "speech", "translation", "vision", "detection", "video"};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

long long FileBytes(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

class Words {
 public:
  explicit Words(std::mt19937_64& rng) : rng_(rng) {
    double sum = 0;
    for (int i = 0; i < kVocabulary; ++i) {
      sum += 1.0 / std::pow(i + 1, 1.05);
      cumulative_.push_back(sum);
    }
    const size_t common = sizeof(kCommon) / sizeof(kCommon[0]);
    for (int i = 0; i < kVocabulary; ++i) {
      words_.push_back(static_cast<size_t>(i) < common ? kCommon[i] : Synthetic(i));
    }
  }
  const std::string& Draw() {
    double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng_);
    size_t i = std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
    return words_[std::min(i, words_.size() - 1)];
  }
  std::string Phrase(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? " " : "") + Draw();
    return out;
  }
  const std::string& At(int rank) const { return words_[rank]; }

 private:
  // Pronounceable, distinct: rank in base 20 over consonant-vowel syllables.
  static std::string Synthetic(int rank) {
    static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pa",
                                       "do", "fe", "gu", "hi", "jo", "be", "ci", "xu", "wa", "yo"};
    std::string w;
    int n = rank;
    do {
      w += kSyllables[n % 20];
      n /= 20;
    } while (n > 0);
    return w;
  }
  std::mt19937_64& rng_;
  std::vector<double> cumulative_;
  std::vector<std::string> words_;
};

Status Check(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return Status::Internal(std::string(what) + ": " + sqlite3_errmsg(db));
}

int Run(const std::string& data_dir, int64_t n, uint64_t seed) {
  spaceport::app::DataDir dir(data_dir);
  auto main_store = dir.OpenStore();
  if (!main_store.ok()) {
    std::fprintf(stderr, "store: %s\n", main_store.status().message().c_str());
    return 1;
  }
  auto directory_store = dir.OpenDirectoryStore();
  if (!directory_store.ok()) {
    std::fprintf(stderr, "directory: %s\n", directory_store.status().message().c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto bench = (*main_store)->CreateUser("bench", true, 1'700'000'000'000);
  if (!bench.ok()) {
    std::fprintf(stderr, "user: %s\n", bench.status().message().c_str());
    return 1;
  }
  std::string token = spaceport::access::GenerateToken();
  if (!(*main_store)->CreateToken(bench->id, "bench", store::TokenScope::kWrite,
                                  spaceport::access::HashToken(token), 1'700'000'000'000).ok()) {
    return 1;
  }
  std::printf("token %s\n", token.c_str());
  const int64_t owners = std::max<int64_t>(1, n / 30);
  for (int64_t i = 0; i < owners; ++i) {
    if (!(*main_store)->CreateUser("u" + std::to_string(i), false, 1'700'000'000'000).ok()) return 1;
  }

  std::mt19937_64 rng(seed);
  Words words(rng);
  sqlite3* db = nullptr;
  if (sqlite3_open((data_dir + "/spaceport.db").c_str(), &db) != SQLITE_OK) return 1;
  sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA busy_timeout = 10000;", nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  Status s = Check(sqlite3_prepare_v2(db,
                                      "INSERT INTO spaces (id, owner, name, subdomain, sdk, is_private, hardware,"
                                      " sleep_time_seconds, sha, card_json, stage, created_at, last_modified,"
                                      " visibility, likes_count) VALUES (?, ?, ?, ?, ?, ?, ?, 172800, '', ?, ?, ?, ?, ?, ?)",
                                      -1, &ins, nullptr),
                   db, "prepare");
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const char* kSdks[] = {"gradio", "gradio", "gradio", "gradio", "gradio", "gradio", "streamlit", "streamlit", "docker", "static"};
  const char* kStages[] = {"SLEEPING", "SLEEPING", "SLEEPING", "SLEEPING", "SLEEPING", "SLEEPING", "SLEEPING",
                           "RUNNING",  "PAUSED",   "BUILD_ERROR", "RUNTIME_ERROR", "NO_APP_FILE"};
  const char* kHardware[] = {"cpu-basic", "cpu-basic", "cpu-basic", "cpu-basic", "cpu-basic", "cpu-basic",
                             "cpu-basic", "cpu-upgrade", "t4-small", "a10g-small"};
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> readme_words(4.0, 1.2);
  const int64_t base_id = 1000;  // above any Space an earlier step made
  std::vector<store::DirectoryEntry> batch;
  double spaces_s = 0, index_s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = base_id + i;
    store::DirectoryEntry e;
    e.space_id = id;
    const std::string owner = "u" + std::to_string(i % owners);
    const std::string name = words.Draw() + "-" + words.Draw() + "-" + std::to_string(i);
    e.text.owner = owner;
    e.text.name = name;
    e.text.title = words.Phrase(1 + static_cast<int>(rng() % 4));
    e.text.description = words.Phrase(3 + static_cast<int>(rng() % 8));
    const char* sdk = kSdks[rng() % 10];
    e.text.tags = std::string(sdk) + " " + words.Phrase(static_cast<int>(rng() % 4));
    e.text.refs = u(rng) < 0.4 ? "org/" + words.Draw() + "-7b" : "";
    e.text.readme = words.Phrase(std::min(3000, static_cast<int>(readme_words(rng))));
    const int64_t likes = static_cast<int64_t>(std::floor(std::pow(1.0 - u(rng), -1.2) - 1.0));  // Zipf-like tail
    e.signals.verified = u(rng) < 0.3;
    e.signals.abandoned = u(rng) < 0.02;
    e.signals.duplicate_of = u(rng) < 0.03 && i > 0 ? base_id + static_cast<int64_t>(rng() % i) : 0;
    const double trending = static_cast<double>(likes) * 0.1 * u(rng);
    e.signals.trending_key = spaceport::directory::TrendingKey(trending, kLoadedAt);
    e.bucket = spaceport::directory::BucketOf(spaceport::directory::QualityOf(e.signals, likes, trending));
    const bool is_private = u(rng) < 0.005;
    nlohmann::json card = {{"title", e.text.title}, {"short_description", e.text.description}, {"sdk", sdk}};
    const int64_t created = 1'600'000'000'000 + i * 20'000;
    const std::string subdomain = owner + "-" + name;
    auto step = std::chrono::steady_clock::now();
    if (batch.empty()) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_reset(ins);
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_text(ins, 2, owner.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 4, subdomain.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, sdk, -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 6, is_private ? 1 : 0);
    sqlite3_bind_text(ins, 7, kHardware[rng() % 10], -1, SQLITE_STATIC);
    const std::string card_json = card.dump();
    sqlite3_bind_text(ins, 8, card_json.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 9, kStages[rng() % 12], -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 10, created);
    sqlite3_bind_int64(ins, 11, created + static_cast<int64_t>(u(rng) * 1e10));
    sqlite3_bind_text(ins, 12, is_private ? "private" : "public", -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 13, likes);
    s = Check(sqlite3_step(ins), db, "insert");
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    spaces_s += Seconds(step);
    batch.push_back(std::move(e));
    if (batch.size() == 5000 || i == n - 1) {
      // The rows first: the directory's own connection indexes them.
      s = Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
      }
      spaces_s += Seconds(step);
      step = std::chrono::steady_clock::now();
      if (Status st = (*directory_store)->IndexMany(batch); !st.ok()) {
        std::fprintf(stderr, "index: %s\n", st.message().c_str());
        return 1;
      }
      index_s += Seconds(step);
      batch.clear();
    }
    if (i % 100000 == 99999) std::fprintf(stderr, "%lld Spaces (%.0f s)\n", static_cast<long long>(i + 1), Seconds(t0));
  }
  sqlite3_finalize(ins);
  sqlite3_close(db);
  auto step = std::chrono::steady_clock::now();
  if (Status st = (*directory_store)->Optimize(); !st.ok()) {
    std::fprintf(stderr, "optimize: %s\n", st.message().c_str());
    return 1;
  }
  const double optimize_s = Seconds(step);
  std::printf("loaded %lld Spaces in %.1f s: spaces rows %.1f s, index %.1f s, index optimize %.1f s\n",
              static_cast<long long>(n), Seconds(t0), spaces_s, index_s, optimize_s);
  std::printf("database %.0f MB\n", (FileBytes(data_dir + "/spaceport.db") + FileBytes(data_dir + "/spaceport.db-wal")) / 1e6);
  for (int rank : {0, 1, 4, 100, 1000, 10000, 40000}) std::printf("word rank %d: %s\n", rank, words.At(rank).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  int64_t n = 1'500'000;
  uint64_t seed = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data-dir") data_dir = value;
    if (flag == "--spaces") n = std::stoll(value);
    if (flag == "--seed") seed = std::stoull(value);
  }
  if (data_dir.empty() || n < 1) {
    std::fprintf(stderr, "usage: %s --data-dir D [--spaces N] [--seed S]\n", argv[0]);
    return 2;
  }
  return Run(data_dir, n, seed);
}
