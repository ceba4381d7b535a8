// Signals: keeps the directory's trust signals of each Space current
// (docs/directory.md, "Signals"): trending from likes and visitors,
// verified from health probes and the edge's record of the app's answers,
// the abandoned rule and archiving, and near-duplicates from fingerprints.
// Every change moves the Space's document to the bucket its new quality
// gives (directory.h).
//
// Thread safety: every method may be called from any thread (the store
// serialises the writes of one Space's signals).
// Failure: the store's errors; NotFound for a Space the directory has no
// document of.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "directory/directory.h"
#include "directory/fingerprint.h"
#include "store/directory_store.h"
#include "store/space_store.h"

namespace spaceport::directory {

// The abandoned rule and the verified rule.
inline constexpr int64_t kAbandonedNoPushDays = 180;
inline constexpr int64_t kAbandonedNoVisitorsDays = 90;
inline constexpr int64_t kAbandonedFailingDays = 14;
inline constexpr int64_t kUptimeDays = 30;
inline constexpr int64_t kErrorWindowDays = 2;    // the edge's record counted for verified
inline constexpr int64_t kErrorMinAnswers = 20;   // fewer answers: the record says nothing
inline constexpr double kErrorRateLimit = 0.5;    // 5xx share above which a Space is not verified

struct Health {
  bool verified = false;
  int64_t last_probe_at = 0;  // 0: never probed
  bool last_probe_ok = false;
  int last_status = 0;
  std::string last_detail;
  std::optional<double> uptime30d;  // passed probes / probes over 30 days; none without probes
  int64_t answers = 0;              // the app's answers over kErrorWindowDays, and their 5xx
  int64_t errors = 0;
};

class Signals {
 public:
  Signals(Directory* directory, store::SpaceStore* store, const Clock* clock)
      : directory_(directory), store_(store), clock_(clock) {}

  // Trending: recomputed from the Space's likes and visitors (trending.h).
  Status OnLikesChanged(int64_t space_id);
  // The edge's counts (traffic.h): stored, then trending and verified
  // follow for the Spaces they name.
  Status AddTraffic(const std::vector<store::TrafficCount>& counts);

  // Health: records a probe, then verified and abandoned follow; the
  // probe's next time is `next_probe_at`.
  Status RecordProbe(const store::ProbeRecord& probe, int64_t next_probe_at);
  Result<Health> HealthOf(int64_t space_id);

  // Abandoned: the rule applied to one Space. ReviewAbandonedBatch applies
  // it to at most `budget` of the Spaces that may have become (or stopped
  // being) abandoned, from *cursor on (a Space id; 0: the first), and moves
  // the cursor (0 again after the last): a sweep in bounded steps, so that
  // a million stale Spaces never hold the server up. It answers how many
  // changed.
  Status ReviewAbandoned(int64_t space_id);
  Result<int64_t> ReviewAbandonedBatch(int64_t* cursor, int64_t budget);
  Status SetArchived(int64_t space_id, bool archived);

  // Near-duplicates: stores the fingerprint of the Space's files at its
  // new commit and marks it a copy of the oldest Space it copies (exactly,
  // or kNearCopySimilarity alike) that is not of its declared lineage
  // (forks and their sources); clears the mark when it no longer copies.
  // The Space it copies, 0 for none.
  Result<int64_t> OnFiles(const store::Space& space, const std::vector<SpaceFile>& files);

  Directory* directory() const { return directory_; }
  // Changes a Space's signals and moves its document to the bucket of its
  // new quality (with its likes counted now).
  Result<store::DirectorySignals> Update(int64_t space_id, const std::function<void(store::DirectorySignals&)>& change);

 private:
  bool SameLineage(const store::Space& space, int64_t other_id);
  Status ReviewVerified(int64_t space_id);

  Directory* directory_;
  store::SpaceStore* store_;
  const Clock* clock_;
};

}  // namespace spaceport::directory
