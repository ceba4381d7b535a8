// Directory: finds Spaces by their words and ranks them by how well they
// match and how much they can be trusted (docs/directory.md).
//
// Search design (measured in bench/directory): the index keeps documents in
// static quality order (store/directory_store.h, docids), so the best
// matches of any word are found by walking the index from the top and
// stopping after a few hundred, not by scoring every match: a word in most
// of 1.5M documents costs what a rare one costs. The walk's candidates and
// the best title matches are then re-ranked by text relevance (field
// weights: a word in the title beats one deep in the README) times quality
// (verified working, likes, trending), filtered, and paged. Counts and
// facets are exact when the walk reaches the end of the matches, otherwise
// they describe the matches read and say so.
//
// Thread safety: every method may be called from any thread (the store is
// thread safe; the Directory keeps no mutable state).
// Failure: InvalidArgument for a malformed query or parameters; the store's
// errors otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/directory_store.h"
#include "store/store.h"

namespace spaceport::directory {

// Column weights of the text score, in the index's column order: owner,
// name, title, short description, tags, models/datasets, README.
inline const std::vector<double>& ColumnWeights() {
  static const std::vector<double> kWeights = {3.0, 6.0, 10.0, 4.0, 3.0, 2.0, 1.0};
  return kWeights;
}

// The same weights for the title index's columns (owner, name, title).
inline const std::vector<double>& TitleColumnWeights() {
  static const std::vector<double> kWeights = {3.0, 6.0, 10.0};
  return kWeights;
}

// The first step re-ranks the best 200 matches in the static order and the
// 100 best title matches; most pages need no more (measured at 1.5M
// Spaces: reading each candidate's row is most of a search's cost, and a
// first step of 400 + 200 put two-word searches over 20 ms p99).
inline constexpr int64_t kFirstStep = 200;        // documents read from the index in the first step
inline constexpr int64_t kWalkStep = 400;         // and in each step after it
inline constexpr int64_t kTitleCandidates = 100;  // best title matches added to the first step
inline constexpr int64_t kMaxScanned = 4000;      // documents a search reads at most
inline constexpr int64_t kMaxCounted = 10000;     // matches counted for an estimated total
// Open reports from this many distinct established accounts lower a
// Space's quality (moderation.h).
inline constexpr int64_t kConfirmedReporters = 3;

// Quality in [0, 1] from the directory's signals, the likes and the
// current trending score (the formula is in docs/directory.md), and the
// index bucket it puts a document in.
double QualityOf(const store::DirectorySignals& signals, int64_t likes, double trending);
int BucketOf(double quality);

struct DirectoryQuery {
  std::string search;  // required: the words (query.h)
  std::string author;  // exact owner; empty: any
  std::vector<std::string> sdks;      // any of; empty: any
  std::vector<std::string> stages;    // any of (RUNNING, SLEEPING, ...)
  std::vector<std::string> hardware;  // any of
  std::vector<std::string> tags;      // each must be a tag (or the sdk) of the Space
  bool verified_only = false;
  bool include_abandoned = false;
  bool include_duplicates = false;
  std::string sort = "relevance";  // relevance | likes | createdAt | lastModified | trendingScore
  bool descending = true;
  int64_t limit = 20;
  int64_t offset = 0;
  bool count = false;  // an estimated total when the walk stops early (costs a count of the matches)
  // Whether the caller may see a private Space (public ones are seen by all).
  std::function<bool(const store::DirectoryCandidate&)> may_see_private;
};

struct FacetCounts {
  std::map<std::string, int64_t> sdk;
  std::map<std::string, int64_t> stage;
  std::map<std::string, int64_t> hardware;
  int64_t verified = 0;
  // The card tags of the matches (as their last build read the card), the
  // kFacetTags most common.
  std::map<std::string, int64_t> tags;
};
inline constexpr size_t kFacetTags = 10;

struct SearchPage {
  std::vector<int64_t> space_ids;  // this page, best first
  int64_t total = 0;               // matching Spaces the caller may see (see exact)
  bool exact = true;               // false: facets cover the matches read; total is an estimate
                                   // (with DirectoryQuery::count; else the number read and kept)
  FacetCounts facets;
  std::map<int64_t, int64_t> similar;  // space id -> near-copies collapsed into it
};

class Directory {
 public:
  Directory(store::DirectoryStore* store, const Clock* clock) : store_(store), clock_(clock) {}

  // (Re)indexes a Space's words (after a push or a card change) in the
  // bucket its current signals give.
  Status IndexSpace(const store::Space& space, std::string_view readme_md);
  // Moves a Space's document to the bucket its signals and likes now give
  // (after a like, a probe, ...); a Space without a document is left alone.
  Status Refresh(int64_t space_id, int64_t likes);
  // Changes a Space's signals and moves its document to the bucket they
  // give; the new signals (NotFound without a document).
  Result<store::DirectorySignals> UpdateSignals(int64_t space_id, int64_t likes,
                                                const std::function<void(store::DirectorySignals&)>& change);
  double Quality(const store::DirectorySignals& signals, int64_t likes) const;

  Result<SearchPage> Search(const DirectoryQuery& query);
  store::DirectoryStore* store() const { return store_; }
  const Clock* clock() const { return clock_; }

 private:
  store::DirectoryStore* store_;
  const Clock* clock_;
};

}  // namespace spaceport::directory
