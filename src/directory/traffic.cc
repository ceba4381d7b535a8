#include "directory/traffic.h"

#include <bit>
#include <cmath>

namespace spaceport::directory {
namespace {

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t VisitorHash(int64_t caller_id, std::string_view addr) {
  if (caller_id != 0) return Mix(static_cast<uint64_t>(caller_id) * 2 + 1);
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : addr) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return Mix(h * 2);
}

}  // namespace

void TrafficCounter::Visit(int64_t space_id, int64_t caller_id, std::string_view client_addr, int64_t now_ms) {
  const uint64_t h = VisitorHash(caller_id, client_addr);
  const size_t index = h >> (64 - kPrecision);
  const uint64_t rest = (h << kPrecision) | (uint64_t{1} << (kPrecision - 1));  // never all zero
  const uint8_t rank = static_cast<uint8_t>(std::countl_zero(rest) + 1);
  Shard& shard = ShardOf(space_id);
  std::lock_guard lock(shard.mu);
  Day& day = shard.days[{space_id, DayOf(now_ms)}];
  if (rank > day.registers[index]) {
    day.registers[index] = rank;
    day.changed = true;
  }
}

void TrafficCounter::Answer(int64_t space_id, int status, int64_t now_ms) {
  Shard& shard = ShardOf(space_id);
  std::lock_guard lock(shard.mu);
  Day& day = shard.days[{space_id, DayOf(now_ms)}];
  ++day.answers;
  if (status >= 500) ++day.errors;
  day.changed = true;
}

double TrafficCounter::Estimate(const std::array<uint8_t, kRegisters>& registers) {
  double sum = 0;
  int zeros = 0;
  for (uint8_t r : registers) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0 ? 1 : 0;
  }
  const double m = kRegisters;
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);  // small ranges: linear counting
  return e;
}

std::vector<store::TrafficCount> TrafficCounter::Drain(int64_t now_ms) {
  const int64_t today = DayOf(now_ms);
  std::vector<store::TrafficCount> out;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (auto it = shard.days.begin(); it != shard.days.end();) {
      Day& d = it->second;
      if (d.changed) {
        out.push_back({.space_id = it->first.first,
                       .day = it->first.second,
                       .visitors = std::llround(Estimate(d.registers)),
                       .answers = d.answers,
                       .errors = d.errors});
        d.answers = d.errors = 0;
        d.changed = false;
      }
      it = it->first.second < today ? shard.days.erase(it) : std::next(it);
    }
  }
  return out;
}

}  // namespace spaceport::directory
