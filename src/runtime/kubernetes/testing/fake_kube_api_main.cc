// fake_kube_api: the TEST DOUBLE of a Kubernetes API server
// (fake_kube_api.h) as a process of its own, for end-to-end tests that run
// `spaceport serve --runtime kubernetes` against it.
//
// usage: fake_kube_api --token TOKEN [--record-dir DIR] [--pod-log-dir DIR]
// Prints "fake Kubernetes API (test double) on URL" once listening; runs
// until SIGTERM or SIGINT, then ends its pods.
#include <signal.h>

#include <iostream>
#include <string>

#include "runtime/kubernetes/testing/fake_kube_api.h"

int main(int argc, char** argv) {
  spaceport::runtime::kubernetes::testing::FakeKubeApi::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--token") {
      options.token = value;
    } else if (flag == "--record-dir") {
      options.record_dir = value;
    } else if (flag == "--pod-log-dir") {
      options.pod_log_dir = value;
    } else {
      std::cerr << "usage: fake_kube_api --token TOKEN [--record-dir DIR] [--pod-log-dir DIR]\n";
      return 2;
    }
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before any thread starts
  auto api = spaceport::runtime::kubernetes::testing::FakeKubeApi::Start(options);
  if (!api.ok()) {
    std::cerr << "fake_kube_api: " << api.status().message() << "\n";
    return 1;
  }
  std::cout << "fake Kubernetes API (test double) on " << (*api)->url() << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;
}
