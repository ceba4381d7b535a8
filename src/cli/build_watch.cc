#include "cli/build_watch.h"

#include <ostream>

namespace spaceport::cli {

StageKind ClassifyStage(std::string_view s) {
  if (s == "BUILDING" || s == "RUNNING_BUILDING" || s == "APP_STARTING") return StageKind::kBuilding;
  if (s == "RUNNING" || s == "SLEEPING") return StageKind::kSucceeded;
  if (s == "CONFIG_ERROR" || s == "BUILD_ERROR" || s == "RUNTIME_ERROR" || s == "NO_APP_FILE") {
    return StageKind::kFailed;
  }
  if (s == "PAUSED" || s == "STOPPED" || s == "DELETING") return StageKind::kStopped;
  return StageKind::kWaiting;
}

BuildWatcher::BuildWatcher(CliContext& ctx, WatchOptions options, std::ostream& progress, bool in_place)
    : ctx_(ctx), options_(std::move(options)), progress_(progress), in_place_(in_place), api_(ctx.Api()) {}

int64_t BuildWatcher::ElapsedSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(ctx_.deps.clock->Now() - start_).count();
}

bool BuildWatcher::TimedOut() const { return ctx_.deps.clock->Now() - start_ >= options_.timeout; }

bool BuildWatcher::Finished() const {
  StageKind kind = ClassifyStage(stage_);
  return started_ && kind != StageKind::kBuilding && kind != StageKind::kWaiting;
}

void BuildWatcher::Poll() {
  last_poll_ = ctx_.deps.clock->Now();
  Result<ApiResponse> resp = api_.Get(SpaceApiPath(options_.space_id, "/runtime"));
  if (!resp.ok()) {
    error_ = resp.status();
    return;
  }
  runtime_ = resp->body;
  stage_ = JsonString(runtime_, "stage");
  StageKind kind = ClassifyStage(stage_);
  std::string sha = JsonString(runtime_, "sha");
  if ((!sha.empty() && sha == options_.sha) || kind == StageKind::kBuilding) started_ = true;
  if (!started_ && kind != StageKind::kWaiting) {
    if (!terminal_since_) terminal_since_ = last_poll_;
    if (last_poll_ - *terminal_since_ >= kTrustAfter) started_ = true;
  } else if (!started_) {
    terminal_since_.reset();
  }
  ShowStage();
}

void BuildWatcher::ShowStage() {
  std::string label = started_ ? stage_ : "waiting for the build to start";
  if (in_place_) {
    progress_ << "\r\033[K[" << label << " " << ElapsedSeconds() << "s]" << std::flush;
    indicator_drawn_ = true;
  } else if (label != shown_stage_) {
    progress_ << (started_ ? "stage: " + label : label + "...") << "\n" << std::flush;
  }
  shown_stage_ = label;
}

void BuildWatcher::PrintLogLine(const std::string& text) {
  if (in_place_ && indicator_drawn_) progress_ << "\r\033[K";
  progress_ << text << "\n";
  if (in_place_) progress_ << "[" << shown_stage_ << " " << ElapsedSeconds() << "s]";
  progress_ << std::flush;
}

void BuildWatcher::EndIndicator() {
  if (in_place_ && indicator_drawn_) progress_ << "\n" << std::flush;
  indicator_drawn_ = false;
}

// Streams the build log until it has been quiet for kPollInterval, polling
// the runtime between chunks; returns when the watch should look again.
void BuildWatcher::FollowLogs() {
  follower_.BeginConnection();
  std::string path = SpaceApiPath(options_.space_id, "/logs/build");
  Status s = api_.Stream(path, kPollInterval, [&](std::string_view chunk) {
    for (const LogLine& line : follower_.Feed(chunk)) PrintLogLine(line.event.text);
    if (ctx_.deps.clock->Now() - last_poll_ >= kPollInterval) Poll();
    return error_.ok() && !Finished() && !TimedOut();
  });
  if (s.code() == StatusCode::kDeadlineExceeded) return;  // quiet: time to poll
  if (!s.ok()) {
    // No build log (older server, log expired): keep polling the stage.
    logs_available_ = false;
    return;
  }
  // The server closed the stream; do not spin on reconnects.
  if (error_.ok() && !Finished()) ctx_.deps.sleep(kPollInterval);
}

Result<WatchOutcome> BuildWatcher::Run() {
  start_ = ctx_.deps.clock->Now();
  WatchOutcome outcome;
  while (true) {
    Poll();
    if (!error_.ok()) break;
    if (Finished()) break;
    if (TimedOut()) {
      outcome.timed_out = true;
      break;
    }
    if (started_ && logs_available_) {
      FollowLogs();
    } else {
      ctx_.deps.sleep(kPollInterval);
    }
    if (!error_.ok() || Finished()) break;
  }
  EndIndicator();
  if (!error_.ok()) return error_;
  outcome.stage = stage_;
  outcome.runtime = runtime_;
  outcome.elapsed_seconds = ElapsedSeconds();
  return outcome;
}

}  // namespace spaceport::cli
