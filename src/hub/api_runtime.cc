// Runtime API: runtime info, restart, pause, sleep time, hardware, secrets,
// variables.
#include "runtime/deploy_env.h"
#include "store/validation.h"
#include "core/log.h"
#include "hub/hub_core.h"
#include "hub/space_json.h"

namespace spaceport::hub {
namespace {

constexpr size_t kMaxEnvValue = 64 * 1024;

// The flavors this host offers, in the order the HF clients list them.
constexpr std::pair<const char*, const char*> kOfferedHardware[] = {
    {"cpu-basic", "CPU basic"},
    {"cpu-upgrade", "CPU upgrade"},
};

Status HandleHardwareList(const HubCore& hub, Call& call) {
  const HubOptions::Enforced& e = hub.options().enforced;
  const Json enforced = {{"sandbox", e.app_sandbox}, {"limits", e.app_limits}, {"buildSandbox", e.build_sandbox},
                        {"disk", e.disk}};
  Json list = Json::array();
  for (const auto& [name, pretty] : kOfferedHardware) {
    const runtime::HardwareFlavor* flavor = runtime::FindHardware(name);
    if (flavor == nullptr) continue;
    std::string ram(flavor->memory);
    if (ram.size() > 2 && ram.ends_with("Gi")) ram = ram.substr(0, ram.size() - 2) + " GB";
    list.push_back({
        {"name", std::string(flavor->name)},
        {"prettyName", pretty},
        {"cpu", std::to_string(flavor->cpu_cores) + " vCPU"},
        {"ram", ram},
        {"accelerator", flavor->accelerator.empty() ? Json(nullptr) : Json(std::string(flavor->accelerator))},
        {"ephemeralDisk", std::to_string(flavor->disk_bytes >> 30) + " GB"},
        {"unitCostMicroUSD", 0},
        {"unitCostUSD", 0},
        {"unitLabel", "hour"},
        {"enforced", enforced},
    });
  }
  return call.SendJson(200, list);
}

Status HandleRuntime(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  return call.SendJson(200, CurrentRuntimeJson(hub, space));
}

Status HandleRestart(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  bool factory = call.Query("factory").value_or("") == "true";
  RETURN_IF_ERROR(hub.deps().control->Restart(owned.space.full_id(), factory));
  return call.SendJson(200, CurrentRuntimeJson(hub, owned.space));
}

Status HandlePause(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  RETURN_IF_ERROR(hub.deps().control->Pause(owned.space.full_id()));
  return call.SendJson(200, CurrentRuntimeJson(hub, owned.space));
}

Status HandleSleepTime(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<int64_t> seconds, OptInt(body, "seconds"));
  if (!seconds || *seconds < -1) return Status::InvalidArgument("'seconds' must be -1 (never) or more");
  owned.space.sleep_time_seconds = *seconds;
  RETURN_IF_ERROR(hub.deps().store->UpdateSpace(owned.space));
  hub.deps().control->OnSleepTimeChanged(owned.space.full_id(), *seconds);
  return call.SendJson(200, CurrentRuntimeJson(hub, owned.space));
}

// A new flavor applies on restart (once there is a build).
Status HandleHardwareRequest(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> flavor, OptString(body, "flavor"));
  if (!flavor) return Status::InvalidArgument("'flavor' is required");
  if (runtime::FindHardware(*flavor) == nullptr) {
    return Status::InvalidArgument("unknown hardware flavor '" + *flavor + "' (see GET /api/spaces/hardware)");
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> sleep, OptInt(body, "sleepTimeSeconds"));
  if (sleep && *sleep < -1) return Status::InvalidArgument("'sleepTimeSeconds' must be -1 (never) or more");
  owned.space.hardware = *flavor;
  if (sleep) owned.space.sleep_time_seconds = *sleep;
  RETURN_IF_ERROR(hub.deps().store->UpdateSpace(owned.space));
  if (sleep) hub.deps().control->OnSleepTimeChanged(owned.space.full_id(), *sleep);
  if (!owned.space.sha.empty()) {
    RETURN_IF_ERROR(hub.deps().control->Restart(owned.space.full_id(), false));
  }
  return call.SendJson(200, CurrentRuntimeJson(hub, owned.space));
}

// HF's persistent storage: a tier sizes the Space's /data (runtime/deploy_env.h).
// Growing restarts the Space (stopped first) and keeps the data; there is no shrinking (as on
// HF: delete the storage, which deletes the data, then ask again).
Status HandleStorageRequest(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> tier, OptString(body, "tier"));
  if (!tier) return Status::InvalidArgument("'tier' is required (small, medium or large)");
  const runtime::StorageTier* wanted = runtime::FindStorageTier(*tier);
  if (wanted == nullptr) return Status::InvalidArgument("unknown storage tier '" + *tier + "' (small, medium or large)");
  const runtime::StorageTier* current = runtime::FindStorageTier(owned.space.storage);
  if (current != nullptr && current->bytes > wanted->bytes) {
    return Status::InvalidArgument("storage cannot shrink from " + owned.space.storage + " to " + *tier +
                                   ": delete the storage first (that deletes its data)");
  }
  if (current != wanted) {
    owned.space.storage = *tier;
    RETURN_IF_ERROR(hub.deps().store->UpdateSpace(owned.space));
    RETURN_IF_ERROR(hub.deps().control->RestartForStorage(owned.space.full_id(), /*delete_data=*/false));
  }
  return call.SendJson(200, CurrentRuntimeJson(hub, owned.space));
}

