// KubeClient: the few calls of the Kubernetes API the driver makes, over
// http::Fetch (TLS checked against the cluster's CA).
//
// Credentials come from a kubeconfig (its current context: the cluster's
// server and CA, the user's bearer token, token file or client certificate)
// or from inside a pod (the service account's token and CA under
// /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST and
// _PORT). Exec plugins and auth providers are not supported: the loader says
// so by name.
//
// Calls: server-side apply (PATCH with application/apply-patch+yaml,
// fieldManager=spaceport, force), get, delete, list and watch. HTTP errors
// become Status codes: 401 Unauthenticated, 403 PermissionDenied, 404
// NotFound, 409 AlreadyExists, 410 FailedPrecondition ("expired"), 422
// InvalidArgument, others Unavailable; the message carries the API server's
// own Status message.
// Thread safety: a KubeClient is immutable after construction; calls may run
// from any thread at once.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "http/client.h"

namespace spaceport::runtime::kubernetes {

struct KubeCredentials {
  std::string server;     // https://host:port (http:// only for the test double)
  std::string token;      // bearer token; may be empty with a client certificate
  // Where the token is kept, read again before every call: service-account
  // tokens are rotated. Takes precedence over `token`.
  std::string token_file;
  std::string ca_file;    // PEM; "": the system's CAs
  std::string cert_file;  // client certificate (PEM), "" for none
  std::string key_file;
  std::string namespace_name = "default";  // the context's or the service account's namespace
};

// Reads `path` (a kubeconfig); inline *-data fields are written to files
// below `scratch_dir` (created, mode 0700) since the TLS layer reads files.
Result<KubeCredentials> LoadKubeconfig(const std::string& path, const std::string& scratch_dir);
// The pod's service account; FailedPrecondition outside a pod.
Result<KubeCredentials> InClusterCredentials();

class KubeClient {
 public:
  explicit KubeClient(KubeCredentials credentials, Millis timeout = Millis(15000));

  const KubeCredentials& credentials() const { return credentials_; }

  // Server-side apply of `object` at `path` (e.g.
  // /apis/apps/v1/namespaces/ns/deployments/name); the object as stored.
  Result<nlohmann::json> Apply(const std::string& path, const nlohmann::json& object) const;
  Result<nlohmann::json> Get(const std::string& path) const;
  // Ok when the object was already gone. Foreground propagation, so the
  // Deployment's pods go with it.
  Status Delete(const std::string& path) const;
  // A list (`path` is a collection; `label_selector` may be empty).
  Result<nlohmann::json> List(const std::string& path, const std::string& label_selector) const;

  // Watches `path` from `resource_version` with bookmarks, calling on_event
  // with each event object ({"type", "object"}) until the server ends the
  // stream (Ok), on_event returns false (Ok), nothing arrived for `idle`
  // (DeadlineExceeded), `cancel` is set (Unavailable) or the version is too
  // old (FailedPrecondition: list again). An ERROR event with code 410
  // counts as too old.
  Status Watch(const std::string& path, const std::string& label_selector, const std::string& resource_version,
               Millis idle, const std::atomic<bool>* cancel,
               const std::function<bool(const nlohmann::json& event)>& on_event) const;

 private:
  http::ClientRequest NewRequest(const std::string& method, const std::string& path_and_query) const;
  Result<nlohmann::json> Call(const std::string& method, const std::string& path_and_query,
                              const std::string& content_type, const std::string& body) const;

  KubeCredentials credentials_;
  Millis timeout_;
};

}  // namespace spaceport::runtime::kubernetes
