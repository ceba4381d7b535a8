// edge_bench_server: an EdgeServer with one route, for bench/edge/run.
//
// Usage: edge_bench_server --port P --upstream-port U [--threads N]
// Serves http://bench-app.localhost:P/ -> 127.0.0.1:U until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "edge/edge_server.h"

int main(int argc, char** argv) {
  spaceport::edge::EdgeOptions options;
  int upstream_port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--port") options.listen_port = value;
    if (flag == "--upstream-port") upstream_port = value;
    if (flag == "--threads") options.threads = value;
  }
  if (upstream_port <= 0) {
    std::fprintf(stderr, "usage: %s --port P --upstream-port U [--threads N]\n", argv[0]);
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // threads inherit the mask

  auto clock = spaceport::MakeRealClock();
  spaceport::runtime::RouteTable routes;
  spaceport::runtime::AppRoute route;
  route.space_id = "bench/app";
  route.subdomain = "bench-app";
  route.stage = "RUNNING";
  route.upstream_host = "127.0.0.1";
  route.upstream_port = upstream_port;
  route.generation = 1;
  routes.Publish(route);
  auto server = spaceport::edge::EdgeServer::Start(options, &routes, nullptr, clock.get());
  if (!server.ok()) {
    std::fprintf(stderr, "edge: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %d\n", (*server)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Stop();
  return 0;
}
