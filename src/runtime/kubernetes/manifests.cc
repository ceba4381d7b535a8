#include "runtime/kubernetes/manifests.h"

#include "core/strings.h"

namespace spaceport::runtime::kubernetes {
namespace {

using nlohmann::json;

constexpr int kPreStopSeconds = 2;

json Labels(const Workload& w) {
  return {{"app.kubernetes.io/managed-by", "spaceport"},
          {"app.kubernetes.io/name", "spaceport-app"},
          {"spaceport.dev/app", w.name}};
}

json Metadata(const Workload& w) {
  return {{"name", w.name},
          {"namespace", w.namespace_name},
          {"labels", Labels(w)},
          {"annotations", {{"spaceport.dev/space", w.space_id}}}};
}

json Resources(const ResourceLimits& limits) {
  json r = json::object();
  json lim = json::object();
  if (limits.cpu_millicores > 0) lim["cpu"] = std::to_string(limits.cpu_millicores) + "m";
  if (limits.memory_bytes > 0) lim["memory"] = std::to_string(limits.memory_bytes);
  if (!lim.empty()) {
    r["limits"] = lim;
    // What the scheduler reserves: a tenth of the limits, the app sleeps often.
    json req = json::object();
    if (limits.cpu_millicores > 0) req["cpu"] = std::to_string(std::max<int64_t>(limits.cpu_millicores / 10, 10)) + "m";
    if (limits.memory_bytes > 0) req["memory"] = std::to_string(limits.memory_bytes / 10);
    r["requests"] = req;
  }
  return r;
}

std::string Under(std::string_view root, std::string_view path) {
  if (root.empty() || path.size() <= root.size() || path.substr(0, root.size()) != root || path[root.size()] != '/') {
    return {};
  }
  return std::string(path.substr(root.size() + 1));
}

}  // namespace

std::string KubeName(std::string_view space_id) {
  std::string name = "sp-";
  for (char c : space_id) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      name += l;
    } else if (name.back() != '-') {
      name += '-';
    }
  }
  // Folding can merge ids ("a/b-c" and "a-b/c"): a short hash keeps them apart.
  std::string hash = Sha256Hex(space_id).substr(0, 8);
  if (name.size() > 63 - 9) name.resize(63 - 9);
  while (name.back() == '-') name.pop_back();
  return name + "-" + hash;
}

std::string DeploymentPath(std::string_view ns, std::string_view name) {
  std::string p = "/apis/apps/v1/namespaces/" + std::string(ns) + "/deployments";
  return name.empty() ? p : p + "/" + std::string(name);
}
std::string ServicePath(std::string_view ns, std::string_view name) {
  std::string p = "/api/v1/namespaces/" + std::string(ns) + "/services";
  return name.empty() ? p : p + "/" + std::string(name);
}
std::string SecretPath(std::string_view ns, std::string_view name) {
  std::string p = "/api/v1/namespaces/" + std::string(ns) + "/secrets";
  return name.empty() ? p : p + "/" + std::string(name);
}
std::string EndpointSlicesPath(std::string_view ns) {
  return "/apis/discovery.k8s.io/v1/namespaces/" + std::string(ns) + "/endpointslices";
}

json DeploymentManifest(const Workload& w, int replicas) {
  json container = {
      {"name", "app"},
      {"image", w.image},
      {"command", w.argv},
      {"ports", json::array({{{"name", "http"}, {"containerPort", w.port}, {"protocol", "TCP"}}})},
      {"envFrom", json::array({{{"secretRef", {{"name", w.name}}}}})},
      {"readinessProbe",
       {{"tcpSocket", {{"port", "http"}}}, {"periodSeconds", 1}, {"failureThreshold", 3}, {"timeoutSeconds", 1}}},
      {"resources", Resources(w.limits)},
      // The endpoint is removed while the pod waits: no new connection
      // reaches an app that is about to get SIGTERM (zero-downtime rollouts).
      {"lifecycle", {{"preStop", {{"sleep", {{"seconds", kPreStopSeconds}}}}}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", json::array({"ALL"})}}},
        {"runAsNonRoot", true}}},
  };
  if (!w.working_dir.empty()) container["workingDir"] = w.working_dir;
  json volumes = json::array({{{"name", "tmp"}, {"emptyDir", json::object()}}});
  json mounts = json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}}});
  if (!w.volume_claim.empty()) {
    volumes.push_back({{"name", "spaceport"}, {"persistentVolumeClaim", {{"claimName", w.volume_claim}}}});
    std::vector<std::string> read_only = {w.working_dir};
    read_only.insert(read_only.end(), w.read_only_paths.begin(), w.read_only_paths.end());
    for (const std::string& path : read_only) {
      if (std::string sub = Under(w.volume_root, path); !sub.empty()) {
        mounts.push_back({{"name", "spaceport"}, {"mountPath", path}, {"subPath", sub}, {"readOnly", true}});
      }
    }
    if (std::string sub = Under(w.volume_root, w.data_dir); !sub.empty()) {
      mounts.push_back({{"name", "spaceport"}, {"mountPath", "/data"}, {"subPath", sub}});
    }
  }
  container["volumeMounts"] = mounts;
  json selector = {{"spaceport.dev/app", w.name}};
  json pod_labels = Labels(w);
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", Metadata(w)},
      {"spec",
       {{"replicas", replicas},
        {"revisionHistoryLimit", 2},
        {"selector", {{"matchLabels", selector}}},
        {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
        {"template",
         {{"metadata", {{"labels", pod_labels}, {"annotations", {{"spaceport.dev/revision", w.revision}}}}},
          {"spec",
           {{"automountServiceAccountToken", false},
            {"enableServiceLinks", false},
            {"terminationGracePeriodSeconds", 10},
            {"securityContext",
             {{"runAsUser", 1000}, {"runAsGroup", 1000}, {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
            {"containers", json::array({container})},
            {"volumes", volumes}}}}}}},
  };
}

json ServiceManifest(const Workload& w) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", Metadata(w)},
          {"spec",
           {{"type", "ClusterIP"},
            {"selector", {{"spaceport.dev/app", w.name}}},
            {"ports", json::array({{{"name", "http"}, {"port", w.port}, {"targetPort", "http"}, {"protocol", "TCP"}}})}}}};
}

json SecretManifest(const Workload& w) {
  json data = json::object();
  for (const auto& [k, v] : w.env) data[k] = Base64Encode(v);
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", Metadata(w)}, {"type", "Opaque"}, {"data", data}};
}

}  // namespace spaceport::runtime::kubernetes
