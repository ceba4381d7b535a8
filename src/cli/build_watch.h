// BuildWatcher: what `spaceport push` shows between the push and a verdict.
//
// Polls GET /api/spaces/ID/runtime about every 500 ms and streams the build
// log (GET .../logs/build, SSE) in between, printing new log lines and a
// stage indicator: "[BUILDING 12s]" redrawn in place on a terminal, plain
// "stage: X" lines on change otherwise.
//
// Right after a push the runtime may still describe the previous deploy, so
// a terminal stage is trusted only once the runtime's sha equals the pushed
// commit or a building stage has been seen (or, for servers that do not
// report a sha, after kTrustAfter of a steady terminal stage).
// Time comes from the injected Clock and waiting from deps.sleep.
// Failure: a server error while polling ends the watch with that Status.
// Not thread safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/log_follower.h"

namespace spaceport::cli {

inline constexpr Millis kPollInterval{500};
inline constexpr Millis kTrustAfter{15000};

enum class StageKind { kWaiting, kBuilding, kSucceeded, kFailed, kStopped };
StageKind ClassifyStage(std::string_view stage);

struct WatchOptions {
  std::string space_id;
  std::string sha;  // the pushed commit
  Millis timeout{600000};
};

struct WatchOutcome {
  std::string stage;
  nlohmann::json runtime;  // the last runtime seen
  bool timed_out = false;
  int64_t elapsed_seconds = 0;
};

class BuildWatcher {
 public:
  // Progress goes to `progress` (stdout normally, stderr with --json);
  // `in_place` redraws the indicator with "\r".
  BuildWatcher(CliContext& ctx, WatchOptions options, std::ostream& progress, bool in_place);
  Result<WatchOutcome> Run();

 private:
  void Poll();
  bool Finished() const;
  bool TimedOut() const;
  void FollowLogs();
  void ShowStage();
  void PrintLogLine(const std::string& text);
  void EndIndicator();
  int64_t ElapsedSeconds() const;

  CliContext& ctx_;
  WatchOptions options_;
  std::ostream& progress_;
  bool in_place_;
  ApiClient api_;
  LogFollower follower_;
  SteadyTime start_{};
  SteadyTime last_poll_{};
  std::optional<SteadyTime> terminal_since_;  // steady terminal stage before trust
  Status error_;
  nlohmann::json runtime_;
  std::string stage_;
  std::string shown_stage_;
  bool started_ = false;
  bool logs_available_ = true;
  bool indicator_drawn_ = false;
};

}  // namespace spaceport::cli
