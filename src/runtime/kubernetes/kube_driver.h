// KubernetesDriver: runs each Space's app as a Deployment in a Kubernetes
// cluster (manifests.h), behind the same RuntimeDriver interface as the
// native sandbox, so the supervisor's ladder (start, health check, switch,
// sleep, wake) is unchanged.
//
// Start applies the Space's Secret, Service and Deployment with replicas 1
// (server-side apply, fieldManager=spaceport) and listens on the host's
// 127.0.0.1:spec.port, where the edge and the health check connect. Each
// connection there waits (up to hold_timeout) until the pod is ready, then is
// copied to a ready endpoint of the Space's EndpointSlices: a wake holds the
// request while the Deployment goes 0 -> 1. A newer start of the same Space
// is a rolling update of the one Deployment (the new pod first, the old one
// after), and its connections wait until the rollout finished, so its health
// check reaches the new version; the older instance's listener keeps serving
// from whichever pod is ready until the supervisor stops it. Stopping a new
// instance whose rollout never finished applies the previous version again.
// Stop of a Space's last instance scales the Deployment to 0 and waits until
// its status counts no pod (terminating ones are off the endpoints already);
// Discard deletes the three objects. After Detach (shutdown, or the runtime
// moved to another node) Stop leaves the cluster as it is.
//
// Readiness is known from a list-then-watch of the managed Deployments and
// EndpointSlices (label app.kubernetes.io/managed-by=spaceport): a list, then
// a watch from its resourceVersion with bookmarks; a watch that breaks
// resumes from the last version seen, one that is too old (410 Gone) lists
// again. No API call is made on a request's path.
//
// Where the node must run: connections go to pod IPs, so a node runs inside
// the cluster (or on a network that routes pod IPs). The SDK launchers' bind
// address 127.0.0.1 (gradio, streamlit) becomes 0.0.0.0; other apps must
// listen on 0.0.0.0, as on Hugging Face. The pods read the built
// tree and /data from one shared volume claim (--kube-volume-claim), the
// shared file system several nodes already need. Pods cannot be frozen
// (Freeze is FailedPrecondition): the sleep ladder goes straight to 0
// replicas. A pod that crashes is restarted by Kubernetes (with its back-off),
// not reported as an exit.
//
// Ownership: owns two watch threads and one listener per instance; the
// destructor stops them within a quarter of a second (unless a list is in
// flight: up to the client's timeout). Pods keep running.
// Thread safety and failure: see runtime/driver.h; Start fails with the API
// server's message when it refuses an object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "runtime/driver.h"
#include "runtime/kubernetes/kube_client.h"

namespace spaceport::runtime::kubernetes {

struct KubernetesOptions {
  KubeCredentials credentials;  // credentials.namespace_name is where the objects go
  std::string image;            // the runner image (see manifests.h)
  std::string volume_claim;     // "" none: the image holds the app (tests on a real cluster)
  std::string volume_root;      // where the claim is mounted in pods (the nodes' data dir)
  Millis hold_timeout{120000};  // a connection waiting for the pod
  Millis scale_down_timeout{60000};
  // A silent watch is reopened after this (the API server sends bookmarks
  // about once a minute).
  Millis watch_idle{90000};
};

// Lists the managed objects once (so bad credentials or a missing namespace
// fail here, by the API server's message) and starts the watches.
Result<std::unique_ptr<RuntimeDriver>> MakeKubernetesDriver(const KubernetesOptions& options);

}  // namespace spaceport::runtime::kubernetes
