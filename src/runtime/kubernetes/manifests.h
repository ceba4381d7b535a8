// The Kubernetes objects of one Space: a Deployment (replicas 0 or 1), a
// Service and a Secret, as JSON for server-side apply.
//
// Every object carries app.kubernetes.io/managed-by=spaceport (the driver's
// watches select on it; the EndpointSlice controller copies a Service's
// labels to its slices) and spaceport.dev/app=<name>, the pod selector. The
// Space's id is an annotation (a label value cannot hold its "/").
//
// The pod: the runner image (--kube-image: an image with the SDKs'
// interpreters; the built tree is not in it), the app's argv as the
// container's command, its whole environment from the Secret (it holds the
// Space's secrets, so nothing of it is in the Deployment), the built tree and
// /data from one shared volume claim (each a subPath: the app's tree and the
// read-only paths it needs at the paths the nodes have them, read-only, the
// Space's data directory as /data; a pod sees nothing of other Spaces),
// uid 1000 (no fsGroup: it would re-own the whole claim), no privilege
// escalation, every capability dropped, the RuntimeDefault seccomp profile, a
// TCP readiness probe on the app port, CPU and memory limits from the
// hardware flavor, a 2 s preStop sleep (the pod leaves the endpoints before
// it gets SIGTERM). Not enforced here: the pids limit (a node setting in
// Kubernetes) and the size of /data (a subPath of the shared claim). A rolling update adds the new pod before the old one goes
// (maxSurge 1, maxUnavailable 0); the template's spaceport.dev/revision
// annotation changes on every start, so every deploy is a rollout.
// Pure functions; thread safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/driver.h"

namespace spaceport::runtime::kubernetes {

struct Workload {
  std::string space_id;  // owner/name
  std::string name;      // KubeName(space_id)
  std::string namespace_name;
  std::string image;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // all of it goes to the Secret
  std::string working_dir;
  std::vector<std::string> read_only_paths;  // outside working_dir (a shared venv), at the same paths
  int port = 0;
  ResourceLimits limits;
  // The shared volume claim holding the data dir, mounted at volume_root;
  // "" for none (then the image must hold the app, as in the real-cluster
  // test). data_dir is below volume_root and becomes /data.
  std::string volume_claim;
  std::string volume_root;
  std::string data_dir;
  std::string revision;
};

// "sp-<owner>-<name>" folded to a DNS label (lower case, [a-z0-9-]), cut to
// fit 63 characters with a hash of the id, so distinct ids stay distinct.
std::string KubeName(std::string_view space_id);

inline constexpr std::string_view kManagedBy = "app.kubernetes.io/managed-by=spaceport";

nlohmann::json DeploymentManifest(const Workload& w, int replicas);
nlohmann::json ServiceManifest(const Workload& w);
nlohmann::json SecretManifest(const Workload& w);

// API paths of the objects (and the collections the driver watches).
std::string DeploymentPath(std::string_view ns, std::string_view name = {});
std::string ServicePath(std::string_view ns, std::string_view name = {});
std::string SecretPath(std::string_view ns, std::string_view name = {});
std::string EndpointSlicesPath(std::string_view ns);

}  // namespace spaceport::runtime::kubernetes
