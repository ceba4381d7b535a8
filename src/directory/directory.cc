#include "directory/directory.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <unordered_map>

#include "directory/document.h"
#include "directory/query.h"
#include "directory/trending.h"

namespace spaceport::directory {
namespace {

bool AnyOf(const std::vector<std::string>& allowed, const std::string& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// The words of a tag as the index's tokenizer splits them, as a column
// filter on the tags column ("text-generation" -> both words in the tags).
Result<std::string> TagFilter(const std::string& tag) {
  ASSIGN_OR_RETURN(SearchQuery q, ParseSearchQuery(tag + " "));  // trailing space: no prefix
  std::string all;
  for (const std::string& w : q.words) all += (all.empty() ? "" : " AND ") + ("\"" + w + "\"");
  return "{tags} : (" + all + ")";
}

struct Scored {
  store::DirectoryCandidate c;
  double score = 0;
};


int64_t SortKey(const store::DirectoryCandidate& c, const std::string& sort) {
  if (sort == "likes") return c.likes;
  if (sort == "createdAt") return c.created_at;
  if (sort == "lastModified") return c.last_modified;
  if (sort == "trendingScore") return c.signals.trending_key;
  return 0;
}

Status CheckQuery(const DirectoryQuery& q) {
  static const std::set<std::string> kSorts = {"relevance", "likes", "createdAt", "lastModified", "trendingScore"};
  if (!kSorts.count(q.sort)) {
    return Status::InvalidArgument("unsupported sort '" + q.sort +
                                   "' (relevance, trendingScore, likes, createdAt or lastModified)");
  }
  if (q.limit < 1 || q.offset < 0) return Status::InvalidArgument("limit must be positive and offset not negative");
  return Status::Ok();
}

}  // namespace

double QualityOf(const store::DirectorySignals& s, int64_t likes, double trending) {
  double q = (s.verified ? 0.45 : 0.0) +
             0.35 * std::min(1.0, std::log10(1.0 + static_cast<double>(std::max<int64_t>(0, likes))) / 3.0) +
             0.20 * std::min(1.0, std::log10(1.0 + std::max(0.0, trending)) / 3.0);
  if (s.abandoned) q *= 0.25;
  if (s.duplicate_of != 0) q *= 0.5;
  if (s.reports >= kConfirmedReporters) q *= 0.4;  // confirmed reports, before a moderator acts
  return std::clamp(q, 0.0, 1.0);
}

int BucketOf(double quality) {
  return std::clamp(static_cast<int>(std::lround(quality * (store::kDirectoryBuckets - 1))), 0,
                    store::kDirectoryBuckets - 1);
}

Status Directory::IndexSpace(const store::Space& space, std::string_view readme_md) {
  store::DirectorySignals signals;
  if (Result<store::DirectorySignals> s = store_->Signals(space.id); s.ok()) {
    signals = *s;
  } else if (s.status().code() != StatusCode::kNotFound) {
    return s.status();
  }
  return store_->Index(space.id, DocumentOf(space, readme_md), BucketOf(Quality(signals, space.likes)));
}

double Directory::Quality(const store::DirectorySignals& signals, int64_t likes) const {
  return QualityOf(signals, likes, ScoreAt(signals.trending_key, clock_->UnixMillis()));
}

Status Directory::Refresh(int64_t space_id, int64_t likes) {
  Result<store::DirectorySignals> s = store_->Signals(space_id);
  if (s.status().code() == StatusCode::kNotFound) return Status::Ok();
  if (!s.ok()) return s.status();
  return store_->Rekey(space_id, BucketOf(Quality(*s, likes)));
}

Result<store::DirectorySignals> Directory::UpdateSignals(int64_t space_id, int64_t likes,
                                                         const std::function<void(store::DirectorySignals&)>& change) {
  ASSIGN_OR_RETURN(store::DirectorySignals s, store_->UpdateSignals(space_id, change));
  RETURN_IF_ERROR(store_->Rekey(space_id, BucketOf(Quality(s, likes))));
  return s;
}

Result<SearchPage> Directory::Search(const DirectoryQuery& query) {
  RETURN_IF_ERROR(CheckQuery(query));
  ASSIGN_OR_RETURN(SearchQuery parsed, ParseSearchQuery(query.search));
  std::string expression = parsed.expression;
  const std::string title_expression = parsed.expression;
  for (const std::string& tag : query.tags) {
    ASSIGN_OR_RETURN(std::string filter, TagFilter(tag));
    expression = "(" + expression + ") AND " + filter;
  }
  const std::vector<double>& weights = ColumnWeights();
  const int64_t now = clock_->UnixMillis();

  // Walk the index from the top; the first step also takes the best title
  // matches wherever they are in the static order.
  std::unordered_map<int64_t, double> relevance;
  std::vector<Scored> kept;
  SearchPage page;
  int64_t below = 0, walked = 0;
  bool exhausted = false;
  const int64_t wanted = query.offset + query.limit;
  for (bool first = true; !exhausted && walked < kMaxScanned; first = false) {
    const int64_t step = first ? kFirstStep : kWalkStep;
    ASSIGN_OR_RETURN(std::vector<store::DirectoryHit> hits, store_->Match(expression, below, step, weights));
    exhausted = static_cast<int64_t>(hits.size()) < step;
    walked += static_cast<int64_t>(hits.size());
    if (!hits.empty()) below = hits.back().docid;
    std::vector<int64_t> fresh;
    for (const store::DirectoryHit& h : hits) {
      if (relevance.emplace(h.docid, h.relevance).second) fresh.push_back(h.docid);
    }
    // The title index has neither tags nor READMEs: with a tag filter or an
    // excluded word its matches might not be matches; the walk alone then.
    if (first && query.tags.empty() && !parsed.excludes) {
      ASSIGN_OR_RETURN(std::vector<store::DirectoryHit> titles,
                       store_->Match(title_expression, 0, kTitleCandidates, TitleColumnWeights(),
                                     store::DirectoryScope::kTitles));
      for (const store::DirectoryHit& h : titles) {
        // The whole-document relevance: the title match is part of it.
        if (!relevance.count(h.docid)) fresh.push_back(h.docid);
        relevance[h.docid] = std::max(relevance[h.docid], h.relevance);
      }
    }
    ASSIGN_OR_RETURN(std::vector<store::DirectoryCandidate> candidates, store_->Candidates(fresh));
    for (store::DirectoryCandidate& c : candidates) {
      if (c.is_private && !(query.may_see_private && query.may_see_private(c))) continue;
      if (c.signals.hidden) continue;
      if (!query.author.empty() && c.owner != query.author) continue;
      if (c.signals.abandoned && !query.include_abandoned) continue;
      if (c.signals.duplicate_of != 0 && !query.include_duplicates) {
        ++page.similar[c.signals.duplicate_of];
        continue;
      }
      // Facets count every dimension but their own.
      const bool sdk_ok = AnyOf(query.sdks, c.sdk), stage_ok = AnyOf(query.stages, c.stage),
                 hw_ok = AnyOf(query.hardware, c.hardware), verified_ok = !query.verified_only || c.signals.verified;
      if (stage_ok && hw_ok && verified_ok) ++page.facets.sdk[c.sdk];
      if (sdk_ok && hw_ok && verified_ok) ++page.facets.stage[c.stage];
      if (sdk_ok && stage_ok && verified_ok) ++page.facets.hardware[c.hardware];
      if (sdk_ok && stage_ok && hw_ok && c.signals.verified) ++page.facets.verified;
      if (!(sdk_ok && stage_ok && hw_ok && verified_ok)) continue;
      // Tags among the kept (the tag filters are in the expression already).
      for (const std::string& tag : c.tags) ++page.facets.tags[tag];
      double quality = QualityOf(c.signals, c.likes, ScoreAt(c.signals.trending_key, now));
      double score = relevance[c.docid] * (0.5 + quality);
      kept.push_back({std::move(c), score});
    }
    // Enough to fill the page from the best part of the index: stop.
    if (static_cast<int64_t>(kept.size()) >= wanted) break;
  }
  // Near-copies are counted for the Space they copy only if it is shown.
  for (auto it = page.similar.begin(); it != page.similar.end();) {
    bool shown = std::any_of(kept.begin(), kept.end(), [&](const Scored& s) { return s.c.space_id == it->first; });
    it = shown ? std::next(it) : page.similar.erase(it);
  }
  if (page.facets.tags.size() > kFacetTags) {  // the most common, ties by name
    std::vector<std::pair<std::string, int64_t>> all(page.facets.tags.begin(), page.facets.tags.end());
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    all.resize(kFacetTags);
    page.facets.tags = std::map<std::string, int64_t>(all.begin(), all.end());
  }
  page.exact = exhausted;
  page.total = static_cast<int64_t>(kept.size());
  if (!exhausted && walked > 0 && query.count) {
    // An estimate: the share of the walked matches that were kept, times
    // all the matches (counted up to a cap).
    ASSIGN_OR_RETURN(int64_t matches, store_->CountMatches(expression, kMaxCounted));
    const int64_t estimate = std::min<int64_t>(matches, matches * static_cast<int64_t>(kept.size()) / walked);
    page.total = std::max<int64_t>(page.total, estimate);
  }

  const std::string& sort = query.sort;
  const bool desc = query.descending;
  std::stable_sort(kept.begin(), kept.end(), [&](const Scored& a, const Scored& b) {
    if (sort != "relevance") {
      int64_t ka = SortKey(a.c, sort), kb = SortKey(b.c, sort);
      if (ka != kb) return desc ? ka > kb : ka < kb;
    }
    if (a.score != b.score) return a.score > b.score;
    return a.c.docid > b.c.docid;
  });
  for (int64_t i = query.offset; i < static_cast<int64_t>(kept.size()) && i < wanted; ++i) {
    page.space_ids.push_back(kept[i].c.space_id);
  }
  return page;
}

}  // namespace spaceport::directory