// Deletes the Space's /data with its tier and restarts it on the default size.
Status HandleStorageDelete(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  if (owned.space.storage.empty()) return Status::InvalidArgument("this Space has no persistent storage tier");
  owned.space.storage.clear();
  RETURN_IF_ERROR(hub.deps().store->UpdateSpace(owned.space));
  RETURN_IF_ERROR(hub.deps().control->RestartForStorage(owned.space.full_id(), /*delete_data=*/true));
  return call.SendJson(200, CurrentRuntimeJson(hub, owned.space));
}

// GET: secrets as keys only (values are write-only), variables with values.
Json EnvJson(const std::vector<store::EnvVar>& all, bool secret) {
  Json out = Json::object();
  for (const store::EnvVar& v : all) {
    if (v.secret != secret) continue;
    Json entry = {{"key", v.key}, {"updatedAt", FormatIsoTime(v.updated_at)}};
    if (!v.description.empty()) entry["description"] = v.description;
    if (!secret) entry["value"] = v.value;
    out[v.key] = entry;
  }
  return out;
}

Status SendEnv(HubCore& hub, Call& call, const store::Space& space, bool secret) {
  ASSIGN_OR_RETURN(std::vector<store::EnvVar> all, hub.deps().store->ListEnv(space.id));
  return call.SendJson(200, EnvJson(all, secret));
}

// Apps read env at start: a change applies on restart (once there is a build).
void RestartForEnvChange(HubCore& hub, const store::Space& space) {
  if (space.sha.empty()) return;
  Status st = hub.deps().control->Restart(space.full_id(), false);
  if (!st.ok()) {
    SP_LOG(kWarn) << "restarting " << space.full_id() << " after an env change: " << st.message();
  }
}

Status HandleEnvGet(HubCore& hub, Call& call, bool secret) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), false));
  return SendEnv(hub, call, owned.space, secret);
}

Status HandleEnvSet(HubCore& hub, Call& call, bool secret) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> key, OptString(body, "key"));
  ASSIGN_OR_RETURN(std::optional<std::string> value, OptString(body, "value"));
  ASSIGN_OR_RETURN(std::optional<std::string> description, OptString(body, "description"));
  if (!key || !store::IsValidEnvKey(*key)) {
    return Status::InvalidArgument("'key' must be a name like MY_KEY ([A-Za-z_][A-Za-z0-9_]*)");
  }
  if (value.value_or("").size() > kMaxEnvValue) return Status::PayloadTooLarge("value is larger than 64 KiB");
  store::EnvVar var{*key, value.value_or(""), description.value_or(""), secret, hub.deps().clock->UnixMillis()};
  RETURN_IF_ERROR(hub.deps().store->SetEnv(owned.space.id, var));
  RestartForEnvChange(hub, owned.space);
  return SendEnv(hub, call, owned.space, secret);
}

Status HandleEnvDelete(HubCore& hub, Call& call, bool secret) {
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> key, OptString(body, "key"));
  if (!key || key->empty()) return Status::InvalidArgument("'key' is required");
  Status st = hub.deps().store->DeleteEnv(owned.space.id, *key, secret);
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound(std::string(secret ? "secret " : "variable ") + *key + " not found");
  }
  RETURN_IF_ERROR(st);
  RestartForEnvChange(hub, owned.space);
  return SendEnv(hub, call, owned.space, secret);
}

}  // namespace

void RegisterRuntimeApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  const std::string base = "/api/spaces/:owner/:name";
  router.Add("GET", base + "/runtime", [h](Call& c) { return HandleRuntime(*h, c); });
  router.Add("POST", base + "/restart", [h](Call& c) { return HandleRestart(*h, c); });
  router.Add("POST", base + "/pause", [h](Call& c) { return HandlePause(*h, c); });
  router.Add("POST", base + "/sleeptime", [h](Call& c) { return HandleSleepTime(*h, c); });
  router.Add("POST", base + "/hardware", [h](Call& c) { return HandleHardwareRequest(*h, c); });
  router.Add("GET", "/api/spaces/hardware", [h](Call& c) { return HandleHardwareList(*h, c); });
  router.Add("POST", base + "/storage", [h](Call& c) { return HandleStorageRequest(*h, c); });
  router.Add("DELETE", base + "/storage", [h](Call& c) { return HandleStorageDelete(*h, c); });
  for (bool secret : {true, false}) {
    std::string path = base + (secret ? "/secrets" : "/variables");
    router.Add("GET", path, [h, secret](Call& c) { return HandleEnvGet(*h, c, secret); });
    router.Add("POST", path, [h, secret](Call& c) { return HandleEnvSet(*h, c, secret); });
    router.Add("DELETE", path, [h, secret](Call& c) { return HandleEnvDelete(*h, c, secret); });
  }
}

}  // namespace spaceport::hub
