// RuntimeDriver: starts and stops app instances of Spaces.
//
// The supervisor decides what runs; a driver decides how: runtime/process/ is
// a plain child-process launcher, a sandboxed backend (namespaces, cgroups,
// freezer) and container backends plug in behind this same interface.
//
// Ownership: the caller owns the InstanceSpec; the driver copies what it needs.
// The LogStore named by the spec must outlive the instance.
// Thread safety: every method may be called from any thread. The exit callback
// runs on a driver thread, exactly once per started instance (also after Stop),
// after the instance's last output line reached the log; it must not block for
// long and must not call Stop for its own instance.
// Failure: Start returns an error when nothing could be started (no such
// program, bad directory); Stop returns an error when the instance could not
// be confirmed dead. A program that starts and fails is reported through the
// exit callback, never through Start.
// Optional features: Capabilities() says what a backend offers. Freeze/Thaw
// return FailedPrecondition on drivers that cannot freeze; fields of the spec
// a driver does not understand (limits, data_dir) are ignored by it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "runtime/log_store.h"

namespace spaceport::runtime {

// Resource limits of one instance (from the hardware flavor). 0 = no limit.
struct ResourceLimits {
  int64_t memory_bytes = 0;
  int64_t cpu_millicores = 0;  // 2000 = two CPUs' worth of time per period
  int64_t pids_max = 0;
  int64_t data_bytes = 0;  // size of /data (a volume of its own, runtime/data_volume.h); 0: unbounded
};

struct InstanceSpec {
  std::string space_id;                    // "owner/name"; names the run log
  std::vector<std::string> argv;           // argv[0] resolved with the env's PATH
  std::map<std::string, std::string> env;  // the whole environment of the app
  std::string cwd;                         // app directory
  int port = 0;                            // where the app is expected to listen
  LogStore* log = nullptr;                 // stdout+stderr go to (space_id, kRun)
  // For isolating drivers: the Space's persistent directory, seen as /data
  // (empty: none), host paths the app may read at the same path (a shared
  // venv outside cwd, say), and the limits of its hardware flavor.
  std::string data_dir;
  std::vector<std::string> read_only_paths;
  ResourceLimits limits;
  // sdk docker: the image to run (argv and cwd are then empty; the image's
  // own entrypoint and workdir hold), its USER from the Dockerfile ("": uid
  // 1000, as on Hugging Face), and the port the app listens on inside its
  // network namespace (`port` is where the host reaches it).
  std::string image;
  std::string image_user;
  bool image_writable_root = false;  // LABEL space.spaceport.writable-root="true"
  int app_port = 0;
};

// How an instance ended: exit_code >= 0 for a normal exit, else term_signal.
struct ExitStatus {
  int exit_code = -1;
  int term_signal = 0;
  // Why, when the driver knows better than the code: "out of memory".
  std::string reason;
  // "app exited with code 1" / "app was killed by signal 9" /
  // "app was killed by signal 9 (out of memory)".
  std::string Describe() const;
};

using InstanceId = uint64_t;  // never 0 for a started instance
using ExitCallback = std::function<void(InstanceId id, const ExitStatus& status)>;

struct DriverCapabilities {
  bool isolated = false;  // own namespaces, no capabilities, seccomp
  bool limits = false;    // ResourceLimits are enforced
  bool freeze = false;    // Freeze/Thaw work
  bool disk = false;      // /data is a volume of ResourceLimits::data_bytes
};

class RuntimeDriver {
 public:
  virtual ~RuntimeDriver() = default;
  virtual Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) = 0;
  // Asks the instance to stop, and forces it after `grace`. Blocks until it is
  // gone and its exit callback has returned (or gives up). Ok for instances
  // that already exited or are unknown. Never call it while holding a lock the
  // exit callback takes.
  virtual Status Stop(InstanceId id, Millis grace) = 0;

  virtual DriverCapabilities Capabilities() const { return {}; }
  // Freeze: the instance gets no CPU, keeps its memory and sockets, answers
  // nothing; returns once every process is frozen. Thaw undoes it and returns
  // once it runs again. NotFound for unknown or exited instances.
  virtual Status Freeze(InstanceId id);
  virtual Status Thaw(InstanceId id);
  // Memory the instance uses now (its cgroup's usage, page cache included).
  // FailedPrecondition where the driver cannot measure it; NotFound when unknown.
  virtual Result<int64_t> MemoryBytes(InstanceId id);
  // The Space is deleted: drop what the driver keeps for it beyond its
  // instances (the Kubernetes driver's Deployment, Service and Secret).
  // Called after every instance of the Space was stopped; Ok when there is
  // nothing to drop.
  virtual Status Discard(const std::string& /*space_id*/) { return Status::Ok(); }
  // The server is shutting down, or another node runs the apps now: what
  // runs outside this process (the Kubernetes driver's pods) is left as it
  // is; Stop after this only forgets instances. In-process drivers ignore it.
  virtual void Detach() {}
};

}  // namespace spaceport::runtime
