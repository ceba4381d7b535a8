// FakeKubeApi: a TEST DOUBLE of a Kubernetes API server, in process, for the
// driver's tests. No API server can run on the machines the tests run on.
//
// It implements exactly the calls the driver makes, as the real API server
// answers them: server-side apply (PATCH, application/apply-patch+yaml,
// fieldManager required) of Deployments, Services and Secrets; get; delete;
// list and watch of Deployments and EndpointSlices with equality label
// selectors, resourceVersions, bookmarks (allowWatchBookmarks) and the 410
// "too old resource version" ERROR event for a version older than the kept
// history; Status objects with codes for errors; bearer-token auth (401).
// One simplification of apply: the driver is the only field manager, so an
// apply replaces the fields it names (what SSA does for a sole manager).
//
// It also stands in for the cluster's controllers and kubelet: a Deployment
// with replicas 1 gets a pod, which is the container's command run as a local
// process in its workingDir with the Secret's data (envFrom) and env as its
// environment. Pods have no IP of their own here: each one listens on a free
// loopback port instead of the containerPort (the number is replaced in its
// argv and environment), and its EndpointSlice (one per pod) says
// 127.0.0.1 and that port. The TCP readiness probe connects to it. A rolling
// update starts the new pod, waits for it to be ready, then ends the old one
// (maxSurge 1, maxUnavailable 0); replicas 0 ends every pod (SIGTERM, then
// SIGKILL after 2 s). Deployment status (observedGeneration, replicas,
// updatedReplicas, readyReplicas, availableReplicas) follows.
//
// Test controls: BreakWatches() closes every open watch stream (a dropped
// connection), Compact() forgets the event history and drops the watches too
// (each comes back with a version now too old and gets 410). Every applied manifest is written to record_dir
// when set, so the tests can check them against the Kubernetes schemas.
// Thread safety: all methods are safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace spaceport::runtime::kubernetes::testing {

class FakeKubeApi {
 public:
  struct Options {
    std::string token = "fake-cluster-token";
    std::string record_dir;  // "": applied manifests are not written
    std::string pod_log_dir;  // "": pods' output is discarded
    int bookmark_ms = 200;
  };
  static Result<std::unique_ptr<FakeKubeApi>> Start(const Options& options);
  virtual ~FakeKubeApi() = default;

  virtual std::string url() const = 0;
  // The stored object; nullopt when absent. collection: deployments,
  // services, secrets, endpointslices.
  virtual std::optional<nlohmann::json> Object(const std::string& collection, const std::string& ns,
                                               const std::string& name) const = 0;
  // Process ids of the live pods of a Deployment.
  virtual std::vector<int> PodPids(const std::string& deployment) const = 0;
  virtual void BreakWatches() = 0;
  virtual void Compact() = 0;
  // How many lists / watches of a collection were served, and applies made.
  virtual int Lists(const std::string& collection) const = 0;
  virtual int Watches(const std::string& collection) const = 0;
  virtual int Applies() const = 0;
};

}  // namespace spaceport::runtime::kubernetes::testing
