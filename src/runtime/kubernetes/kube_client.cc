#include "runtime/kubernetes/kube_client.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/strings.h"

namespace spaceport::runtime::kubernetes {
namespace {

using nlohmann::json;

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A kubeconfig's entry `name` in the list `key` (clusters, users, contexts):
// its inner mapping (cluster, user, context).
YAML::Node Named(const YAML::Node& root, const char* key, const char* inner, const std::string& name) {
  for (const YAML::Node& item : root[key]) {
    if (item["name"] && item["name"].as<std::string>() == name) return item[inner];
  }
  return YAML::Node();
}

std::string Scalar(const YAML::Node& node, const char* key) {
  return node && node[key] && node[key].IsScalar() ? node[key].as<std::string>() : std::string();
}

// A path in a kubeconfig is relative to the file's directory.
std::string Resolve(const std::string& config_path, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  size_t slash = config_path.rfind('/');
  return slash == std::string::npos ? path : config_path.substr(0, slash + 1) + path;
}

// `file_key` (a path) or `data_key` (base64 PEM, written below scratch_dir).
Result<std::string> FileOrData(const YAML::Node& node, const char* file_key, const char* data_key,
                               const std::string& config_path, const std::string& scratch_dir,
                               const std::string& scratch_name) {
  std::string file = Scalar(node, file_key);
  if (!file.empty()) return Resolve(config_path, file);
  std::string data = Scalar(node, data_key);
  if (data.empty()) return std::string();
  std::optional<std::string> pem = Base64Decode(data);
  if (!pem) return Status::InvalidArgument(std::string(data_key) + " is not base64");
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  ::chmod(scratch_dir.c_str(), 0700);
  std::string out = scratch_dir + "/" + scratch_name;
  std::ofstream written(out, std::ios::binary | std::ios::trunc);
  ::chmod(out.c_str(), 0600);
  written << *pem;
  if (!written.flush()) return Status::Unavailable("cannot write " + out);
  return out;
}

Status FromHttp(int status, const std::string& what, const std::string& body) {
  std::string message;
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
    message = parsed["message"].get<std::string>();
  } else {
    message = body.substr(0, 300);
  }
  std::string text = "Kubernetes API: " + what + ": " + std::to_string(status) + " " + message;
  switch (status) {
    case 401: return Status::Unauthenticated(text);
    case 403: return Status::PermissionDenied(text);
    case 404: return Status::NotFound(text);
    case 409: return Status::AlreadyExists(text);
    case 410: return Status::FailedPrecondition(text + " (expired)");
    case 400:
    case 422: return Status::InvalidArgument(text);
    default: return Status::Unavailable(text);
  }
}

}  // namespace

Result<KubeCredentials> LoadKubeconfig(const std::string& path, const std::string& scratch_dir) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("kubeconfig " + path + ": " + e.what());
  }
  try {
    std::string context_name = Scalar(root, "current-context");
    if (context_name.empty()) return Status::InvalidArgument("kubeconfig " + path + ": no current-context");
    YAML::Node context = Named(root, "contexts", "context", context_name);
    if (!context) return Status::InvalidArgument("kubeconfig " + path + ": no context " + context_name);
    YAML::Node cluster = Named(root, "clusters", "cluster", Scalar(context, "cluster"));
    if (!cluster) return Status::InvalidArgument("kubeconfig " + path + ": no cluster " + Scalar(context, "cluster"));
    YAML::Node user = Named(root, "users", "user", Scalar(context, "user"));
    KubeCredentials c;
    c.server = Scalar(cluster, "server");
    if (c.server.empty()) return Status::InvalidArgument("kubeconfig " + path + ": the cluster has no server");
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    if (Scalar(cluster, "insecure-skip-tls-verify") == "true") {
      return Status::InvalidArgument("kubeconfig " + path + ": insecure-skip-tls-verify is not supported");
    }
    ASSIGN_OR_RETURN(c.ca_file, FileOrData(cluster, "certificate-authority", "certificate-authority-data", path,
                                           scratch_dir, "ca.crt"));
    if (std::string ns = Scalar(context, "namespace"); !ns.empty()) c.namespace_name = ns;
    if (user) {
      if (user["exec"] || user["auth-provider"]) {
        return Status::InvalidArgument("kubeconfig " + path +
                                       ": exec plugins and auth providers are not supported; use a token "
                                       "(a service account's) or a client certificate");
      }
      c.token = Scalar(user, "token");
      if (std::string token_file = Scalar(user, "tokenFile"); c.token.empty() && !token_file.empty()) {
        c.token_file = Resolve(path, token_file);
        RETURN_IF_ERROR(ReadWhole(c.token_file).status());
      }
      ASSIGN_OR_RETURN(c.cert_file, FileOrData(user, "client-certificate", "client-certificate-data", path,
                                               scratch_dir, "client.crt"));
      ASSIGN_OR_RETURN(c.key_file,
                       FileOrData(user, "client-key", "client-key-data", path, scratch_dir, "client.key"));
    }
    return c;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("kubeconfig " + path + ": " + e.what());
  }
}

