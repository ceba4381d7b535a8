// What an app instance is given: its environment (DESIGN.md section 6), the
// hardware flavor table, "{PORT}" substitution and a free loopback port.
//
// Pure functions except PickFreeLoopbackPort (binds a socket for a moment).
// Thread safe. Failure: PickFreeLoopbackPort returns Unavailable when the
// kernel gives no port.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "build/builder.h"
#include "core/status.h"
#include "runtime/driver.h"
#include "store/store.h"

namespace spaceport::runtime {

struct HardwareFlavor {
  std::string_view name;
  int cpu_cores;
  std::string_view memory;       // as HF reports it, e.g. "16Gi"
  std::string_view accelerator;  // empty for CPU flavors
  // What sandboxing drivers enforce (see ResourceLimits in runtime/driver.h).
  int64_t memory_bytes;
  int64_t pids_max;
  // Ephemeral disk, as HF sells it (50 GB for CPU flavors): what the Space's
  // build (its tree and Python environment) and its running app's tree may hold.
  int64_t disk_bytes;
};

// The limits an instance of `flavor` runs with: cpu_cores CPUs of time,
// memory_bytes, pids_max. Operators may later override these per host.
ResourceLimits LimitsFor(const HardwareFlavor& flavor);

// The persistent directory a Space's app sees as /data under an isolating
// driver: <data_root>/spaces/<owner>/<name>/data. Deleted with the Space.
std::string SpaceDataDir(std::string_view data_root, std::string_view space_id);

// HF's persistent storage tiers, asked for with POST /api/spaces/{id}/storage:
// the size of the Space's /data. Without a tier, /data gets the host's
// default size (serve --data-size).
struct StorageTier {
  std::string_view name;  // small | medium | large
  int64_t bytes;
};
const StorageTier* FindStorageTier(std::string_view name);  // nullptr: no such tier
// The size of /data for a Space with `tier` ("" or unknown: `default_bytes`).
int64_t DataBytesFor(std::string_view tier, int64_t default_bytes);

// The ephemeral disk of a Space on `hardware` (its build's and its app's
// tree): the flavor's, capped by the host's `cap_bytes` (serve
// --ephemeral-disk; 0: no cap).
int64_t EphemeralBytesFor(std::string_view hardware, int64_t cap_bytes);

// nullptr for a flavor this host does not offer (the hub refuses those).
const HardwareFlavor* FindHardware(std::string_view name);
// Unknown names fall back to cpu-basic.
const HardwareFlavor& LookupHardware(std::string_view name);

// Replaces every "{PORT}" in `text`.
std::string SubstitutePort(std::string_view text, int port);

struct AppEnvInputs {
  const store::Space* space = nullptr;
  int64_t creator_user_id = 0;
  const build::LaunchSpec* spec = nullptr;
  const std::vector<store::EnvVar>* vars = nullptr;  // variables and secrets
  int port = 0;
  std::string_view apps_domain;
  std::string_view hub_url;  // SPACEPORT_HUB_URL: where the JWKS and the OIDC provider are
};

// Precedence, lowest first: the Space's variables and secrets, the SDK's
// LaunchSpec env, then the platform's own keys (PORT, SYSTEM, SPACE_*,
// CPU_CORES, MEMORY, ACCELERATOR, SPACEPORT_HUB_URL), so users cannot break the port contract.
// "{PORT}" is replaced in every value.
std::map<std::string, std::string> AppEnvironment(const AppEnvInputs& in);

Result<int> PickFreeLoopbackPort();

}  // namespace spaceport::runtime
