// ProcessDriver: runs each app instance as a plain child process.
//
// No isolation beyond a session and process group of its own: meant for
// development, trusted single-user setups and tests. The environment is
// cleared and rebuilt from the spec plus a minimal PATH, HOME and LANG (the
// spec's values win). stdin is /dev/null; stdout and stderr are piped into the
// run log line by line. Stop sends SIGTERM to the whole group, then SIGKILL
// after the grace period; when the main process exits, what is left of its
// group is killed too.
//
// Ownership: the driver owns one monitor thread per live instance; destroying
// the driver kills every remaining instance (SIGKILL) and joins the threads.
// Thread safety and failure: see runtime/driver.h.
#pragma once

#include <memory>

#include "runtime/driver.h"

namespace spaceport::runtime {

std::unique_ptr<RuntimeDriver> MakeProcessDriver();

}  // namespace spaceport::runtime
