#include "runtime/oci/container_env.h"

#include <array>
#include <string_view>

#include "core/strings.h"

namespace spaceport::runtime::oci {
namespace {

// Names whose value would act on the engine (or its children conmon and
// runc) rather than on the app, when set in the engine's environment.
bool ActsOnTheEngine(const std::string& name) {
  static constexpr std::array<std::string_view, 22> kPrefixes = {
      "LD_",      "GCONV",  "GLIBC",    "MALLOC",   "GO",        "CGO",        "CONTAINERS", "XDG_",
      "BUILDAH",  "STORAGE", "REGISTRY", "DBUS",    "NOTIFY",    "SSL_",       "CURL",       "HTTP",
      "NO_PROXY", "ALL_PROXY", "TMP",    "TEMP",    "LOCPATH",   "NLSPATH"};
  static constexpr std::array<std::string_view, 9> kNames = {
      "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS", "TZ", "TZDIR", "IFS", "ENV", "BASH_ENV", "SHELL"};
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view p : kPrefixes) {
    if (StartsWith(upper, p)) return true;
  }
  for (std::string_view n : kNames) {
    if (upper == n) return true;
  }
  return false;
}

}  // namespace

Result<ContainerEnv> SplitContainerEnv(const std::map<std::string, std::string>& env) {
  ContainerEnv out;
  for (const auto& [name, value] : env) {
    if (name == "PATH" || name == "HOME") continue;  // the image's own
    if (name.empty() || name.find_first_of("=\n\r#") != std::string::npos) {
      return Status::InvalidArgument("environment variable name not allowed in a container: " + name);
    }
    if (value.find_first_of("\n\r") == std::string::npos) {
      out.file_text += name + "=" + value + "\n";
      continue;
    }
    if (ActsOnTheEngine(name)) {
      return Status::InvalidArgument("the value of " + name +
                                     " has a line break, and a Docker Space can only be given such a value "
                                     "under a name the container engine does not read itself");
    }
    out.engine_env.push_back(name + "=" + value);
    out.names.push_back(name);
  }
  return out;
}

}  // namespace spaceport::runtime::oci
