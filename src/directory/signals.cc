#include "directory/signals.h"

#include <algorithm>
#include <set>

#include "directory/traffic.h"
#include "directory/trending.h"

namespace spaceport::directory {
namespace {

constexpr int64_t kDayMs = 86400LL * 1000;

}  // namespace

Result<store::DirectorySignals> Signals::Update(int64_t space_id,
                                                const std::function<void(store::DirectorySignals&)>& change) {
  ASSIGN_OR_RETURN(int64_t likes, store_->CountLikes(space_id));
  return directory_->UpdateSignals(space_id, likes, change);
}

Status Signals::OnLikesChanged(int64_t space_id) {
  const int64_t now = clock_->UnixMillis();
  store::DirectoryStore* ds = directory_->store();
  ASSIGN_OR_RETURN(std::vector<store::LikeAge> likes, ds->LikesSince(space_id, now - kTrendingWindowDays * kDayMs));
  ASSIGN_OR_RETURN(std::vector<store::TrafficCount> traffic,
                   ds->Traffic(space_id, TrafficCounter::DayOf(now) - kTrendingWindowDays));
  std::vector<LikeEvent> events;
  for (const store::LikeAge& l : likes) events.push_back({l.liked_at, l.liker_created_at});
  std::vector<VisitDay> visits;
  for (const store::TrafficCount& t : traffic) visits.push_back({t.day, t.visitors});
  const TrendingResult r = ComputeTrending(events, visits, now);
  return Update(space_id, [&](store::DirectorySignals& s) {
           s.trending_key = r.key;
           s.like_burst_at = std::max(s.like_burst_at, r.burst_at);
         }).status();
}

Status Signals::AddTraffic(const std::vector<store::TrafficCount>& counts) {
  if (counts.empty()) return Status::Ok();
  RETURN_IF_ERROR(directory_->store()->AddTraffic(counts));
  std::set<int64_t> visited, answered;
  for (const store::TrafficCount& c : counts) {
    if (c.visitors > 0) visited.insert(c.space_id);
    if (c.answers > 0) answered.insert(c.space_id);
  }
  Status first = Status::Ok();
  auto note = [&](const Status& s) {
    if (!s.ok() && s.code() != StatusCode::kNotFound && first.ok()) first = s;
  };
  for (int64_t id : visited) note(OnLikesChanged(id));
  for (int64_t id : answered) note(ReviewVerified(id));
  return first;
}

Result<Health> Signals::HealthOf(int64_t space_id) {
  const int64_t now = clock_->UnixMillis();
  store::DirectoryStore* ds = directory_->store();
  ASSIGN_OR_RETURN(store::HealthSummary h, ds->Health(space_id, now - kUptimeDays * kDayMs));
  ASSIGN_OR_RETURN(std::vector<store::TrafficCount> traffic,
                   ds->Traffic(space_id, TrafficCounter::DayOf(now) - (kErrorWindowDays - 1)));
  Health out;
  out.last_probe_at = h.last_at;
  out.last_probe_ok = h.last_ok;
  out.last_status = h.last_status;
  out.last_detail = h.last_detail;
  if (h.probes > 0) out.uptime30d = static_cast<double>(h.passed) / static_cast<double>(h.probes);
  for (const store::TrafficCount& t : traffic) {
    out.answers += t.answers;
    out.errors += t.errors;
  }
  const bool erring = out.answers >= kErrorMinAnswers &&
                      static_cast<double>(out.errors) > kErrorRateLimit * static_cast<double>(out.answers);
  out.verified = h.last_at != 0 && h.last_ok && !erring;
  return out;
}

Status Signals::ReviewVerified(int64_t space_id) {
  ASSIGN_OR_RETURN(Health h, HealthOf(space_id));
  ASSIGN_OR_RETURN(store::DirectorySignals now, directory_->store()->Signals(space_id));
  if (now.verified == h.verified) return Status::Ok();
  return Update(space_id, [&](store::DirectorySignals& s) { s.verified = h.verified; }).status();
}

Status Signals::RecordProbe(const store::ProbeRecord& probe, int64_t next_probe_at) {
  RETURN_IF_ERROR(directory_->store()->RecordProbe(probe, next_probe_at));
  RETURN_IF_ERROR(ReviewVerified(probe.space_id));
  return ReviewAbandoned(probe.space_id);
}

Status Signals::ReviewAbandoned(int64_t space_id) {
  const int64_t now = clock_->UnixMillis();
  ASSIGN_OR_RETURN(store::Space space, store_->GetSpaceById(space_id));
  store::DirectoryStore* ds = directory_->store();
  ASSIGN_OR_RETURN(store::HealthSummary h, ds->Health(space_id, now - kUptimeDays * kDayMs));
  bool visited = false;
  if (space.last_modified < now - kAbandonedNoPushDays * kDayMs) {
    ASSIGN_OR_RETURN(std::vector<store::TrafficCount> traffic,
                     ds->Traffic(space_id, TrafficCounter::DayOf(now) - kAbandonedNoVisitorsDays));
    for (const store::TrafficCount& t : traffic) visited = visited || t.visitors > 0;
  }
  const bool stale = space.last_modified < now - kAbandonedNoPushDays * kDayMs && !visited;
  const bool failing = h.failing_since != 0 && h.failing_since < now - kAbandonedFailingDays * kDayMs;
  ASSIGN_OR_RETURN(store::DirectorySignals current, ds->Signals(space_id));
  const bool abandoned = current.archived || stale || failing;
  if (current.abandoned == abandoned) return Status::Ok();
  return Update(space_id, [&](store::DirectorySignals& s) { s.abandoned = s.archived || stale || failing; }).status();
}

Result<int64_t> Signals::ReviewAbandonedBatch(int64_t* cursor, int64_t budget) {
  const int64_t now = clock_->UnixMillis();
  store::DirectoryStore* ds = directory_->store();
  ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                   ds->AbandonReview(now - kAbandonedNoPushDays * kDayMs, *cursor, std::max<int64_t>(1, budget)));
  int64_t changed = 0;
  for (int64_t id : ids) {
    Result<store::DirectorySignals> before = ds->Signals(id);
    Status s = ReviewAbandoned(id);
    if (s.code() == StatusCode::kNotFound) continue;  // deleted meanwhile
    RETURN_IF_ERROR(s);
    Result<store::DirectorySignals> after_review = ds->Signals(id);
    if (before.ok() && after_review.ok() && before->abandoned != after_review->abandoned) ++changed;
  }
  *cursor = static_cast<int64_t>(ids.size()) < budget ? 0 : ids.back();
  return changed;
}

