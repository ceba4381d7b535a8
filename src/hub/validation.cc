#include "hub/validation.h"

namespace spaceport::hub {
namespace {
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxEnvKey = 128;
constexpr size_t kMaxHardware = 32;
}  // namespace

bool IsValidSdk(std::string_view sdk) {
  return sdk == "static" || sdk == "gradio" || sdk == "streamlit" || sdk == "docker" || sdk == "process";
}

bool IsValidEnvKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxEnvKey) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (digit && i > 0))) return false;
  }
  return true;
}

bool IsValidHardware(std::string_view flavor) {
  if (flavor.empty() || flavor.size() > kMaxHardware) return false;
  for (char c : flavor) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<std::string> MakeSubdomain(std::string_view owner, std::string_view name) {
  std::string out;
  for (char c : std::string(owner) + "-" + std::string(name)) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '.' || c == '_') c = '-';
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || out.size() > kMaxLabel) {
    return Status::InvalidArgument("'" + std::string(owner) + "/" + std::string(name) +
                                   "' is too long for an app host name (at most 63 characters for owner-name)");
  }
  for (char c : out) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return Status::InvalidArgument("'" + std::string(owner) + "/" + std::string(name) +
                                     "' cannot be turned into an app host name");
    }
  }
  return out;
}

}  // namespace spaceport::hub
