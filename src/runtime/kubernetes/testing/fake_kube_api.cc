// TEST DOUBLE: see fake_kube_api.h.
#include "runtime/kubernetes/testing/fake_kube_api.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/strings.h"
#include "runtime/deploy_env.h"
#include "runtime/native/forwarder.h"
#include "runtime/thread_set.h"

namespace spaceport::runtime::kubernetes::testing {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct Collection {
  const char* name;
  const char* api_version;
  const char* kind;
};
constexpr Collection kCollections[] = {
    {"deployments", "apps/v1", "Deployment"},
    {"services", "v1", "Service"},
    {"secrets", "v1", "Secret"},
    {"endpointslices", "discovery.k8s.io/v1", "EndpointSlice"},
};

const Collection* FindCollection(const std::string& name, const std::string& api_version) {
  for (const Collection& c : kCollections) {
    if (name == c.name && api_version == c.api_version) return &c;
  }
  return nullptr;
}

struct Target {
  const Collection* collection = nullptr;
  std::string ns, name;  // name empty: the collection
  std::map<std::string, std::string> query;
};

// /api/v1/namespaces/NS/C[/NAME] or /apis/GROUP/VERSION/namespaces/NS/C[/NAME].
std::optional<Target> ParseTarget(const std::string& target) {
  size_t q = target.find('?');
  std::vector<std::string> parts = Split(target.substr(1, q == std::string::npos ? std::string::npos : q - 1), '/');
  Target t;
  size_t i = 0;
  std::string api_version;
  if (parts.size() >= 2 && parts[0] == "api") {
    api_version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    api_version = parts[1] + "/" + parts[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  if (parts.size() < i + 3 || parts.size() > i + 4 || parts[i] != "namespaces") return std::nullopt;
  t.ns = parts[i + 1];
  t.collection = FindCollection(parts[i + 2], api_version);
  if (t.collection == nullptr) return std::nullopt;
  if (parts.size() == i + 4) t.name = parts[i + 3];
  if (q != std::string::npos) {
    for (const std::string& kv : Split(target.substr(q + 1), '&')) {
      size_t eq = kv.find('=');
      t.query[UrlDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1));
    }
  }
  return t;
}

json StatusObject(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Failure"},
          {"message", message}, {"reason", reason}, {"code", code}};
}

// Equality selectors only ("a=b,c=d"), as the driver uses; nullopt: unsupported.
std::optional<std::map<std::string, std::string>> ParseSelector(const std::string& selector) {
  std::map<std::string, std::string> out;
  if (selector.empty()) return out;
  for (const std::string& term : Split(selector, ',')) {
    size_t eq = term.find('=');
    if (eq == std::string::npos || term.find_first_of("!<> ") != std::string::npos) return std::nullopt;
    out[term.substr(0, eq)] = term.substr(term[eq + 1] == '=' ? eq + 2 : eq + 1);
  }
  return out;
}

bool Matches(const json& object, const std::map<std::string, std::string>& selector) {
  const json& meta = object["metadata"];
  for (const auto& [k, v] : selector) {
    if (!meta.contains("labels") || meta["labels"].value(k, std::string("\x01")) != v) return false;
  }
  return true;
}

bool WriteAllTo(int fd, std::string_view data) { return native::WriteAll(fd, data.data(), data.size()); }

std::string ReasonOf(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    default: return "Error";
  }
}

bool ProbeTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  return text;
}

struct Pod {
  std::string name, deployment, hash;
  int pid = -1;
  int port = 0;
  bool ready = false;
  bool terminating = false;
  SteadyClock::time_point term_at{}, kill_at{};
  bool term_sent = false;
  SteadyClock::time_point restart_at{};  // an exited container's back-off
  int restarts = 0;
};

struct Event {
  int64_t rv;
  std::string collection, ns, type;
  json object;
};

class FakeKubeApiImpl final : public FakeKubeApi {
 public:
  explicit FakeKubeApiImpl(const Options& options) : options_(options) {}