Status Signals::SetArchived(int64_t space_id, bool archived) {
  RETURN_IF_ERROR(Update(space_id, [&](store::DirectorySignals& s) { s.archived = archived; }).status());
  return ReviewAbandoned(space_id);
}

bool Signals::SameLineage(const store::Space& space, int64_t other_id) {
  // Ancestors through declared forks (duplicated_from), a few dozen at most.
  auto ancestry = [&](int64_t id, int64_t from) {
    std::set<int64_t> seen = {id};
    for (int i = 0; i < 32 && from != 0 && seen.insert(from).second; ++i) {
      Result<store::Space> up = store_->GetSpaceById(from);
      if (!up.ok()) break;
      from = up->duplicated_from;
    }
    return seen;
  };
  std::set<int64_t> mine = ancestry(space.id, space.duplicated_from);
  Result<store::Space> other = store_->GetSpaceById(other_id);
  if (!other.ok()) return false;
  for (int64_t id : ancestry(other->id, other->duplicated_from)) {
    if (mine.count(id)) return true;  // one descends from the other, or both from one source
  }
  return false;
}

Result<int64_t> Signals::OnFiles(const store::Space& space, const std::vector<SpaceFile>& files) {
  store::DirectoryStore* ds = directory_->store();
  const store::Fingerprint fp = FingerprintOf(files);
  int64_t copies = 0;
  if (!fp.files_key.empty()) {
    RETURN_IF_ERROR(ds->SetFingerprint(space.id, fp));
    ASSIGN_OR_RETURN(std::vector<store::FingerprintMatch> matches, ds->SimilarTo(space.id, fp, 50));
    for (const store::FingerprintMatch& m : matches) {  // oldest first
      const bool older = m.created_at < space.created_at || (m.created_at == space.created_at && m.space_id < space.id);
      if (!older) break;
      const bool alike = m.files_key == fp.files_key || Similarity(m.minhash, fp.minhash) >= kNearCopySimilarity;
      if (!alike || SameLineage(space, m.space_id)) continue;
      // A copy of a copy counts for the original (unless that is family).
      int64_t original = m.space_id;
      if (Result<store::DirectorySignals> theirs = ds->Signals(m.space_id); theirs.ok() && theirs->duplicate_of != 0) {
        original = theirs->duplicate_of;
      }
      if (original != m.space_id && SameLineage(space, original)) continue;
      copies = original;
      break;
    }
  }
  RETURN_IF_ERROR(Update(space.id, [&](store::DirectorySignals& s) { s.duplicate_of = copies; }).status());
  return copies;
}

}  // namespace spaceport::directory
