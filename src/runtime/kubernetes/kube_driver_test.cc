// The Kubernetes driver against FakeKubeApi, a TEST DOUBLE of the API server
// (testing/fake_kube_api.h: no API server runs on the machines the tests run
// on). What this proves: the calls the driver makes and how it reads the
// answers, the wake/sleep/rollout/delete sequences, the watch's recovery.
// What it cannot prove: a real cluster's scheduling, networking and image
// pulls (kube_real_cluster_test.cc runs when KUBECONFIG is set).
//
// SPACEPORT_KUBE_RECORD_DIR: when set, every manifest the driver applies is
// written there (tests/e2e/kubernetes_manifests.test.mjs checks them against
// the Kubernetes schemas).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/strings.h"
#include "http/client.h"
#include "runtime/deploy_env.h"
#include "runtime/kubernetes/kube_driver.h"
#include "runtime/kubernetes/manifests.h"
#include "runtime/kubernetes/testing/fake_kube_api.h"

namespace spaceport::runtime::kubernetes {
namespace {

using nlohmann::json;
using testing::FakeKubeApi;

constexpr char kNamespace[] = "spaces";

// The app: answers every GET with "$VERSION $SECRET_TOKEN"; on SIGTERM it
// finishes what it is answering, then exits.
constexpr char kApp[] = R"PY(
import http.server, os, signal, socketserver, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        body = (os.environ.get("VERSION", "?") + " " + os.environ.get("SECRET_TOKEN", "")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
server = S(("127.0.0.1", int(os.environ["PORT"])), H)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
server.serve_forever()
server.server_close()
)PY";

bool Alive(int pid) { return kill(pid, 0) == 0; }

// Nothing listens on 127.0.0.1:port any more.
bool Refused(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool refused = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
  close(fd);
  return refused;
}

template <typename F>
bool WaitFor(F&& done, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

Result<http::ClientResponse> Get(int port, Millis timeout = Millis(20000)) {
  http::ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  req.timeout = timeout;
  return http::Fetch(req);
}

class KubeDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kube-driver-" + RandomHex(6));
    std::filesystem::create_directories(dir_ / "app");
    std::filesystem::create_directories(dir_ / "spaces/alice/demo/data");
    std::filesystem::create_directories(dir_ / "pods");
    std::ofstream(dir_ / "app/app.py") << kApp;
    FakeKubeApi::Options fake;
    if (const char* record = std::getenv("SPACEPORT_KUBE_RECORD_DIR")) fake.record_dir = record;
    fake.pod_log_dir = dir_ / "pods";
    auto api = FakeKubeApi::Start(fake);
    ASSERT_TRUE(api.ok()) << api.status().message();
    api_ = std::move(*api);
    options_.credentials.server = api_->url();
    options_.credentials.token = fake.token;
    options_.credentials.namespace_name = kNamespace;
    options_.image = "registry.example/spaceport/runner:1";
    options_.volume_claim = "spaceport-data";
    options_.volume_root = dir_.string();
    options_.hold_timeout = Millis(20000);
    options_.watch_idle = Millis(400);
    auto driver = MakeKubernetesDriver(options_);
    ASSERT_TRUE(driver.ok()) << driver.status().message();
    driver_ = std::move(*driver);
  }

  void TearDown() override {
    driver_.reset();
    api_.reset();
    std::filesystem::remove_all(dir_);
  }

  InstanceSpec Spec(const std::string& version) {
    InstanceSpec spec;
    spec.space_id = "alice/demo";
    auto port = PickFreeLoopbackPort();
    EXPECT_TRUE(port.ok());
    spec.port = *port;
    spec.argv = {"/usr/bin/python3", (dir_ / "app/app.py").string()};
    spec.env = {{"PORT", std::to_string(spec.port)}, {"VERSION", version}, {"SECRET_TOKEN", "s3cret"}};
    spec.cwd = (dir_ / "app").string();
    spec.data_dir = (dir_ / "spaces/alice/demo/data").string();
    spec.limits = {.memory_bytes = 512LL << 20, .cpu_millicores = 2000, .pids_max = 256, .data_bytes = 0};
    return spec;
  }

  // Starts and records exits.
  InstanceId StartOk(const InstanceSpec& spec) {
    auto id = driver_->Start(spec, [this](InstanceId id, const ExitStatus& status) {
      std::lock_guard lock(exits_mu_);
      exits_.emplace_back(id, status.reason);
    });
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : 0;
  }

  std::optional<json> Deployment() { return api_->Object("deployments", kNamespace, KubeName("alice/demo")); }

