#include "runtime/driver.h"

namespace spaceport::runtime {

std::string ExitStatus::Describe() const {
  if (exit_code >= 0) return "app exited with code " + std::to_string(exit_code);
  if (term_signal > 0) return "app was killed by signal " + std::to_string(term_signal);
  return "app stopped for an unknown reason";
}

}  // namespace spaceport::runtime
