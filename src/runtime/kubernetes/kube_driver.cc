#include "runtime/kubernetes/kube_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/strings.h"
#include "runtime/kubernetes/manifests.h"
#include "runtime/native/forwarder.h"

namespace spaceport::runtime::kubernetes {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct Endpoint {
  std::string address;
  int port = 0;
  std::string pod;  // targetRef's name; "" when the slice does not say
};

// A Deployment's status as the watch last saw it.
struct DeploymentState {
  int64_t generation = 0;
  int64_t observed = 0;
  int64_t replicas = 0;  // pods the Deployment has (old and new)
  int64_t updated = 0;   // pods of the current template
  int64_t ready = 0;
};

struct SliceState {
  std::string service;
  std::vector<Endpoint> ready;
  std::vector<std::string> pods;  // of every endpoint, ready or not
};

// A TCP connection to `ep` (IPv4 or IPv6 literal), or -1.
int Dial(const Endpoint& ep) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, ep.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(ep.port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, ep.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(ep.port));
    len = sizeof *v6;
  } else {
    return -1;
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class KubernetesDriver final : public RuntimeDriver {
 public:
  explicit KubernetesDriver(const KubernetesOptions& options)
      : options_(options), client_(options.credentials), ns_(options.credentials.namespace_name) {}

  ~KubernetesDriver() override {
    std::map<InstanceId, std::shared_ptr<Instance>> left;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      left.swap(instances_);
      for (auto& [id, inst] : left) inst->stopped = true;
    }
    cv_.notify_all();
    for (auto& [id, inst] : left) inst->listener->Stop();
    for (std::thread& t : watchers_) t.join();
  }

  Status Init() {
    for (Kind kind : {Kind::kDeployments, Kind::kSlices}) {
      ASSIGN_OR_RETURN(std::string rv, ListInto(kind));
      watchers_.emplace_back([this, kind, rv] { WatchLoop(kind, rv); });
    }
    return Status::Ok();
  }

  DriverCapabilities Capabilities() const override {
    return {.isolated = true, .limits = true, .freeze = false, .disk = false};
  }

  Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) override {
    if (spec.argv.empty()) return Status::InvalidArgument("no program to run");
    auto inst = std::make_shared<Instance>();
    inst->space_id = spec.space_id;
    inst->on_exit = std::move(on_exit);
    Workload w;
    w.space_id = spec.space_id;
    w.name = KubeName(spec.space_id);
    w.namespace_name = ns_;
    w.image = options_.image;
    w.argv = spec.argv;
    w.env = spec.env;
    w.working_dir = spec.cwd;
    w.port = spec.port;
    w.limits = spec.limits;
    w.volume_claim = options_.volume_claim;
    w.volume_root = options_.volume_root;
    w.data_dir = spec.data_dir;
    inst->name = w.name;
    // The port first: a port taken since it was picked is AlreadyExists,
    // which the supervisor answers with another port.
    ASSIGN_OR_RETURN(inst->listener, native::LoopbackForwarder::Listen(spec.port));
    {
      std::lock_guard lock(mu_);
      inst->id = ++next_id_;
      for (const auto& [slice_name, slice] : slices_) {
        if (slice.service == w.name) inst->old_pods.insert(slice.pods.begin(), slice.pods.end());
      }
      // Unique across restarts of the node too: every start is a rollout.
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      w.revision = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
                   std::to_string(inst->id);
    }
    RETURN_IF_ERROR(client_.Apply(SecretPath(ns_, w.name), SecretManifest(w)).status());
    RETURN_IF_ERROR(client_.Apply(ServicePath(ns_, w.name), ServiceManifest(w)).status());
    ASSIGN_OR_RETURN(json applied, client_.Apply(DeploymentPath(ns_, w.name), DeploymentManifest(w, 1)));
    inst->generation = applied["metadata"].value("generation", int64_t{1});
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::Unavailable("driver shutting down");
      workloads_[w.space_id] = w;
      instances_[inst->id] = inst;
    }
    inst->listener->StartDialing([this, inst] { return DialReady(*inst); });
    SP_LOG(kInfo) << "kubernetes: " << spec.space_id << " applied as deployment " << ns_ << "/" << w.name
                  << " (generation " << inst->generation << ")";
    return inst->id;
  }

  Status Stop(InstanceId id, Millis grace) override {
    std::shared_ptr<Instance> inst;
    bool last = false;
    Workload w;
    {
      std::lock_guard lock(mu_);
      auto it = instances_.find(id);
      if (it == instances_.end()) return Status::Ok();
      inst = it->second;
      instances_.erase(it);
      inst->stopped = true;
      last = true;
      for (const auto& [other_id, other] : instances_) last = last && other->space_id != inst->space_id;
      if (last) w = workloads_[inst->space_id];
    }
    cv_.notify_all();
    inst->listener->Stop();
    Status result = Status::Ok();
    if (last) result = ScaleToZero(w, grace);
    ExitStatus exit;
    exit.exit_code = 0;
    exit.reason = last ? "scaled to 0" : "replaced by a newer rollout";
    inst->on_exit(id, exit);
    return result;
  }

  Status Discard(const std::string& space_id) override {
    const std::string name = KubeName(space_id);
    {
      std::lock_guard lock(mu_);
      workloads_.erase(space_id);
    }
    RETURN_IF_ERROR(client_.Delete(DeploymentPath(ns_, name)));
    RETURN_IF_ERROR(client_.Delete(ServicePath(ns_, name)));
    return client_.Delete(SecretPath(ns_, name));
  }

 private:
  enum class Kind { kDeployments, kSlices };

  struct Instance {
    InstanceId id = 0;
    std::string space_id, name;
    int64_t generation = 0;  // of the Deployment this start applied
    // The Space's pods when it started: a rollout's new instance never
    // connects to them (the two watches are separate streams, so the slices
    // may still list an old pod ready after the Deployment reports the
    // rollout done).
    std::set<std::string> old_pods;
    bool rolled_out = false;  // guarded by mu_: its rollout finished once
    bool stopped = false;     // guarded by mu_
    ExitCallback on_exit;
    std::unique_ptr<native::LoopbackForwarder> listener;
  };

  std::string PathOf(Kind kind) const {
    return kind == Kind::kDeployments ? DeploymentPath(ns_) : EndpointSlicesPath(ns_);
  }

  // Lists `kind` into the cache (replacing what it held); the list's version.
  Result<std::string> ListInto(Kind kind) {
    ASSIGN_OR_RETURN(json list, client_.List(PathOf(kind), std::string(kManagedBy)));
    {
      std::lock_guard lock(mu_);
      if (kind == Kind::kDeployments) {
        deployments_.clear();
      } else {
        slices_.clear();
      }
      if (list.contains("items") && list["items"].is_array()) {
        for (const json& item : list["items"]) Upsert(kind, item);
      }
    }
    cv_.notify_all();
    return list["metadata"].value("resourceVersion", "");
  }

  // Caller holds mu_.
  void Upsert(Kind kind, const json& o) {
    const json& meta = o["metadata"];
    const std::string name = meta.value("name", "");
    if (kind == Kind::kDeployments) {
      DeploymentState d;
      d.generation = meta.value("generation", int64_t{0});
      if (o.contains("status") && o["status"].is_object()) {
        const json& s = o["status"];
        d.observed = s.value("observedGeneration", int64_t{0});
        d.replicas = s.value("replicas", int64_t{0});
        d.updated = s.value("updatedReplicas", int64_t{0});
        d.ready = s.value("readyReplicas", int64_t{0});
      }
      deployments_[name] = d;
      return;
    }
    SliceState slice;
    if (meta.contains("labels")) slice.service = meta["labels"].value("kubernetes.io/service-name", "");
    int port = 0;
    if (o.contains("ports") && o["ports"].is_array()) {
      for (const json& p : o["ports"]) {
        if (port == 0 || p.value("name", "") == "http") port = p.value("port", 0);
      }
    }
    if (o.contains("endpoints") && o["endpoints"].is_array() && port > 0) {
      for (const json& e : o["endpoints"]) {
        std::string pod;
        if (e.contains("targetRef") && e["targetRef"].is_object()) pod = e["targetRef"].value("name", "");
        if (!pod.empty()) slice.pods.push_back(pod);
        // A missing ready condition means ready (the API's own rule).
        bool ready = !(e.contains("conditions") && e["conditions"].value("ready", true) == false);
        if (!ready || !e.contains("addresses")) continue;
        for (const json& a : e["addresses"]) {
          if (a.is_string()) slice.ready.push_back({a.get<std::string>(), port, pod});
        }
      }
    }
    slices_[name] = std::move(slice);
  }

  void WatchLoop(Kind kind, std::string rv) {
    const char* what = kind == Kind::kDeployments ? "deployments" : "endpointslices";
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      if (rv.empty()) {
        Result<std::string> listed = ListInto(kind);
        if (!listed.ok()) {
          SP_LOG(kWarn) << "kubernetes: listing " << what << ": " << listed.status().message();
          PauseUnlessStopping(Millis(1000));
          continue;
        }
        rv = *listed;
      }
      Status s = client_.Watch(PathOf(kind), std::string(kManagedBy), rv, options_.watch_idle, [&](const json& event) {
        const std::string type = event.value("type", "");
        const json& o = event["object"];
        if (!o.is_object() || !o.contains("metadata")) return true;
        rv = o["metadata"].value("resourceVersion", rv);
        std::lock_guard lock(mu_);
        if (stopping_) return false;
        if (type == "ADDED" || type == "MODIFIED") {
          Upsert(kind, o);
        } else if (type == "DELETED") {
          (kind == Kind::kDeployments ? static_cast<void>(deployments_.erase(o["metadata"].value("name", "")))
                                      : static_cast<void>(slices_.erase(o["metadata"].value("name", ""))));
        } else {
          return true;  // BOOKMARK: only the version moved
        }
        cv_.notify_all();
        return true;
      });
      if (s.code() == StatusCode::kFailedPrecondition) {
        SP_LOG(kInfo) << "kubernetes: the " << what << " watch expired; listing again";
        rv.clear();
      } else if (!s.ok() && s.code() != StatusCode::kDeadlineExceeded) {
        SP_LOG(kWarn) << "kubernetes: watching " << what << ": " << s.message();
        PauseUnlessStopping(Millis(1000));
      }
    }
  }

  void PauseUnlessStopping(Millis pause) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, pause, [this] { return stopping_; });
  }

  // Caller holds mu_. The rollout this instance applied is complete: the
  // Deployment saw its generation and all its pods are new and ready.
  bool RolledOutLocked(Instance& inst) const {
    if (inst.rolled_out) return true;
    auto it = deployments_.find(inst.name);
    if (it == deployments_.end()) return false;
    const DeploymentState& d = it->second;
    inst.rolled_out = d.observed >= inst.generation && d.updated >= 1 && d.ready >= 1 && d.replicas == d.updated;
    return inst.rolled_out;
  }

  // Caller holds mu_. The ready endpoints the instance may use.
  std::vector<Endpoint> ReadyEndpointsLocked(const Instance& inst) const {
    std::vector<Endpoint> out;
    for (const auto& [name, slice] : slices_) {
      if (slice.service != inst.name) continue;
      for (const Endpoint& ep : slice.ready) {
        if (!inst.old_pods.contains(ep.pod)) out.push_back(ep);
      }
    }
    return out;
  }

  // A connection to a ready pod of the instance's Space, waiting for one.
  int DialReady(Instance& inst) {
    const auto deadline = SteadyClock::now() + options_.hold_timeout;
    size_t turn = 0;
    while (true) {
      std::vector<Endpoint> endpoints;
      {
        std::unique_lock lock(mu_);
        bool ok = cv_.wait_until(lock, deadline, [&] {
          return inst.stopped || stopping_ || (RolledOutLocked(inst) && !ReadyEndpointsLocked(inst).empty());
        });
        if (!ok || inst.stopped || stopping_) return -1;
        endpoints = ReadyEndpointsLocked(inst);
      }
      for (size_t i = 0; i < endpoints.size(); ++i) {
        int fd = Dial(endpoints[(turn + i) % endpoints.size()]);
        if (fd >= 0) return fd;
      }
      ++turn;
      // Listed ready but refusing (going away): wait for the watch to catch up.
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, std::min(deadline, SteadyClock::now() + std::chrono::milliseconds(100)),
                         [&] { return inst.stopped || stopping_; })) {
        return -1;
      }
      if (SteadyClock::now() >= deadline) return -1;
    }
  }

  Status ScaleToZero(const Workload& w, Millis grace) {
    Result<json> applied = client_.Apply(DeploymentPath(ns_, w.name), DeploymentManifest(w, 0));
    if (!applied.ok()) return applied.status();
    const int64_t generation = applied->at("metadata").value("generation", int64_t{0});
    std::unique_lock lock(mu_);
    bool gone = cv_.wait_for(lock, grace + options_.scale_down_timeout, [&] {
      auto it = deployments_.find(w.name);
      return stopping_ || it == deployments_.end() || (it->second.observed >= generation && it->second.replicas == 0);
    });
    if (!gone) return Status::DeadlineExceeded("kubernetes: the pods of " + w.name + " did not go");
    return Status::Ok();
  }

  const KubernetesOptions options_;
  const KubeClient client_;
  const std::string ns_;
  std::mutex mu_;
  std::condition_variable cv_;  // the cache changed, or an instance stopped
  bool stopping_ = false;
  InstanceId next_id_ = 0;
  std::map<InstanceId, std::shared_ptr<Instance>> instances_;
  std::map<std::string, Workload> workloads_;  // by Space id: the last applied
  std::map<std::string, DeploymentState> deployments_;
  std::map<std::string, SliceState> slices_;
  std::vector<std::thread> watchers_;
};

}  // namespace

Result<std::unique_ptr<RuntimeDriver>> MakeKubernetesDriver(const KubernetesOptions& options) {
  if (options.image.empty()) return Status::InvalidArgument("the Kubernetes driver needs an image (--kube-image)");
  if (options.credentials.server.empty()) return Status::InvalidArgument("no Kubernetes API server");
  auto driver = std::make_unique<KubernetesDriver>(options);
  RETURN_IF_ERROR(driver->Init());
  return std::unique_ptr<RuntimeDriver>(std::move(driver));
}

}  // namespace spaceport::runtime::kubernetes