  std::filesystem::path dir_;
  KubernetesOptions options_;
  std::unique_ptr<FakeKubeApi> api_;
  std::unique_ptr<RuntimeDriver> driver_;
  std::mutex exits_mu_;
  std::vector<std::pair<InstanceId, std::string>> exits_;
};

TEST_F(KubeDriverTest, CreateAppliesTheThreeObjectsAndServes) {
  InstanceSpec spec = Spec("v1");
  StartOk(spec);
  auto resp = Get(spec.port);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "v1 s3cret");

  const std::string name = KubeName("alice/demo");
  std::optional<json> d = Deployment();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ((*d)["spec"]["replicas"], 1);
  EXPECT_EQ((*d)["metadata"]["managedFields"][0]["manager"], "spaceport");
  EXPECT_EQ((*d)["metadata"]["annotations"]["spaceport.dev/space"], "alice/demo");
  const json& c = (*d)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], options_.image);
  EXPECT_EQ(c["command"][0], "/usr/bin/python3");
  EXPECT_EQ(c["ports"][0]["containerPort"], spec.port);
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "2000m");
  EXPECT_EQ(c["resources"]["limits"]["memory"], std::to_string(512LL << 20));
  EXPECT_EQ(c["readinessProbe"]["tcpSocket"]["port"], "http");
  EXPECT_EQ(c["workingDir"], spec.cwd);
  // Only the Space's own tree (read-only) and data dir come from the shared claim.
  bool data_mounted = false, tree_mounted = false;
  for (const json& m : c["volumeMounts"]) {
    if (m.contains("subPath")) {
      EXPECT_TRUE(m["subPath"] == "app" || m["subPath"] == "spaces/alice/demo/data") << m.dump();
    }
    data_mounted = data_mounted || (m["mountPath"] == "/data" && m["subPath"] == "spaces/alice/demo/data");
    tree_mounted = tree_mounted || (m["mountPath"] == spec.cwd && m["subPath"] == "app" && m["readOnly"] == true);
  }
  EXPECT_TRUE(data_mounted && tree_mounted) << c["volumeMounts"].dump();
  EXPECT_FALSE((*d)["spec"]["template"]["spec"]["securityContext"].contains("fsGroup"));
  // The secret's value is in the Secret only.
  EXPECT_EQ(d->dump().find("s3cret"), std::string::npos);
  std::optional<json> secret = api_->Object("secrets", kNamespace, name);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(Base64Decode((*secret)["data"]["SECRET_TOKEN"].get<std::string>()).value_or(""), "s3cret");
  std::optional<json> service = api_->Object("services", kNamespace, name);
  ASSERT_TRUE(service.has_value());
  EXPECT_EQ((*service)["spec"]["selector"]["spaceport.dev/app"], name);
  EXPECT_EQ(api_->PodPids(name).size(), 1u);
}

TEST_F(KubeDriverTest, SleepScalesToZeroAndAWakeHoldsTheRequest) {
  const std::string name = KubeName("alice/demo");
  InstanceSpec spec = Spec("v1");
  InstanceId id = StartOk(spec);
  ASSERT_TRUE(Get(spec.port).ok());
  std::vector<int> pids = api_->PodPids(name);
  ASSERT_EQ(pids.size(), 1u);

  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
  {
    std::lock_guard lock(exits_mu_);
    ASSERT_EQ(exits_.size(), 1u);
    EXPECT_EQ(exits_[0].first, id);
    EXPECT_EQ(exits_[0].second, "scaled to 0");
  }
  EXPECT_EQ((*Deployment())["spec"]["replicas"], 0);
  EXPECT_EQ((*Deployment())["status"]["replicas"], 0);
  EXPECT_TRUE(WaitFor([&] { return !Alive(pids[0]); })) << "the pod's process outlived the scale-down";
  EXPECT_TRUE(api_->Object("services", kNamespace, name).has_value());
  EXPECT_TRUE(api_->Object("secrets", kNamespace, name).has_value());
  EXPECT_TRUE(Refused(spec.port)) << "the slept instance's port is still open";

  // Wake: the request is sent at once and held while the pod comes up.
  InstanceSpec again = Spec("v1");
  const auto t0 = std::chrono::steady_clock::now();
  StartOk(again);
  auto resp = Get(again.port);
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->body, "v1 s3cret");
  EXPECT_EQ((*Deployment())["spec"]["replicas"], 1);
  EXPECT_EQ(api_->PodPids(name).size(), 1u);
  std::cerr << "wake 0 -> 1 answered after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms\n";
}

