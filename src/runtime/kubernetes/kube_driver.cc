#include "runtime/kubernetes/kube_driver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
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

// A TCP connection to `ep` (IPv4 or IPv6 literal) within 3 s, or -1.
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
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  if (!connected && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t err_len = sizeof err;
    connected = poll(&p, 1, 3000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 && err == 0;
  }
  if (!connected || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A member of a JSON object, or null when `j` is no object or lacks it:
// what the API server sends is read without trusting its shape.
const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
int64_t IntField(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}
std::string StringField(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// The app listens on the pod's IP, not its loopback: the SDK launchers bind
// 127.0.0.1, which is right in a sandbox of its own but unreachable in a pod.
void ListenOnPodIp(Workload& w) {
  if (auto it = w.env.find("GRADIO_SERVER_NAME"); it != w.env.end() && it->second == "127.0.0.1") {
    it->second = "0.0.0.0";
  }
  for (size_t i = 0; i + 1 < w.argv.size(); ++i) {
    if (w.argv[i] == "--server.address" && w.argv[i + 1] == "127.0.0.1") w.argv[i + 1] = "0.0.0.0";
  }
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
    cancel_watches_ = true;
    cv_.notify_all();
    for (auto& [id, inst] : left) {
      if (inst->listener) inst->listener->Stop();
    }
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
    Workload& w = inst->workload;
    w.space_id = spec.space_id;
    w.name = KubeName(spec.space_id);
    w.namespace_name = ns_;
    w.image = options_.image;
    w.argv = spec.argv;
    w.env = spec.env;
    ListenOnPodIp(w);
    w.working_dir = spec.cwd;
    w.read_only_paths = spec.read_only_paths;
    w.port = spec.port;
    w.limits = spec.limits;
    w.volume_claim = options_.volume_claim;
    w.volume_root = options_.volume_root;
    w.data_dir = spec.data_dir;
    inst->name = w.name;
    // The pod runs as uid 1000 and writes /data (the native driver chowns it
    // to the Space's uid the same way).
    if (!spec.data_dir.empty() && chown(spec.data_dir.c_str(), kPodUid, kPodUid) != 0 && errno != ENOENT) {
      SP_LOG(kWarn) << "kubernetes: cannot hand " << spec.data_dir << " to the pods' uid " << kPodUid << " ("
                    << strerror(errno) << "): the app may not be able to write /data";
    }
    // The port first: a port taken since it was picked is AlreadyExists,
    // which the supervisor answers with another port.
    ASSIGN_OR_RETURN(inst->listener, native::LoopbackForwarder::Listen(spec.port));
    std::lock_guard apply(apply_mu_);  // with Stop's decision whether an instance is the Space's last
    {
      std::lock_guard lock(mu_);
      if (stopping_ || detached_) return Status::Unavailable("the Kubernetes driver is shutting down");
      inst->id = ++next_id_;
      for (const auto& [slice_name, slice] : slices_) {
        if (slice.service == w.name) inst->old_pods.insert(slice.pods.begin(), slice.pods.end());
      }
      // Unique across restarts of the node too: every start is a rollout.
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      w.revision = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
                   std::to_string(inst->id);
    }
    ASSIGN_OR_RETURN(inst->generation, ApplyWorkload(w, 1));
    {
      std::lock_guard lock(mu_);
      instances_[inst->id] = inst;
    }
    cv_.notify_all();  // a scale-down waiting for this Space ends
    // The listener is the instance's own and stopped before it goes: a plain
    // pointer (a shared one would keep both alive forever).
    Instance* raw = inst.get();
    inst->listener->StartDialing([this, raw] { return DialReady(*raw); });
    SP_LOG(kInfo) << "kubernetes: " << spec.space_id << " applied as deployment " << ns_ << "/" << w.name
                  << " (generation " << inst->generation << ")";
    return inst->id;
  }

  Status Stop(InstanceId id, Millis grace) override {
    std::shared_ptr<Instance> inst;
    {
      std::lock_guard lock(mu_);
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second->stopped) return Status::Ok();
      inst = it->second;
      inst->stopped = true;  // its held connections give up now
    }
    cv_.notify_all();
    // Outside apply_mu_: joining the connections' threads can take a dial's time.
    inst->listener->Stop();
    inst->listener.reset();  // the port is refused from now on
    std::shared_ptr<Instance> previous;  // the newest other instance of the Space
    int64_t scaled_generation = -1;
    Status result = Status::Ok();
    {
      std::lock_guard apply(apply_mu_);
      bool detached;
      {
        std::lock_guard lock(mu_);
        instances_.erase(id);
        for (const auto& [other_id, other] : instances_) {
          if (other->space_id == inst->space_id) previous = other;
        }
        detached = detached_;
      }
      if (!detached && previous == nullptr) {
        Result<int64_t> g = ApplyWorkload(inst->workload, 0);
        if (g.ok()) scaled_generation = *g;
        result = g.status();
      } else if (!detached && previous->id < inst->id && !RolledOut(*inst)) {
        // A rollout that never finished (its health check failed): back to
        // the version still serving, before Kubernetes gives up on it.
        result = ApplyWorkload(previous->workload, 1).status();
        SP_LOG(kInfo) << "kubernetes: " << inst->space_id << " rolled back to revision "
                      << previous->workload.revision;
      }
    }
    if (scaled_generation >= 0) result = WaitScaledDown(*inst, scaled_generation, grace);
    ExitStatus exit;
    exit.exit_code = 0;
    exit.reason = previous == nullptr ? "scaled to 0" : "replaced by a newer rollout";
    inst->on_exit(id, exit);
    return result;
  }

  void Detach() override {
    std::lock_guard lock(mu_);
    detached_ = true;
  }

  Status Discard(const std::string& space_id) override {
    const std::string name = KubeName(space_id);
    std::lock_guard apply(apply_mu_);
    RETURN_IF_ERROR(client_.Delete(DeploymentPath(ns_, name)));
    RETURN_IF_ERROR(client_.Delete(ServicePath(ns_, name)));
    return client_.Delete(SecretPath(ns_, name));
  }

 private:
  enum class Kind { kDeployments, kSlices };
  static constexpr uid_t kPodUid = 1000;

  struct Instance {
    InstanceId id = 0;
    std::string space_id, name;
    Workload workload;       // as this start applied it
    int64_t generation = 0;  // of the Deployment this start applied
    // The Space's pods when it started: a rollout's new instance never
    // connects to them (the two watches are separate streams, so the slices
    // may still list an old pod ready after the Deployment reports the
    // rollout done).
    std::set<std::string> old_pods;
    bool rolled_out = false;  // guarded by mu_: its rollout finished once
    std::atomic<bool> stopped{false};  // set under mu_ (waiters check it in their predicates)
    ExitCallback on_exit;
    std::unique_ptr<native::LoopbackForwarder> listener;
  };

  // Applies the Secret, the Service and the Deployment with `replicas`; the
  // Deployment's generation. Caller holds apply_mu_.
  Result<int64_t> ApplyWorkload(const Workload& w, int replicas) {
    if (replicas > 0) {
      RETURN_IF_ERROR(client_.Apply(SecretPath(ns_, w.name), SecretManifest(w)).status());
      RETURN_IF_ERROR(client_.Apply(ServicePath(ns_, w.name), ServiceManifest(w)).status());
    }
    ASSIGN_OR_RETURN(json applied, client_.Apply(DeploymentPath(ns_, w.name), DeploymentManifest(w, replicas)));
    const int64_t generation = IntField(Field(applied, "metadata"), "generation");
    if (generation <= 0) return Status::Unavailable("Kubernetes API: the applied Deployment has no generation");
    return generation;
  }

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
      const json& items = Field(list, "items");
      if (items.is_array()) {
        for (const json& item : items) Upsert(kind, item);
      }
    }
    cv_.notify_all();
    return StringField(Field(list, "metadata"), "resourceVersion");
  }

  // Caller holds mu_. Objects without a name are ignored.
  void Upsert(Kind kind, const json& o) {
    const json& meta = Field(o, "metadata");
    const std::string name = StringField(meta, "name");
    if (name.empty()) return;
    if (kind == Kind::kDeployments) {
      const json& s = Field(o, "status");
      DeploymentState d;
      d.generation = IntField(meta, "generation");
      d.observed = IntField(s, "observedGeneration");
      d.replicas = IntField(s, "replicas");
      d.updated = IntField(s, "updatedReplicas");
      d.ready = IntField(s, "readyReplicas");
      deployments_[name] = d;
      return;
    }
    SliceState slice;
    slice.service = StringField(Field(meta, "labels"), "kubernetes.io/service-name");
    int64_t port = 0;
    const json& ports = Field(o, "ports");
    if (ports.is_array()) {
      for (const json& p : ports) {
        if (port == 0 || StringField(p, "name") == "http") port = IntField(p, "port");
      }
    }
    const json& endpoints = Field(o, "endpoints");
    if (endpoints.is_array() && port > 0 && port < 65536) {
      for (const json& e : endpoints) {
        std::string pod = StringField(Field(e, "targetRef"), "name");
        if (!pod.empty()) slice.pods.push_back(pod);
        // A missing ready condition means ready (the API's own rule).
        const json& ready = Field(Field(e, "conditions"), "ready");
        if (ready.is_boolean() && !ready.get<bool>()) continue;
        const json& addresses = Field(e, "addresses");
        if (!addresses.is_array()) continue;
        for (const json& a : addresses) {
          if (a.is_string()) slice.ready.push_back({a.get<std::string>(), static_cast<int>(port), pod});
        }
      }
    }
    slices_[name] = std::move(slice);
  }

  void WatchLoop(Kind kind, std::string rv) {
    const char* what = kind == Kind::kDeployments ? "deployments" : "endpointslices";
    while (!cancel_watches_) {
      if (rv.empty()) {
        Result<std::string> listed = ListInto(kind);
        if (!listed.ok()) {
          SP_LOG(kWarn) << "kubernetes: listing " << what << ": " << listed.status().message();
          PauseUnlessStopping(Millis(1000));
          continue;
        }
        rv = *listed;
      }
      Status s = client_.Watch(PathOf(kind), std::string(kManagedBy), rv, options_.watch_idle, &cancel_watches_,
                               [&](const json& event) {
                                 const json& o = event["object"];  // Watch checked: an object
                                 rv = StringField(Field(o, "metadata"), "resourceVersion");
                                 const std::string type = event["type"].get<std::string>();
                                 std::lock_guard lock(mu_);
                                 if (type == "ADDED" || type == "MODIFIED") {
                                   Upsert(kind, o);
                                 } else if (type == "DELETED") {
                                   const std::string name = StringField(Field(o, "metadata"), "name");
                                   if (kind == Kind::kDeployments) {
                                     deployments_.erase(name);
                                   } else {
                                     slices_.erase(name);
                                   }
                                 } else {
                                   return true;  // BOOKMARK: only the version moved
                                 }
                                 cv_.notify_all();
                                 return true;
                               });
      if (cancel_watches_) return;
      if (s.code() == StatusCode::kFailedPrecondition || rv.empty()) {
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
  bool RolledOut(Instance& inst) {
    std::lock_guard lock(mu_);
    return RolledOutLocked(inst);
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
      for (size_t i = 0; i < endpoints.size() && !inst.stopped; ++i) {
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

  // Waits until the Deployment says it has no pods left (terminating ones
  // are not counted: they are off the endpoints already), or until the Space
  // is started again meanwhile (a newer generation, or a new instance).
  Status WaitScaledDown(const Instance& inst, int64_t generation, Millis grace) {
    std::unique_lock lock(mu_);
    bool done = cv_.wait_for(lock, grace + options_.scale_down_timeout, [&] {
      if (stopping_) return true;
      for (const auto& [id, other] : instances_) {
        if (other->space_id == inst.space_id) return true;
      }
      auto it = deployments_.find(inst.name);
      return it == deployments_.end() || it->second.generation > generation ||
             (it->second.observed >= generation && it->second.replicas == 0);
    });
    if (!done) return Status::DeadlineExceeded("kubernetes: deployment " + inst.name + " did not scale to 0");
    return Status::Ok();
  }

  const KubernetesOptions options_;
  const KubeClient client_;
  const std::string ns_;
  std::atomic<bool> cancel_watches_{false};
  // Held across each series of applies and the decision before it, so a
  // start and a stop of one Space never interleave their writes. Never
  // taken while holding mu_.
  std::mutex apply_mu_;
  std::mutex mu_;
  std::condition_variable cv_;  // the cache changed, or an instance stopped
  bool stopping_ = false;
  bool detached_ = false;
  InstanceId next_id_ = 0;
  std::map<InstanceId, std::shared_ptr<Instance>> instances_;
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
