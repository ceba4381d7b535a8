// Build and run logs as Server-Sent Events: the tail first, then new lines as
// they come, until the client goes away.
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

constexpr size_t kTailLines = 1000;
constexpr Millis kWaitSlice{1000};       // how often ClientGone is checked
constexpr Millis kKeepAlive{15 * 1000};  // comment line so proxies keep the stream open

std::string EventFor(const runtime::LogLine& line) {
  Json j = {{"data", line.text + "\n"}, {"timestamp", FormatIsoTime(line.unix_millis)}};
  return "data: " + DumpJson(j) + "\n\n";
}

// Writes `lines`, advancing `last_seq`. False when the client is gone.
bool WriteLines(http::ResponseWriter& out, const std::vector<runtime::LogLine>& lines, uint64_t* last_seq) {
  if (lines.empty()) return true;
  std::string batch;
  for (const runtime::LogLine& line : lines) {
    if (line.seq <= *last_seq && *last_seq != 0) continue;
    batch += EventFor(line);
    *last_seq = line.seq;
  }
  return batch.empty() || out.Write(batch).ok();
}

Status HandleLogs(HubCore& hub, Call& call, runtime::LogKind kind) {
  ASSIGN_OR_RETURN(store::Space space, hub.ReadableSpace(call, call.Param("owner"), call.Param("name")));
  const HubDeps& d = hub.deps();
  std::string id = space.full_id();
  http::Headers headers;
  headers.Set("Content-Type", "text/event-stream");
  headers.Set("Cache-Control", "no-cache");
  headers.Set("X-Accel-Buffering", "no");
  if (!call.out.Start(200, headers).ok()) return Status::Ok();
  uint64_t last_seq = 0;
  if (!WriteLines(call.out, d.logs->Tail(id, kind, kTailLines), &last_seq)) return Status::Ok();
  // A first comment pushes the head out, so clients see the stream open at once.
  if (!call.out.Write(": connected\n\n").ok()) return Status::Ok();
  SteadyTime last_write = d.clock->Now();
  while (!call.out.ClientGone()) {
    std::vector<runtime::LogLine> lines = d.logs->Wait(id, kind, last_seq, kWaitSlice);
    if (!lines.empty()) {
      if (!WriteLines(call.out, lines, &last_seq)) break;
      last_write = d.clock->Now();
    } else if (d.clock->Now() - last_write >= kKeepAlive) {
      if (!call.out.Write(": keep-alive\n\n").ok()) break;
      last_write = d.clock->Now();
    }
  }
  (void)call.out.Finish();
  return Status::Ok();
}

}  // namespace

void RegisterLogsApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/api/spaces/:owner/:name/logs/build",
             [h](Call& c) { return HandleLogs(*h, c, runtime::LogKind::kBuild); });
  router.Add("GET", "/api/spaces/:owner/:name/logs/run",
             [h](Call& c) { return HandleLogs(*h, c, runtime::LogKind::kRun); });
}

}  // namespace spaceport::hub
