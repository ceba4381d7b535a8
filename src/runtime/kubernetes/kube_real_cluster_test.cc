// The Kubernetes driver against a real cluster: runs only when KUBECONFIG is
// set, and says loudly that it was skipped otherwise (no cluster runs on the
// machines `make test` runs on).
//
// It applies a Space whose app is a Python one-liner in SPACEPORT_KUBE_TEST_IMAGE
// (default python:3.12-slim) in the context's namespace (or
// SPACEPORT_KUBE_TEST_NAMESPACE), waits for it through the driver's listener,
// scales it to 0, wakes it, and deletes it. The machine running the test must
// reach pod IPs (run it inside the cluster, or on a node).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <gtest/gtest.h>

#include "core/strings.h"
#include "http/client.h"
#include "runtime/deploy_env.h"
#include "runtime/kubernetes/kube_driver.h"

namespace spaceport::runtime::kubernetes {
namespace {

TEST(KubeRealClusterTest, CreateSleepWakeDelete) {
  const char* kubeconfig = std::getenv("KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0') {
    std::cerr << "\n*** SKIPPED: KubeRealClusterTest needs a cluster: set KUBECONFIG (and optionally "
                 "SPACEPORT_KUBE_TEST_IMAGE, SPACEPORT_KUBE_TEST_NAMESPACE). The driver was tested against "
                 "the in-process test double only. ***\n\n";
    GTEST_SKIP() << "KUBECONFIG is not set: no real cluster to test against";
  }
  auto scratch = std::filesystem::temp_directory_path() / ("kube-real-" + RandomHex(6));
  auto creds = LoadKubeconfig(kubeconfig, scratch.string());
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  KubernetesOptions options;
  options.credentials = *creds;
  if (const char* ns = std::getenv("SPACEPORT_KUBE_TEST_NAMESPACE")) options.credentials.namespace_name = ns;
  const char* image = std::getenv("SPACEPORT_KUBE_TEST_IMAGE");
  options.image = image != nullptr ? image : "python:3.12-slim";
  options.hold_timeout = Millis(300000);
  auto driver = MakeKubernetesDriver(options);
  ASSERT_TRUE(driver.ok()) << driver.status().message();

  const std::string space = "spaceport-test/real-" + RandomHex(3);
  auto spec_for = [&](const std::string& version) {
    InstanceSpec spec;
    spec.space_id = space;
    spec.port = *PickFreeLoopbackPort();
    spec.argv = {"python3", "-c",
                 "import http.server,os\n"
                 "class H(http.server.BaseHTTPRequestHandler):\n"
                 "  def do_GET(self):\n"
                 "    b=os.environ['VERSION'].encode();self.send_response(200);"
                 "self.send_header('Content-Length',str(len(b)));self.end_headers();self.wfile.write(b)\n"
                 "http.server.HTTPServer(('0.0.0.0',int(os.environ['PORT'])),H).serve_forever()\n"};
    spec.env = {{"PORT", std::to_string(spec.port)}, {"VERSION", version}};
    spec.limits = {.memory_bytes = 256LL << 20, .cpu_millicores = 500, .pids_max = 0, .data_bytes = 0};
    return spec;
  };
  auto get = [](int port) {
    http::ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
    req.timeout = Millis(300000);
    return http::Fetch(req);
  };
  InstanceSpec first = spec_for("one");
  auto id = (*driver)->Start(first, [](InstanceId, const ExitStatus&) {});
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto resp = get(first.port);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->body, "one");
  ASSERT_TRUE((*driver)->Stop(*id, Millis(10000)).ok());
  InstanceSpec second = spec_for("two");
  auto woke = (*driver)->Start(second, [](InstanceId, const ExitStatus&) {});
  ASSERT_TRUE(woke.ok()) << woke.status().message();
  resp = get(second.port);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->body, "two");
  ASSERT_TRUE((*driver)->Stop(*woke, Millis(10000)).ok());
  EXPECT_TRUE((*driver)->Discard(space).ok());
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace spaceport::runtime::kubernetes
