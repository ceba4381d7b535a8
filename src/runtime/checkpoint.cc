#include "runtime/checkpoint.h"

#include <unistd.h>

#include "core/strings.h"
#include "core/subprocess.h"

namespace spaceport::runtime {

CheckpointProbe ProbeCheckpoint(const std::vector<std::string>& candidates) {
  CheckpointProbe probe;
  std::string tool;
  for (const std::string& path : candidates) {
    if (access(path.c_str(), X_OK) == 0) {
      tool = path;
      break;
    }
  }
  if (tool.empty()) {
    probe.output = "no criu binary installed";
    return probe;
  }
  probe.tool_found = true;
  CommandOptions options;
  options.argv = {tool, "check"};
  options.timeout = Millis(30000);
  options.merge_stderr = true;
  Result<CommandResult> ran = RunCommand(options);
  if (!ran.ok()) {
    probe.output = tool + " check did not run: " + ran.status().message();
    return probe;
  }
  probe.check_passed = ran->ok();
  probe.output = std::string(Trim(ran->stdout_data));
  if (probe.output.size() > 2000) probe.output = probe.output.substr(0, 2000) + "...";
  return probe;
}

std::string DescribeCheckpointProbe(const CheckpointProbe& probe) {
  if (!probe.tool_found) return "sleeping apps are stopped, not checkpointed: " + probe.output;
  if (!probe.check_passed) {
    return "sleeping apps are stopped, not checkpointed: `criu check` failed: " + probe.output;
  }
  return "`criu check` passed, but no runtime driver restores checkpoints into its sandbox yet: sleeping apps are "
         "stopped";
}

}  // namespace spaceport::runtime
