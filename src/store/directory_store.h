// DirectoryStore: the directory's durable side (directory/directory.h): a
// full-text index of every Space's words and the signals the directory
// ranks by, on the store's own database.
//
// Each indexed Space has one document: its words by field (owner, name,
// title, short description, tags, models and datasets, README text) and a
// docid, the document's key in the index. Docids order the index by static
// quality: docid = (bucket << 32) | space_id, bucket 0..1023 from the
// directory's quality signals, so that "the best N matches of a word" is a
// walk down the index from the top that stops after N, whatever the number
// of matches (docs/directory.md, "Search design"). Rekey moves a document
// to another bucket.
//
// The Space's other attributes (owner, name, sdk, stage, hardware,
// visibility, likes, dates) stay in the spaces table; Candidates reads them
// with the directory's own signals for a set of docids. Renaming a Space
// renames its document; deleting it deletes its document (in the same
// transaction, by the schema's triggers).
//
// Thread safety: every method may be called from any thread. Failure:
// InvalidArgument for a malformed match expression or document, NotFound
// for a Space without a document (Rekey, Signals), Unavailable/Internal for
// the database.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace spaceport::store {

inline constexpr int kDirectoryBuckets = 1024;

inline int64_t DirectoryDocid(int bucket, int64_t space_id) { return (int64_t{bucket} << 32) | space_id; }
inline int64_t SpaceOfDocid(int64_t docid) { return docid & 0xffffffffLL; }
inline int BucketOfDocid(int64_t docid) { return static_cast<int>(docid >> 32); }

// The words of one Space, by field (the index's columns, in this order).
struct DirectoryText {
  std::string owner;
  std::string name;
  std::string title;
  std::string description;  // the card's short_description
  std::string tags;         // the sdk and the card's tags, space-separated
  std::string refs;         // the card's models and datasets, space-separated
  std::string readme;       // the README without its front matter, capped
};
inline constexpr int kDirectoryColumns = 7;
inline constexpr int kDirectoryTitleColumns = 3;  // owner, name, title

enum class DirectoryScope { kAll, kTitles };

// What the directory knows of a Space besides its words (set by the
// directory's signals: probes, trending, duplicates, moderation).
struct DirectorySignals {
  bool verified = false;      // its probes pass
  bool abandoned = false;     // by the abandoned rule, or archived
  int64_t duplicate_of = 0;   // the Space it near-copies; 0: none
  bool hidden = false;        // hidden from the directory by a moderator
  int64_t trending_key = 0;   // directory/trending.h: orders by the current score; 0: none
  bool archived = false;      // archived by its owner
  int64_t like_burst_at = 0;  // a flagged burst of likes from fresh accounts; 0: none
  int64_t reports = 0;        // distinct established accounts with an open report on it
};

// One health probe of a Space (directory/health.h).
struct ProbeRecord {
  int64_t space_id = 0;
  int64_t at = 0;        // unix millis
  bool ok = false;
  int status = 0;        // the HTTP status; 0: no answer
  bool woke = false;     // the Space was asleep and the probe woke it
  std::string detail;    // why it failed ("" when ok)
};

// A Space's probes since some time.
struct HealthSummary {
  int64_t probes = 0;
  int64_t passed = 0;
  int64_t last_at = 0;  // 0: never probed
  bool last_ok = false;
  int last_status = 0;
  std::string last_detail;
  int64_t failing_since = 0;  // the first failed probe after the last passed one; 0: last passed
  int64_t last_woke_at = 0;   // the last probe that woke it (of all time kept)
};

// Requests the edge saw for one Space on one day (directory/traffic.h).
struct TrafficCount {
  int64_t space_id = 0;
  int64_t day = 0;       // days since the epoch (UTC)
  int64_t visitors = 0;  // distinct visitors, an estimate (stored: the larger of old and new)
  int64_t answers = 0;   // the app's answers (added)
  int64_t errors = 0;    // of which 5xx (added)
};

// One like, with its liker's account creation time (trending).
struct LikeAge {
  int64_t liked_at = 0;
  int64_t liker_created_at = 0;
};

// What a Space's files look like, for near-duplicates
// (directory/fingerprint.h): a key of its exact file set and a MinHash
// signature with its LSH band hashes.
struct Fingerprint {
  std::string files_key;
  std::vector<uint32_t> minhash;
  std::vector<int64_t> bands;
};

struct FingerprintMatch {
  int64_t space_id = 0;
  int64_t created_at = 0;
  int64_t duplicated_from = 0;  // a declared fork's source (store::Space::duplicated_from)
  std::string files_key;
  std::vector<uint32_t> minhash;
};

// One document with its bucket and signals (IndexMany).
struct DirectoryEntry {
  int64_t space_id = 0;
  int bucket = 0;
  DirectoryText text;
  DirectorySignals signals;
};

// One match, in docid order (best static rank first).
struct DirectoryHit {
  int64_t docid = 0;
  double relevance = 0;  // text relevance with the caller's column weights, higher is better (0: not asked)
  bool operator==(const DirectoryHit&) const = default;
};

