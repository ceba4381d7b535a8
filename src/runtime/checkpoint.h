// Checkpoint support probe: may the sleep ladder checkpoint an app to disk
// (and restore it) instead of stopping it and cold-starting it later?
//
// ProbeCheckpoint looks for a checkpoint/restore tool (`criu`) and runs its
// self-check (`criu check`). The ladder uses checkpoints only when the check
// passes and the active driver can restore into its sandbox; today no driver
// can, so the probe only tells the operator, once at start-up, why the
// ladder's last rung is stop + cold start.
// Thread safety: pure apart from running the tool. Failure: never an error;
// the result says why checkpoints are off.
#pragma once

#include <string>
#include <vector>

namespace spaceport::runtime {

struct CheckpointProbe {
  bool tool_found = false;
  bool check_passed = false;
  std::string output;  // what the check printed (trimmed), or why it did not run
};

CheckpointProbe ProbeCheckpoint(const std::vector<std::string>& candidates = {"/usr/sbin/criu", "/usr/bin/criu",
                                                                               "/usr/local/sbin/criu",
                                                                               "/usr/local/bin/criu"});

// One line for the server log: why apps are (not) checkpointed.
std::string DescribeCheckpointProbe(const CheckpointProbe& probe);

}  // namespace spaceport::runtime
