#include "runtime/driver.h"

namespace spaceport::runtime {

std::string ExitStatus::Describe() const {
  std::string text;
  if (exit_code >= 0) {
    text = "app exited with code " + std::to_string(exit_code);
  } else if (term_signal > 0) {
    text = "app was killed by signal " + std::to_string(term_signal);
  } else {
    text = "app stopped for an unknown reason";
  }
  if (!reason.empty()) text += " (" + reason + ")";
  return text;
}

Status RuntimeDriver::Freeze(InstanceId) { return Status::FailedPrecondition("this runtime driver cannot freeze apps"); }
Status RuntimeDriver::Thaw(InstanceId) { return Status::FailedPrecondition("this runtime driver cannot freeze apps"); }

Result<int64_t> RuntimeDriver::MemoryBytes(InstanceId) {
  return Status::FailedPrecondition("this runtime driver cannot measure memory");
}

}  // namespace spaceport::runtime
