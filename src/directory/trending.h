// Trending: how much a Space is liked and visited lately, with no cliff
// (docs/directory.md, "Trending").
//
//   score(now) = sum over likes  of  weight(liker's account age) * d(now - liked_at)
//              + sum over days   of  0.2 * distinct visitors that day * d(now - midday)
//   d(age) = 2^(-age / 3 days)
//
// A like counts 0 from an account younger than a day, then grows linearly
// to 1 at 30 days. A burst (5 or more likes within an hour from accounts
// younger than 7 days) is flagged and its likes count 0, whatever their
// age. Events older than kTrendingWindowDays are left out (they would
// count less than 2^-15).
//
// The score is stored as a key that orders Spaces by their score at any
// later time without rewriting them as time passes: key = ln(score) +
// t / tau (t in days, tau = 3 / ln 2), scaled by 1000 and offset to stay
// positive; 0 is "no score". ScoreAt turns a key back into a score.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace spaceport::directory {

inline constexpr double kTrendingHalfLifeDays = 3.0;
inline constexpr int64_t kTrendingWindowDays = 45;
inline constexpr double kVisitorWeight = 0.2;
inline constexpr int64_t kBurstLikes = 5;                        // in one hour, from fresh accounts
inline constexpr int64_t kBurstWindowMs = 3600 * 1000;
inline constexpr int64_t kFreshAccountMs = 7LL * 86400 * 1000;  // younger: may be part of a burst

struct LikeEvent {
  int64_t liked_at = 0;          // unix millis
  int64_t liker_created_at = 0;  // the liker's account
};

struct VisitDay {
  int64_t day = 0;  // days since the epoch (UTC)
  int64_t visitors = 0;
};

struct TrendingResult {
  double score = 0;
  int64_t key = 0;       // for the store (0: none)
  int64_t burst_at = 0;  // the first like of the latest burst; 0: none
};

// The weight of one like from an account `age_ms` old when it liked.
double LikeWeight(int64_t age_ms);

TrendingResult ComputeTrending(const std::vector<LikeEvent>& likes, const std::vector<VisitDay>& visits,
                               int64_t now_ms);

// The score a key stands for at `now_ms` (0 for key 0), and the key of a
// score at `now_ms` (0 for a score of 0).
double ScoreAt(int64_t key, int64_t now_ms);
int64_t TrendingKey(double score, int64_t now_ms);

}  // namespace spaceport::directory
