// TrafficCounter: what the edge saw of each Space's requests, kept in
// memory and handed to the directory in batches (docs/directory.md,
// "Trending" and "Health"): distinct visitors per Space and day (a
// HyperLogLog of 1,024 registers, about 3% error), and the app's answers
// and 5xx answers. The edge calls Visit and Answer on every app request
// (no store call, one short lock of 1/64 of the Spaces); a background
// thread calls Drain.
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "store/directory_store.h"

namespace spaceport::directory {

class TrafficCounter {
 public:
  // `visitor`: a signed-in caller's id, or the client's address for others.
  void Visit(int64_t space_id, int64_t caller_id, std::string_view client_addr, int64_t now_ms);
  void Answer(int64_t space_id, int status, int64_t now_ms);

  // The counts since the last Drain: visitors is the day's estimate so far
  // (the store keeps the larger), answers and errors are new ones. Days
  // before `now_ms`'s are forgotten after they are drained.
  std::vector<store::TrafficCount> Drain(int64_t now_ms);

  static int64_t DayOf(int64_t unix_ms) { return unix_ms / (86400LL * 1000); }

 private:
  static constexpr int kPrecision = 10;
  static constexpr int kRegisters = 1 << kPrecision;
  static constexpr int kShards = 64;
  struct Day {
    std::array<uint8_t, kRegisters> registers{};
    int64_t answers = 0;
    int64_t errors = 0;
    bool changed = false;
  };
  struct Shard {
    std::mutex mu;
    std::map<std::pair<int64_t, int64_t>, Day> days;  // (space, day)
  };
  static double Estimate(const std::array<uint8_t, kRegisters>& registers);
  Shard& ShardOf(int64_t space_id) { return shards_[static_cast<uint64_t>(space_id) % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace spaceport::directory