TEST_F(KubeDriverTest, UpdateRollsOutWithZeroDowntime) {
  const std::string name = KubeName("alice/demo");
  InstanceSpec v1 = Spec("v1");
  InstanceId first = StartOk(v1);
  ASSERT_TRUE(Get(v1.port).ok());

  std::atomic<int> port{v1.port};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, v1_seen{0}, v2_seen{0};
  std::string first_failure;
  std::thread client([&] {
    while (!done) {
      auto resp = Get(port, Millis(10000));
      if (!resp.ok() || resp->status != 200) {
        if (failures++ == 0) first_failure = resp.ok() ? std::to_string(resp->status) : resp.status().message();
      } else if (StartsWith(resp->body, "v1 ")) {
        ++v1_seen;
      } else if (StartsWith(resp->body, "v2 ")) {
        ++v2_seen;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  InstanceSpec v2 = Spec("v2");
  StartOk(v2);
  // The new instance's first answer is already the new version: its
  // connections waited for the rollout to finish.
  auto resp = Get(v2.port);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->body, "v2 s3cret");
  port = v2.port;  // the supervisor's switch, then its drain delay
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(driver_->Stop(first, Millis(5000)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  done = true;
  client.join();

  EXPECT_EQ(failures.load(), 0) << "first failure: " << first_failure;
  EXPECT_GT(v1_seen.load(), 0);
  EXPECT_GT(v2_seen.load(), 0);
  {
    std::lock_guard lock(exits_mu_);
    ASSERT_EQ(exits_.size(), 1u);
    EXPECT_EQ(exits_[0].second, "replaced by a newer rollout");
  }
  EXPECT_EQ((*Deployment())["spec"]["replicas"], 1) << "stopping the replaced instance scaled the Space down";
  EXPECT_TRUE(WaitFor([&] { return api_->PodPids(name).size() == 1; })) << "the old pod did not go";
}

TEST_F(KubeDriverTest, ARolloutThatNeverGetsReadyIsRolledBack) {
  const std::string name = KubeName("alice/demo");
  InstanceSpec v1 = Spec("v1");
  StartOk(v1);
  ASSERT_TRUE(Get(v1.port).ok());
  const std::string good = (*Deployment())["spec"]["template"]["metadata"]["annotations"]["spaceport.dev/revision"];

  InstanceSpec broken = Spec("v2");
  broken.argv = {"/bin/sh", "-c", "echo cannot start >&2; exit 1"};
  InstanceId bad = StartOk(broken);
  // The supervisor's health check gives up; the new version never served.
  auto tried = Get(broken.port, Millis(1500));
  EXPECT_FALSE(tried.ok() && tried->status == 200);
  ASSERT_TRUE(driver_->Stop(bad, Millis(5000)).ok());
  EXPECT_EQ((*Deployment())["spec"]["template"]["metadata"]["annotations"]["spaceport.dev/revision"], good);
  EXPECT_EQ((*Deployment())["spec"]["replicas"], 1);
  auto still = Get(v1.port);
  ASSERT_TRUE(still.ok()) << still.status().message();
  EXPECT_EQ(still->body, "v1 s3cret");
  EXPECT_TRUE(WaitFor([&] { return api_->PodPids(name).size() == 1; })) << "the broken pod stayed";
}

TEST_F(KubeDriverTest, AfterDetachStoppingLeavesThePodsRunning) {
  const std::string name = KubeName("alice/demo");
  InstanceSpec spec = Spec("v1");
  InstanceId id = StartOk(spec);
  ASSERT_TRUE(Get(spec.port).ok());
  driver_->Detach();  // the server shuts down
  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
  EXPECT_EQ((*Deployment())["spec"]["replicas"], 1);
  EXPECT_EQ(api_->PodPids(name).size(), 1u);
  EXPECT_TRUE(Refused(spec.port));
  EXPECT_EQ(driver_->Start(Spec("v1"), [](InstanceId, const ExitStatus&) {}).status().code(),
            StatusCode::kUnavailable);
}

TEST_F(KubeDriverTest, DiscardDeletesTheObjectsAndThePod) {
  const std::string name = KubeName("alice/demo");
  InstanceSpec spec = Spec("v1");
  InstanceId id = StartOk(spec);
  ASSERT_TRUE(Get(spec.port).ok());
  std::vector<int> pids = api_->PodPids(name);
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
  ASSERT_TRUE(driver_->Discard("alice/demo").ok());
  EXPECT_FALSE(Deployment().has_value());
  EXPECT_FALSE(api_->Object("services", kNamespace, name).has_value());
  EXPECT_FALSE(api_->Object("secrets", kNamespace, name).has_value());
  EXPECT_TRUE(WaitFor([&] { return !Alive(pids[0]) && api_->PodPids(name).empty(); }));
  // Deleting again (a retried delete) is fine.
  EXPECT_TRUE(driver_->Discard("alice/demo").ok());
}

TEST_F(KubeDriverTest, AWatchThatBreaksResumesAndOneTooOldListsAgain) {
  InstanceSpec spec = Spec("v1");
  InstanceId id = StartOk(spec);
  ASSERT_TRUE(Get(spec.port).ok());

  // A dropped connection: the watches come back from the last version seen,
  // without a new list.
  const int lists = api_->Lists("deployments"), watches = api_->Watches("deployments");
  api_->BreakWatches();
  ASSERT_TRUE(WaitFor([&] { return api_->Watches("deployments") > watches; }));
  EXPECT_EQ(api_->Lists("deployments"), lists);
  // The resumed watch still sees the scale-down through.
  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());

  // History compacted while the watches were down: 410, then a new list,
  // and a wake still finds the pod ready.
  api_->Compact();
  ASSERT_TRUE(WaitFor([&] { return api_->Lists("deployments") > lists && api_->Lists("endpointslices") > 1; }));
  InstanceSpec again = Spec("v1");
  StartOk(again);
  auto resp = Get(again.port);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->body, "v1 s3cret");
}

TEST_F(KubeDriverTest, BadCredentialsAndRefusedObjectsAreClearErrors) {
  KubernetesOptions bad = options_;
  bad.credentials.token = "wrong";
  auto driver = MakeKubernetesDriver(bad);
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), StatusCode::kUnauthenticated) << driver.status().message();
  EXPECT_NE(driver.status().message().find("Kubernetes API"), std::string::npos) << driver.status().message();

  InstanceSpec spec = Spec("v1");
  spec.argv.clear();
  auto id = driver_->Start(spec, [](InstanceId, const ExitStatus&) {});
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);

  // A token file is read before every call: a rotated token is used at once.
  KubernetesOptions from_file = options_;
  from_file.credentials.token.clear();
  from_file.credentials.token_file = (dir_ / "token").string();
  std::ofstream(dir_ / "token") << options_.credentials.token << "\n";
  auto rotating = MakeKubernetesDriver(from_file);
  ASSERT_TRUE(rotating.ok()) << rotating.status().message();
  std::ofstream(dir_ / "token") << "revoked\n";
  auto refused = (*rotating)->Start(Spec("v1"), [](InstanceId, const ExitStatus&) {});
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated) << refused.status().message();
  std::ofstream(dir_ / "token") << options_.credentials.token << "\n";
  auto accepted = (*rotating)->Start(Spec("v1"), [](InstanceId, const ExitStatus&) {});
  EXPECT_TRUE(accepted.ok()) << accepted.status().message();
}