// A candidate's attributes, for filtering and ranking.
struct DirectoryCandidate {
  int64_t docid = 0;
  int64_t space_id = 0;
  std::string owner;
  std::string name;
  std::string sdk;
  std::string stage;
  std::string hardware;
  bool is_private = false;
  int64_t likes = 0;
  int64_t created_at = 0;
  int64_t last_modified = 0;
  std::vector<std::string> tags;  // the card's tags (as the last build read it)
  DirectorySignals signals;
};

class DirectoryStore {
 public:
  virtual ~DirectoryStore() = default;

  // Indexes (or re-indexes) the Space's words under `bucket`; the Space must
  // exist. Signals stay as they were (defaults for a new document).
  virtual Status Index(int64_t space_id, const DirectoryText& text, int bucket) = 0;
  // Many at once, in one transaction (bulk loads), with their signals.
  virtual Status IndexMany(const std::vector<DirectoryEntry>& entries) = 0;
  virtual Status Rekey(int64_t space_id, int bucket) = 0;
  virtual Status SetSignals(int64_t space_id, const DirectorySignals& signals) = 0;
  virtual Result<DirectorySignals> Signals(int64_t space_id) = 0;
  virtual Result<int64_t> DocidOf(int64_t space_id) = 0;  // NotFound without a document

  // Documents matching `expression` (FTS5 query syntax: the directory's
  // query parser writes it) with docid below `below` (0: from the top),
  // best docid first, at most `limit`; `weights` (one per column) weigh the
  // relevance (the heaviest column each word is in, summed over the words;
  // README matches count less in long READMEs), computed only when
  // `weights` is not empty.
  // kTitles matches in owner, name and title only (weights: three), from an
  // index of their own: cheap for words common elsewhere and rare there.
  virtual Result<std::vector<DirectoryHit>> Match(const std::string& expression, int64_t below, int64_t limit,
                                                  const std::vector<double>& weights,
                                                  DirectoryScope scope = DirectoryScope::kAll) = 0;
  // How many documents match, counting no further than `cap`.
  virtual Result<int64_t> CountMatches(const std::string& expression, int64_t cap) = 0;
  // The attributes of these documents (those whose Space still exists), in
  // no particular order.
  virtual Result<std::vector<DirectoryCandidate>> Candidates(const std::vector<int64_t>& docids) = 0;
  // Spaces without a document (an installation from before the directory),
  // by id, from above `after_space_id`, at most `limit`.
  virtual Result<std::vector<int64_t>> Unindexed(int64_t after_space_id, int64_t limit) = 0;
  // How many documents there are.
  virtual Result<int64_t> CountDocuments() = 0;
  // Merges the index's segments (after a bulk load).
  virtual Status Optimize() = 0;

  // Signals. Reads the document's signals, lets `change` edit them and
  // stores the result, in one transaction (so two writers of different
  // signals lose neither); the result. NotFound without a document.
  virtual Result<DirectorySignals> UpdateSignals(int64_t space_id,
                                                 const std::function<void(DirectorySignals&)>& change) = 0;

  // Health probes: records one (probes older than 31 days are dropped) and
  // when the Space is due next.
  virtual Status RecordProbe(const ProbeRecord& probe, int64_t next_probe_at) = 0;
  virtual Status ScheduleProbe(int64_t space_id, int64_t at) = 0;
  // Documents due for a probe at `now`, soonest first.
  virtual Result<std::vector<int64_t>> DueForProbe(int64_t now, int64_t limit) = 0;
  // Probes since `since` (unix millis); last_woke_at of all those kept.
  virtual Result<HealthSummary> Health(int64_t space_id, int64_t since) = 0;

  // Traffic per Space and day (from the edge, in batches).
  virtual Status AddTraffic(const std::vector<TrafficCount>& counts) = 0;
  virtual Result<std::vector<TrafficCount>> Traffic(int64_t space_id, int64_t since_day) = 0;
  // Likes of a Space since `since`, with their likers' ages.
  virtual Result<std::vector<LikeAge>> LikesSince(int64_t space_id, int64_t since) = 0;
  // Documents whose Space was last modified before `modified_before` or
  // that are marked abandoned now (the abandoned rule's review), by space
  // id from above `after_space_id`.
  virtual Result<std::vector<int64_t>> AbandonReview(int64_t modified_before, int64_t after_space_id,
                                                     int64_t limit) = 0;

  // Near-duplicates: stores the Space's fingerprint (replacing the old);
  // other Spaces with the same files_key or sharing an LSH band, oldest
  // first, at most `limit`.
  virtual Status SetFingerprint(int64_t space_id, const Fingerprint& fingerprint) = 0;
  virtual Result<std::vector<FingerprintMatch>> SimilarTo(int64_t space_id, const Fingerprint& fingerprint,
                                                          int64_t limit) = 0;
  // Spaces marked as near-copies of `space_id`.
  virtual Result<std::vector<int64_t>> DuplicatesOf(int64_t space_id) = 0;
};

struct StoreOptions;

// The directory area of the store at options.url (as Store::Open). It reads
// the spaces table, so it needs the store's own database: a file, not
// "sqlite::memory:". store.cc.
Result<std::unique_ptr<DirectoryStore>> OpenDirectoryStore(const StoreOptions& options);

// The SQLite backend on the store's database file (a connection of its
// own). store/sqlite/sqlite_directory.cc.
Result<std::unique_ptr<DirectoryStore>> OpenSqliteDirectoryStore(const std::string& path);

}  // namespace spaceport::store
