#include "directory/trending.h"

#include <algorithm>
#include <cmath>

namespace spaceport::directory {
namespace {

constexpr double kDayMs = 86400.0 * 1000.0;
constexpr double kKeyOffset = 1000.0;  // ln-units: keeps keys of tiny scores positive

double Tau() { return kTrendingHalfLifeDays / std::log(2.0); }

double Decay(double age_ms) { return std::exp2(-std::max(0.0, age_ms) / (kTrendingHalfLifeDays * kDayMs)); }

}  // namespace

double LikeWeight(int64_t age_ms) {
  if (age_ms < static_cast<int64_t>(kDayMs)) return 0.0;
  return std::min(1.0, static_cast<double>(age_ms) / (30.0 * kDayMs));
}

TrendingResult ComputeTrending(const std::vector<LikeEvent>& likes, const std::vector<VisitDay>& visits,
                               int64_t now_ms) {
  const int64_t since = now_ms - kTrendingWindowDays * static_cast<int64_t>(kDayMs);
  TrendingResult out;
  // Bursts: windows of an hour holding kBurstLikes likes from fresh accounts.
  std::vector<int64_t> fresh;
  for (const LikeEvent& l : likes) {
    if (l.liked_at >= since && l.liked_at - l.liker_created_at < kFreshAccountMs) fresh.push_back(l.liked_at);
  }
  std::sort(fresh.begin(), fresh.end());
  std::vector<std::pair<int64_t, int64_t>> bursts;  // [first, last] like times
  for (size_t i = 0, j = 0; i < fresh.size(); ++i) {
    while (fresh[i] - fresh[j] > kBurstWindowMs) ++j;
    if (static_cast<int64_t>(i - j + 1) >= kBurstLikes) {
      if (!bursts.empty() && fresh[j] <= bursts.back().second) {
        bursts.back().second = fresh[i];
      } else {
        bursts.emplace_back(fresh[j], fresh[i]);
      }
    }
  }
  if (!bursts.empty()) out.burst_at = bursts.back().first;
  auto in_burst = [&](int64_t t) {
    for (const auto& [first, last] : bursts) {
      if (t >= first && t <= last) return true;
    }
    return false;
  };
  for (const LikeEvent& l : likes) {
    if (l.liked_at < since) continue;
    const bool is_fresh = l.liked_at - l.liker_created_at < kFreshAccountMs;
    if (is_fresh && in_burst(l.liked_at)) continue;
    out.score += LikeWeight(l.liked_at - l.liker_created_at) * Decay(static_cast<double>(now_ms - l.liked_at));
  }
  for (const VisitDay& v : visits) {
    const double midday = (static_cast<double>(v.day) + 0.5) * kDayMs;
    if (midday < static_cast<double>(since) || v.visitors <= 0) continue;
    const double at = std::min(midday, static_cast<double>(now_ms));
    out.score += kVisitorWeight * static_cast<double>(v.visitors) * Decay(static_cast<double>(now_ms) - at);
  }
  out.key = TrendingKey(out.score, now_ms);
  return out;
}

int64_t TrendingKey(double score, int64_t now_ms) {
  if (!(score > 0)) return 0;
  const double key = 1000.0 * (std::log(score) + static_cast<double>(now_ms) / kDayMs / Tau() + kKeyOffset);
  return std::max<int64_t>(1, std::llround(key));
}

double ScoreAt(int64_t key, int64_t now_ms) {
  if (key <= 0) return 0.0;
  return std::exp(static_cast<double>(key) / 1000.0 - kKeyOffset - static_cast<double>(now_ms) / kDayMs / Tau());
}

}  // namespace spaceport::directory