  ~FakeKubeApiImpl() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (int fd : open_) shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    if (controller_.joinable()) controller_.join();
    connections_.JoinAll();
    if (listen_fd_ >= 0) close(listen_fd_);
    for (auto& [name, pod] : pods_) {
      if (pod.pid > 0) {
        kill(-pod.pid, SIGKILL);
        waitpid(pod.pid, nullptr, 0);
      }
    }
  }

  Status Listen() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 64) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return Status::Unavailable(std::string("fake API server: ") + strerror(errno));
    }
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    controller_ = std::thread([this] { ControllerLoop(); });
    return Status::Ok();
  }

  std::string url() const override { return "http://127.0.0.1:" + std::to_string(port_); }

  std::optional<json> Object(const std::string& collection, const std::string& ns,
                             const std::string& name) const override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(Key(collection, ns, name));
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<int> PodPids(const std::string& deployment) const override {
    std::lock_guard lock(mu_);
    std::vector<int> out;
    for (const auto& [name, pod] : pods_) {
      if (pod.deployment == deployment && pod.pid > 0) out.push_back(pod.pid);
    }
    return out;
  }

  void BreakWatches() override {
    std::lock_guard lock(mu_);
    for (int fd : watch_fds_) shutdown(fd, SHUT_RDWR);
  }

  void Compact() override {
    std::lock_guard lock(mu_);
    ++rv_;  // a write elsewhere in the cluster, then etcd compacts up to it
    history_.clear();
    compacted_rv_ = rv_;
    for (int fd : watch_fds_) shutdown(fd, SHUT_RDWR);
  }

  int Lists(const std::string& collection) const override {
    std::lock_guard lock(mu_);
    auto it = lists_.find(collection);
    return it == lists_.end() ? 0 : it->second;
  }
  int Watches(const std::string& collection) const override {
    std::lock_guard lock(mu_);
    auto it = watches_.find(collection);
    return it == watches_.end() ? 0 : it->second;
  }
  int Applies() const override {
    std::lock_guard lock(mu_);
    return applies_;
  }

 private:
  static std::string Key(const std::string& collection, const std::string& ns, const std::string& name) {
    return collection + "/" + ns + "/" + name;
  }

  // ---- HTTP ----

  void AcceptLoop() {
    while (true) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      {
        std::lock_guard lock(mu_);
        if (stopping_) {
          close(fd);
          return;
        }
        open_.insert(fd);
      }
      connections_.Spawn([this, fd] {
        Serve(fd);
        std::lock_guard lock(mu_);
        open_.erase(fd);
        close(fd);
      });
    }
  }

  void Serve(int fd) {
    std::string data;
    char buf[8192];
    size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0 || data.size() > (1 << 20)) return;
      data.append(buf, static_cast<size_t>(n));
    }
    std::vector<std::string> lines = Split(data.substr(0, head_end), '\n');
    std::vector<std::string> first = Split(std::string(Trim(lines[0])), ' ');
    if (first.size() < 2) return;
    std::map<std::string, std::string> headers;
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      std::string name = lines[i].substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = std::string(Trim(lines[i].substr(colon + 1)));
    }
    std::string body = data.substr(head_end + 4);
    size_t length = headers.contains("content-length") ? std::stoul(headers["content-length"]) : 0;
    while (body.size() < length) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      body.append(buf, static_cast<size_t>(n));
    }
    const std::string& method = first[0];
    const std::string& target = first[1];
    if (headers["authorization"] != "Bearer " + options_.token) {
      return Reply(fd, 401, StatusObject(401, "Unauthorized", "Unauthorized"));
    }
    std::optional<Target> t = ParseTarget(target);
    if (!t) return Reply(fd, 404, StatusObject(404, "NotFound", "the server could not find the requested resource"));
    const std::string collection = t->collection->name;
    if (method == "PATCH" && !t->name.empty() && collection != "endpointslices") {
      return ApplyCall(fd, *t, headers["content-type"], body);
    }
    if (method == "GET" && !t->name.empty()) {
      std::optional<json> o = Object(collection, t->ns, t->name);
      if (!o) return Reply(fd, 404, StatusObject(404, "NotFound", collection + " \"" + t->name + "\" not found"));
      return Reply(fd, 200, *o);
    }
    if (method == "GET" && t->name.empty()) {
      std::optional<std::map<std::string, std::string>> selector = ParseSelector(t->query["labelSelector"]);
      if (!selector) return Reply(fd, 400, StatusObject(400, "BadRequest", "unsupported label selector"));
      if (t->query["watch"] == "1" || t->query["watch"] == "true") return WatchCall(fd, *t, *selector);
      return ListCall(fd, *t, *selector);
    }
    if (method == "DELETE" && !t->name.empty() && collection != "endpointslices") return DeleteCall(fd, *t);
    return Reply(fd, 405, StatusObject(405, "MethodNotAllowed", method + " is not supported on " + collection));
  }

  void Reply(int fd, int code, const json& body) {
    std::string text = body.dump();
    std::string head = "HTTP/1.1 " + std::to_string(code) + " " + ReasonOf(code) +
                       "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
                       "\r\nConnection: close\r\n\r\n";
    (void)WriteAllTo(fd, head + text);
  }

  void ApplyCall(int fd, const Target& t, const std::string& content_type, const std::string& body) {
    if (content_type != "application/apply-patch+yaml") {
      return Reply(fd, 415, StatusObject(415, "UnsupportedMediaType", "the body of the request was in an unknown format"));
    }
    if (!t.query.contains("fieldManager") || t.query.at("fieldManager").empty()) {
      return Reply(fd, 400, StatusObject(400, "BadRequest", "fieldManager is required for apply requests"));
    }
    json applied = json::parse(body, nullptr, false);
    if (!applied.is_object() || !applied.contains("metadata") || !applied["metadata"].is_object()) {
      return Reply(fd, 400, StatusObject(400, "BadRequest", "the applied object is not an object with metadata"));
    }
    if (applied.value("apiVersion", "") != t.collection->api_version || applied.value("kind", "") != t.collection->kind) {
      return Reply(fd, 400, StatusObject(400, "BadRequest", "apiVersion and kind do not match the URL"));
    }
    const json& meta = applied["metadata"];
    if (meta.value("name", "") != t.name || meta.value("namespace", t.ns) != t.ns) {
      return Reply(fd, 400, StatusObject(400, "BadRequest", "the name or namespace does not match the URL"));
    }
    std::string collection = t.collection->name;
    json stored;
    int code;
    {
      std::lock_guard lock(mu_);
      ++applies_;
      if (!options_.record_dir.empty()) {
        std::ofstream(options_.record_dir + "/" + record_prefix_ + std::to_string(applies_) + "-" + collection + "-" +
                      t.name + ".json")
            << applied.dump(2);
      }
      auto it = objects_.find(Key(collection, t.ns, t.name));
      json next = applied;
      next["metadata"]["namespace"] = t.ns;
      next["metadata"]["managedFields"] = json::array(
          {{{"manager", t.query.at("fieldManager")}, {"operation", "Apply"}, {"apiVersion", t.collection->api_version}}});
      if (it == objects_.end()) {
        next["metadata"]["uid"] = RandomHex(16);
        next["metadata"]["generation"] = 1;
        code = 201;
      } else {
        const json& old = it->second;
        next["metadata"]["uid"] = old["metadata"]["uid"];
        int64_t generation = old["metadata"].value("generation", int64_t{1});
        if (old.value("spec", json()) != next.value("spec", json())) ++generation;
        next["metadata"]["generation"] = generation;
        if (old.contains("status")) next["status"] = old["status"];
        code = 200;
      }
      StoreLocked(collection, t.ns, t.name, std::move(next), code == 201 ? "ADDED" : "MODIFIED");
      stored = objects_[Key(collection, t.ns, t.name)];
    }
    cv_.notify_all();
    Reply(fd, code, stored);
  }

  void DeleteCall(int fd, const Target& t) {
    json gone;
    {
      std::lock_guard lock(mu_);
      auto it = objects_.find(Key(t.collection->name, t.ns, t.name));
      if (it == objects_.end()) {
        return Reply(fd, 404, StatusObject(404, "NotFound", std::string(t.collection->name) + " \"" + t.name + "\" not found"));
      }
      gone = it->second;
      EraseLocked(t.collection->name, t.ns, t.name);
    }
    cv_.notify_all();
    Reply(fd, 200, gone);
  }

  void ListCall(int fd, const Target& t, const std::map<std::string, std::string>& selector) {
    json list = {{"apiVersion", t.collection->api_version},
                 {"kind", std::string(t.collection->kind) + "List"},
                 {"items", json::array()}};
    {
      std::lock_guard lock(mu_);
      ++lists_[t.collection->name];
      const std::string prefix = Key(t.collection->name, t.ns, "");
      for (const auto& [key, o] : objects_) {
        if (StartsWith(key, prefix) && Matches(o, selector)) list["items"].push_back(o);
      }
      list["metadata"] = {{"resourceVersion", std::to_string(rv_)}};
    }
    Reply(fd, 200, list);
  }

  void WatchCall(int fd, const Target& t, const std::map<std::string, std::string>& selector) {
    const std::string collection = t.collection->name;
    const bool bookmarks = t.query.contains("allowWatchBookmarks") && t.query.at("allowWatchBookmarks") == "true";
    int timeout_s = t.query.contains("timeoutSeconds") ? std::stoi(t.query.at("timeoutSeconds")) : 1800;
    const auto end = SteadyClock::now() + std::chrono::seconds(timeout_s);
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    if (!WriteAllTo(fd, head)) return;
    auto send_line = [fd](const json& event) {
      std::string line = event.dump() + "\n";
      char size[20];
      snprintf(size, sizeof size, "%zx\r\n", line.size());
      return WriteAllTo(fd, size + line + "\r\n");
    };
    std::unique_lock lock(mu_);
    ++watches_[collection];
    int64_t from = 0;
    const std::string asked = t.query.contains("resourceVersion") ? t.query.at("resourceVersion") : "";
    if (!asked.empty() && asked != "0") from = std::stoll(asked);
    if (asked.empty() || asked == "0") from = rv_;
    if (from < compacted_rv_) {
      lock.unlock();
      (void)send_line({{"type", "ERROR"},
                       {"object", StatusObject(410, "Expired", "too old resource version: " + std::to_string(from) +
                                                                   " (" + std::to_string(compacted_rv_) + ")")}});
      (void)WriteAllTo(fd, "0\r\n\r\n");
      return;
    }
    watch_fds_.insert(fd);
    int64_t sent = from;
    while (!stopping_ && SteadyClock::now() < end) {
      std::vector<json> out;
      for (const Event& e : history_) {
        if (e.rv <= sent) continue;
        sent = e.rv;
        if (e.collection == collection && e.ns == t.ns && Matches(e.object, selector)) {
          out.push_back({{"type", e.type}, {"object", e.object}});
        }
      }
      sent = std::max(sent, rv_);
      if (out.empty()) {
        bool woke = cv_.wait_for(lock, std::chrono::milliseconds(options_.bookmark_ms), [&] { return stopping_ || rv_ > sent; });
        if (!woke && bookmarks) {
          out.push_back({{"type", "BOOKMARK"},
                         {"object",
                          {{"apiVersion", t.collection->api_version},
                           {"kind", t.collection->kind},
                           {"metadata", {{"resourceVersion", std::to_string(rv_)}}}}}});
        } else {
          continue;
        }
      }
      lock.unlock();
      bool ok = true;
      for (const json& e : out) ok = ok && send_line(e);
      lock.lock();
      if (!ok) break;
    }
    watch_fds_.erase(fd);
    lock.unlock();
    (void)WriteAllTo(fd, "0\r\n\r\n");
  }

  // ---- the store; callers hold mu_ ----

  void StoreLocked(const std::string& collection, const std::string& ns, const std::string& name, json object,
                   const std::string& type) {
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    history_.push_back({rv_, collection, ns, type, object});
    objects_[Key(collection, ns, name)] = std::move(object);
  }

  void EraseLocked(const std::string& collection, const std::string& ns, const std::string& name) {
    auto it = objects_.find(Key(collection, ns, name));
    if (it == objects_.end()) return;
    json object = std::move(it->second);
    objects_.erase(it);
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    history_.push_back({rv_, collection, ns, "DELETED", object});
  }

  // ---- controllers and kubelet ----

  void ControllerLoop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      bool changed = ReconcileLocked();
      if (changed) cv_.notify_all();
      cv_.wait_for(lock, std::chrono::milliseconds(30));
    }
  }

  // Starts a pod's container as a process; false when it could not start.
  bool StartPodLocked(Pod& pod, const json& deployment) {
    const json& pod_spec = deployment["spec"]["template"]["spec"];
    const json& c = pod_spec["containers"][0];
    const std::string ns = deployment["metadata"]["namespace"];
    int container_port = c["ports"][0].value("containerPort", 0);
    Result<int> port = PickFreeLoopbackPort();
    if (!port.ok()) return false;
    pod.port = *port;
    const std::string from = std::to_string(container_port), to = std::to_string(pod.port);
    std::map<std::string, std::string> env;
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    if (c.contains("envFrom")) {
      for (const json& ef : c["envFrom"]) {
        if (!ef.contains("secretRef")) continue;
        auto it = objects_.find(Key("secrets", ns, ef["secretRef"].value("name", "")));
        if (it == objects_.end() || !it->second.contains("data")) continue;
        for (const auto& [k, v] : it->second["data"].items()) env[k] = Base64Decode(v.get<std::string>()).value_or("");
      }
    }
    if (c.contains("env")) {
      for (const json& e : c["env"]) env[e.value("name", "")] = e.value("value", "");
    }
    std::vector<std::string> argv;
    for (const json& a : c["command"]) argv.push_back(ReplaceAll(a.get<std::string>(), from, to));
    std::vector<std::string> envs;
    for (const auto& [k, v] : env) envs.push_back(k + "=" + ReplaceAll(v, from, to));
    std::string cwd = c.value("workingDir", "/");
    std::string log = options_.pod_log_dir.empty() ? "/dev/null" : options_.pod_log_dir + "/" + pod.name + ".log";
    std::vector<char*> cargv, cenv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (std::string& e : envs) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    if (argv.empty()) return false;
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
      }
      if (chdir(cwd.c_str()) != 0) _exit(126);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execvpe(cargv[0], cargv.data(), cenv.data());
      _exit(127);
    }
    if (out >= 0) close(out);
    if (pid < 0) return false;
    setpgid(pid, pid);
    pod.pid = pid;
    pod.ready = false;
    return true;
  }

  // Not ready at once; SIGTERM after the preStop sleep, SIGKILL 2 s later.
  void EndPodLocked(Pod& pod, const json* deployment) {
    if (pod.terminating) return;
    pod.terminating = true;
    pod.ready = false;
    int pre_stop = 0;
    if (deployment != nullptr) {
      const json& c = (*deployment)["spec"]["template"]["spec"]["containers"][0];
      if (c.contains("lifecycle")) pre_stop = c["lifecycle"]["preStop"]["sleep"].value("seconds", 0);
    }
    pod.term_at = SteadyClock::now() + std::chrono::seconds(pre_stop);
    pod.kill_at = pod.term_at + std::chrono::seconds(2);
  }

  // One pass of the Deployment controller, the kubelet (start, probe, restart,
  // reap) and the EndpointSlice controller. True when something changed.
  bool ReconcileLocked() {
    bool changed = false;
    const auto now = SteadyClock::now();
    // Reap and restart.
    for (auto it = pods_.begin(); it != pods_.end();) {
      Pod& pod = it->second;
      if (pod.pid > 0) {
        int status = 0;
        if (waitpid(pod.pid, &status, WNOHANG) == pod.pid) {
          pod.pid = -1;
          pod.ready = false;
          pod.restart_at = now + std::chrono::milliseconds(std::min(2000, 100 << std::min(pod.restarts, 5)));
          changed = true;
        } else if (pod.terminating && now >= pod.kill_at) {
          kill(-pod.pid, SIGKILL);
        } else if (pod.terminating && now >= pod.term_at && !pod.term_sent) {
          pod.term_sent = true;
          kill(-pod.pid, SIGTERM);
        }
      }
      if (pod.pid <= 0 && pod.terminating) {
        it = pods_.erase(it);
        changed = true;
        continue;
      }
      ++it;
    }
    // Deployments.
    std::set<std::string> live_deployments;
    for (auto& [key, d] : objects_) {
      if (!StartsWith(key, "deployments/")) continue;
      const std::string name = d["metadata"]["name"];
      live_deployments.insert(name);
      const std::string hash = Sha256Hex(d["spec"]["template"].dump()).substr(0, 10);
      const int64_t replicas = d["spec"].value("replicas", int64_t{1});
      std::vector<Pod*> current, old;
      for (auto& [pod_name, pod] : pods_) {
        if (pod.deployment != name || pod.terminating) continue;
        (pod.hash == hash ? current : old).push_back(&pod);
      }
      if (replicas == 0) {
        for (Pod* p : current) EndPodLocked(*p, &d);
        for (Pod* p : old) EndPodLocked(*p, &d);
        changed = changed || !current.empty() || !old.empty();
        current.clear();
        old.clear();
      } else if (static_cast<int64_t>(current.size()) < replicas) {
        Pod pod;
        pod.name = name + "-" + hash + "-" + RandomHex(3);
        pod.deployment = name;
        pod.hash = hash;
        if (StartPodLocked(pod, d)) {
          pods_[pod.name] = pod;
          current.push_back(&pods_[pod.name]);
          changed = true;
        }
      }
      for (Pod* p : current) {
        if (p->pid <= 0) {  // exited: the kubelet restarts it, backing off
          if (now < p->restart_at) continue;
          ++p->restarts;
          changed = StartPodLocked(*p, d) || changed;
          continue;
        }
        bool ready = ProbeTcp(p->port);
        if (ready != p->ready) {
          p->ready = ready;
          changed = true;
        }
      }
      int64_t ready = 0;
      for (Pod* p : current) ready += p->ready ? 1 : 0;
      if (ready >= replicas && !old.empty()) {  // the new ones are up: the old ones go
        for (Pod* p : old) EndPodLocked(*p, &d);
        old.clear();
        changed = true;
      }
      for (Pod* p : old) {
        bool r = p->pid > 0 && ProbeTcp(p->port);
        if (r != p->ready) {
          p->ready = r;
          changed = true;
        }
      }
      json status = {{"observedGeneration", d["metadata"].value("generation", int64_t{1})},
                     {"replicas", static_cast<int64_t>(current.size() + old.size())},
                     {"updatedReplicas", static_cast<int64_t>(current.size())},
                     {"readyReplicas", ready + static_cast<int64_t>(std::count_if(old.begin(), old.end(), [](Pod* p) { return p->ready; }))},
                     {"availableReplicas", ready}};
      if (d.value("status", json()) != status) {
        json next = d;
        next["status"] = status;
        pending_.push_back({"deployments", next["metadata"]["namespace"], name, next});
      }
    }
    for (auto& [pod_name, pod] : pods_) {  // Deployment deleted: its pods go
      if (!live_deployments.contains(pod.deployment)) EndPodLocked(pod, nullptr);
    }
    for (Pending& p : pending_) StoreLocked(p.collection, p.ns, p.name, std::move(p.object), "MODIFIED");
    changed = changed || !pending_.empty();
    pending_.clear();
    changed = SyncSlicesLocked() || changed;
    return changed;
  }

  // One EndpointSlice per pod of each Service's selected pods.
  bool SyncSlicesLocked() {
    std::map<std::string, json> want;  // key -> slice
    for (const auto& [key, svc] : objects_) {
      if (!StartsWith(key, "services/")) continue;
      const std::string ns = svc["metadata"]["namespace"], name = svc["metadata"]["name"];
      const json& selector = svc["spec"]["selector"];
      for (const auto& [pod_name, pod] : pods_) {
        if (pod.pid <= 0) continue;
        auto d = objects_.find(Key("deployments", ns, pod.deployment));
        if (d == objects_.end()) continue;
        const json& labels = d->second["spec"]["template"]["metadata"]["labels"];
        bool selected = true;
        for (const auto& [k, v] : selector.items()) selected = selected && labels.value(k, "") == v;
        if (!selected) continue;
        json slice_labels = svc["metadata"].value("labels", json::object());
        slice_labels["kubernetes.io/service-name"] = name;
        slice_labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io";
        const std::string slice_name = name + "-" + pod_name.substr(pod_name.rfind('-') + 1);
        json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                      {"kind", "EndpointSlice"},
                      {"metadata", {{"name", slice_name}, {"namespace", ns}, {"labels", slice_labels}}},
                      {"addressType", "IPv4"},
                      {"endpoints",
                       json::array({{{"addresses", json::array({"127.0.0.1"})},
                                     {"conditions",
                                      {{"ready", pod.ready}, {"serving", pod.ready}, {"terminating", pod.terminating}}},
                                     {"targetRef", {{"kind", "Pod"}, {"name", pod_name}, {"namespace", ns}}}}})},
                      {"ports", json::array({{{"name", "http"}, {"port", pod.port}, {"protocol", "TCP"}}})}};
        want[Key("endpointslices", ns, slice_name)] = slice;
      }
    }
    bool changed = false;
    std::vector<std::pair<std::string, std::string>> gone;
    for (const auto& [key, o] : objects_) {
      if (StartsWith(key, "endpointslices/") && !want.contains(key)) {
        gone.emplace_back(o["metadata"]["namespace"], o["metadata"]["name"]);
      }
    }
    for (const auto& [ns, name] : gone) {
      EraseLocked("endpointslices", ns, name);
      changed = true;
    }
    for (auto& [key, slice] : want) {
      auto it = objects_.find(key);
      if (it != objects_.end()) {
        json old = it->second;
        old["metadata"].erase("resourceVersion");
        old["metadata"].erase("uid");
        if (old == slice) continue;
        slice["metadata"]["uid"] = it->second["metadata"]["uid"];
      } else {
        slice["metadata"]["uid"] = RandomHex(16);
      }
      const std::string ns = slice["metadata"]["namespace"], name = slice["metadata"]["name"];
      StoreLocked("endpointslices", ns, name, slice, it == objects_.end() ? "ADDED" : "MODIFIED");
      changed = true;
    }
    return changed;
  }

  struct Pending {
    std::string collection, ns, name;
    json object;
  };

  const Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_, controller_;
  ThreadSet connections_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<int> open_, watch_fds_;
  std::map<std::string, json> objects_;
  std::vector<Event> history_;
  std::vector<Pending> pending_;
  int64_t rv_ = 0, compacted_rv_ = 0;
  std::map<std::string, Pod> pods_;
  std::map<std::string, int> lists_, watches_;
  int applies_ = 0;
  const std::string record_prefix_ = RandomHex(4) + "-";
};

}  // namespace

Result<std::unique_ptr<FakeKubeApi>> FakeKubeApi::Start(const Options& options) {
  auto api = std::make_unique<FakeKubeApiImpl>(options);
  RETURN_IF_ERROR(api->Listen());
  return std::unique_ptr<FakeKubeApi>(std::move(api));
}

}  // namespace spaceport::runtime::kubernetes::testing