Result<KubeCredentials> InClusterCredentials() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return Status::FailedPrecondition("not inside a Kubernetes pod (no KUBERNETES_SERVICE_HOST); pass --kubeconfig");
  }
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  KubeCredentials c;
  std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  c.token_file = dir + "/token";
  RETURN_IF_ERROR(ReadWhole(c.token_file).status());
  c.ca_file = dir + "/ca.crt";
  if (Result<std::string> ns = ReadWhole(dir + "/namespace"); ns.ok()) c.namespace_name = std::string(Trim(*ns));
  return c;
}

KubeClient::KubeClient(KubeCredentials credentials, Millis timeout)
    : credentials_(std::move(credentials)), timeout_(timeout) {}

http::ClientRequest KubeClient::NewRequest(const std::string& method, const std::string& path_and_query) const {
  http::ClientRequest req;
  req.method = method;
  req.url = credentials_.server + path_and_query;
  req.ca_file = credentials_.ca_file;
  req.cert_file = credentials_.cert_file;
  req.key_file = credentials_.key_file;
  req.timeout = timeout_;
  req.headers.Add("Accept", "application/json");
  std::string token = credentials_.token;
  if (!credentials_.token_file.empty()) {
    Result<std::string> read = ReadWhole(credentials_.token_file);
    if (read.ok()) token = std::string(Trim(*read));  // a failed read shows as the server's 401
  }
  if (!token.empty()) req.headers.Add("Authorization", "Bearer " + token);
  return req;
}

Result<json> KubeClient::Call(const std::string& method, const std::string& path_and_query,
                              const std::string& content_type, const std::string& body) const {
  http::ClientRequest req = NewRequest(method, path_and_query);
  req.body = body;
  if (!content_type.empty()) req.headers.Add("Content-Type", content_type);
  Result<http::ClientResponse> resp = http::Fetch(req);
  if (!resp.ok()) return resp.status().WithContext("Kubernetes API " + credentials_.server);
  if (resp->status < 200 || resp->status > 299) {
    return FromHttp(resp->status, method + " " + path_and_query.substr(0, path_and_query.find('?')), resp->body);
  }
  json parsed = json::parse(resp->body, nullptr, false);
  if (parsed.is_discarded()) return Status::Unavailable("Kubernetes API: " + method + " " + path_and_query + ": not JSON");
  return parsed;
}

Result<json> KubeClient::Apply(const std::string& path, const json& object) const {
  return Call("PATCH", path + "?fieldManager=spaceport&force=true", "application/apply-patch+yaml", object.dump());
}

Result<json> KubeClient::Get(const std::string& path) const { return Call("GET", path, "", ""); }

Status KubeClient::Delete(const std::string& path) const {
  Result<json> r = Call("DELETE", path, "application/json",
                        R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"})");
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
  return Status::Ok();
}

Result<json> KubeClient::List(const std::string& path, const std::string& label_selector) const {
  return Call("GET", label_selector.empty() ? path : path + "?labelSelector=" + UrlEncode(label_selector), "", "");
}

Status KubeClient::Watch(const std::string& path, const std::string& label_selector,
                         const std::string& resource_version, Millis idle, const std::atomic<bool>* cancel,
                         const std::function<bool(const json& event)>& on_event) const {
  std::string query = "?watch=1&allowWatchBookmarks=true&resourceVersion=" + UrlEncode(resource_version) +
                      "&timeoutSeconds=300";
  if (!label_selector.empty()) query += "&labelSelector=" + UrlEncode(label_selector);
  http::ClientRequest req = NewRequest("GET", path + query);
  req.timeout = idle;
  req.cancel = cancel;
  int status = 0;
  std::string buffer, error_body;
  Status outcome = Status::Ok();
  bool expired = false;
  Status s = http::FetchStream(
      req, [&](const http::ClientResponse& head) { status = head.status; },
      [&](std::string_view chunk) {
        if (status < 200 || status > 299) {
          error_body.append(chunk.substr(0, 4096));
          return error_body.size() < 4096;
        }
        buffer.append(chunk);
        size_t start = 0;
        for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
          std::string_view line(buffer.data() + start, nl - start);
          if (Trim(line).empty()) continue;
          json event = json::parse(line, nullptr, false);
          if (event.is_discarded() || !event.is_object() || !event.contains("type") || !event["type"].is_string() ||
              !event.contains("object") || !event["object"].is_object()) {
            outcome = Status::Unavailable("Kubernetes API: a watch event that is not {type, object}");
            return false;
          }
          if (event["type"] == "ERROR") {
            const json& o = event["object"];
            const json* code = o.contains("code") ? &o["code"] : nullptr;
            if (code != nullptr && code->is_number_integer() && code->get<int64_t>() == 410) {
              expired = true;
            } else {
              outcome = Status::Unavailable("Kubernetes API: watch " + path + ": " + o.dump().substr(0, 300));
            }
            return false;
          }
          if (!on_event(event)) return false;
        }
        buffer.erase(0, start);
        return true;
      });
  if (status == 410 || expired) return Status::FailedPrecondition("Kubernetes API: watch " + path + ": expired");
  if (status != 0 && (status < 200 || status > 299)) return FromHttp(status, "watch " + path, error_body);
  if (!outcome.ok()) return outcome;
  return s;
}

}  // namespace spaceport::runtime::kubernetes
