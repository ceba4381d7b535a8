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
// directory's signals: probes, duplicates, moderation).
struct DirectorySignals {
  bool verified = false;      // its probes pass
  bool abandoned = false;
  int64_t duplicate_of = 0;   // the Space it near-copies; 0: none
  bool hidden = false;        // hidden from the directory by a moderator
  int64_t trending_milli = 0; // the trending score x 1000
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