TEST(KubeNameTest, FoldsIdsIntoDistinctDnsLabels) {
  EXPECT_EQ(KubeName("alice/demo").substr(0, 14), "sp-alice-demo-");
  EXPECT_NE(KubeName("a/b-c"), KubeName("a-b/c"));
  std::string long_name = KubeName(std::string(40, 'x') + "/" + std::string(90, 'Y'));
  EXPECT_LE(long_name.size(), 63u);
  for (char c : long_name) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << long_name;
  EXPECT_NE(long_name.back(), '-');
}

TEST(KubeconfigTest, ReadsTheCurrentContextAndRefusesExecPlugins) {
  auto dir = std::filesystem::temp_directory_path() / ("kubeconfig-" + RandomHex(6));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config") << R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: other
  cluster: {server: "https://wrong:6443"}
- name: main
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: )" << Base64Encode("-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n") << R"(
contexts:
- name: prod
  context: {cluster: main, user: deployer, namespace: spaces}
users:
- name: deployer
  user: {tokenFile: token}
- name: plugin
  user: {exec: {command: aws}}
)";
  std::ofstream(dir / "token") << "abc.def\n";
  auto c = LoadKubeconfig((dir / "config").string(), (dir / "scratch").string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->token_file, (dir / "token").string());  // read again before every call
  EXPECT_EQ(c->namespace_name, "spaces");
  std::ifstream ca(c->ca_file);
  std::string first_line;
  std::getline(ca, first_line);
  EXPECT_EQ(first_line, "-----BEGIN CERTIFICATE-----");

  std::ofstream(dir / "exec") << R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: aws}}}]
)";
  auto e = LoadKubeconfig((dir / "exec").string(), (dir / "scratch").string());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("exec plugins"), std::string::npos) << e.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spaceport::runtime::kubernetes
