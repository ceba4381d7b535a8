// Stage: where a Space is in its life, as HF's runtime API names it
// (DESIGN.md section 6). The supervisor sets it; the route carries it to the
// edge (what a 503 says); the hub reports it. It travels as this enum and
// becomes text only at the edges of the program: the store's column, JSON,
// pages and messages.
// Thread safety: constants and pure functions.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace spaceport::runtime {

enum class Stage {
  kNoAppFile,        // created, nothing pushed that could run
  kConfigError,      // the card is wrong (the message names the key)
  kBuilding,
  kBuildError,
  kAppStarting,      // built; waiting for the first healthy answer
  kRunning,
  kRunningBuilding,  // a new version builds while the old one serves
  kRuntimeError,
  kPaused,           // stopped by its owner
  kSleeping,         // stopped by the sleep ladder; a request wakes it
};

inline constexpr std::array<std::pair<Stage, std::string_view>, 10> kStageNames = {{
    {Stage::kNoAppFile, "NO_APP_FILE"},
    {Stage::kConfigError, "CONFIG_ERROR"},
    {Stage::kBuilding, "BUILDING"},
    {Stage::kBuildError, "BUILD_ERROR"},
    {Stage::kAppStarting, "APP_STARTING"},
    {Stage::kRunning, "RUNNING"},
    {Stage::kRunningBuilding, "RUNNING_BUILDING"},
    {Stage::kRuntimeError, "RUNTIME_ERROR"},
    {Stage::kPaused, "PAUSED"},
    {Stage::kSleeping, "SLEEPING"},
}};

constexpr std::string_view StageName(Stage stage) {
  for (const auto& [s, name] : kStageNames) {
    if (s == stage) return name;
  }
  return "NO_APP_FILE";
}

constexpr std::optional<Stage> ParseStage(std::string_view name) {
  for (const auto& [s, n] : kStageNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

}  // namespace spaceport::runtime
