#include "runtime/deploy_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "core/strings.h"

namespace spaceport::runtime {

namespace {
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr std::array<HardwareFlavor, 2> kFlavors = {{
    {"cpu-basic", 2, "16Gi", "", 16 * kGiB, 4096, 50 * kGiB},
    {"cpu-upgrade", 8, "32Gi", "", 32 * kGiB, 8192, 50 * kGiB},
}};
// As HF sells them: 20 GB, 150 GB, 1 TB (decimal).
constexpr int64_t kGB = 1000LL * 1000 * 1000;
constexpr std::array<StorageTier, 3> kStorageTiers = {{
    {"small", 20 * kGB},
    {"medium", 150 * kGB},
    {"large", 1000 * kGB},
}};
}  // namespace

const StorageTier* FindStorageTier(std::string_view name) {
  for (const StorageTier& t : kStorageTiers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

int64_t DataBytesFor(std::string_view tier, int64_t default_bytes) {
  const StorageTier* t = FindStorageTier(tier);
  return t == nullptr ? default_bytes : t->bytes;
}

int64_t EphemeralBytesFor(std::string_view hardware, int64_t cap_bytes) {
  const int64_t flavor = LookupHardware(hardware).disk_bytes;
  return cap_bytes > 0 ? std::min(flavor, cap_bytes) : flavor;
}

ResourceLimits LimitsFor(const HardwareFlavor& flavor) {
  ResourceLimits limits;
  limits.memory_bytes = flavor.memory_bytes;
  limits.cpu_millicores = int64_t{flavor.cpu_cores} * 1000;
  limits.pids_max = flavor.pids_max;
  return limits;
}

const HardwareFlavor* FindHardware(std::string_view name) {
  for (const HardwareFlavor& f : kFlavors) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const HardwareFlavor& LookupHardware(std::string_view name) {
  const HardwareFlavor* f = FindHardware(name);
  return f != nullptr ? *f : kFlavors[0];
}

std::string SubstitutePort(std::string_view text, int port) {
  constexpr std::string_view kToken = "{PORT}";
  std::string out;
  std::string port_text = std::to_string(port);
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(kToken, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(port_text);
    pos = hit + kToken.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::map<std::string, std::string> AppEnvironment(const AppEnvInputs& in) {
  std::map<std::string, std::string> env;
  if (in.vars != nullptr) {
    for (const store::EnvVar& v : *in.vars) env[v.key] = v.value;
  }
  if (in.spec != nullptr) {
    for (const auto& [k, v] : in.spec->env) env[k] = v;
  }
  const store::Space& s = *in.space;
  const HardwareFlavor& hw = LookupHardware(s.hardware);
  env["PORT"] = std::to_string(in.port);
  env["SYSTEM"] = "spaces";
  env["SPACE_ID"] = s.full_id();
  env["SPACE_AUTHOR_NAME"] = s.owner;
  env["SPACE_REPO_NAME"] = s.name;
  env["SPACE_TITLE"] = in.spec != nullptr && !in.spec->title.empty() ? in.spec->title : s.name;
  env["SPACE_HOST"] = s.subdomain + "." + std::string(in.apps_domain);
  env["SPACE_CREATOR_USER_ID"] = std::to_string(in.creator_user_id);
  env["CPU_CORES"] = std::to_string(hw.cpu_cores);
  env["MEMORY"] = std::string(hw.memory);
  env["ACCELERATOR"] = std::string(hw.accelerator);
  if (!in.hub_url.empty()) env["SPACEPORT_HUB_URL"] = std::string(in.hub_url);
  for (auto& [k, v] : env) v = SubstitutePort(v, in.port);
  return env;
}

Result<int> PickFreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  int saved = errno;
  close(fd);
  if (port <= 0) return Status::Unavailable(std::string("no free loopback port: ") + strerror(saved));
  return port;
}

std::string SpaceDataDir(std::string_view data_root, std::string_view space_id) {
  return std::string(data_root) + "/spaces/" + std::string(space_id) + "/data";
}

}  // namespace spaceport::runtime
