// `spaceport serve`: wires the modules together and runs until SIGINT/SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <memory>

#include "access/tokens.h"
#include "app/commands.h"
#include "app/data_dir.h"
#include "app/flags.h"
#include "build/builder.h"
#include "core/log.h"
#include "core/strings.h"
#include "edge/edge_server.h"
#include "hub/hub.h"
#include "http/handler.h"
#include "repo/git_http.h"
#include "repo/repo_store.h"
#include "runtime/log_store.h"
#include "runtime/native/native_driver.h"
#include "runtime/process/process_driver.h"
#include "runtime/routes.h"
#include "runtime/supervisor.h"

namespace spaceport::app {
namespace {

// The edge must bind before the hub knows its public URL (with --listen
// HOST:0 the port is chosen at bind time), so the edge starts with this
// stand-in and the hub is plugged in right after.
class LateHandler : public http::Handler {
 public:
  void Set(http::Handler* h) { target_.store(h, std::memory_order_release); }
  void Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) override {
    http::Handler* h = target_.load(std::memory_order_acquire);
    if (h == nullptr) {
      (void)out.Send(http::Response::Json(503, R"({"error":"Spaceport is starting"})"));
      return;
    }
    h->Handle(request, body, out);
  }

 private:
  std::atomic<http::Handler*> target_{nullptr};
};

struct ServeConfig {
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string apps_domain;
  std::string public_url;
  int threads = 2;
  std::string runtime = "auto";  // auto (native when this host can) | native | process
  build::BuilderOptions builder;
};

Result<ServeConfig> ParseServeFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(Flags f, ParseFlags(args,
                                       {"data-dir", "listen", "apps-domain", "public-url", "threads",
                                        "pip-index-url", "pip-find-links", "python", "runtime"},
                                       {}));
  if (!f.positional.empty()) return Status::InvalidArgument("unexpected argument " + f.positional[0]);
  ServeConfig c;
  c.data_dir = f.Get("data-dir", ".data");
  std::string listen = f.Get("listen", "127.0.0.1:8080");
  size_t colon = listen.rfind(':');
  auto port = colon == std::string::npos ? std::nullopt : ParseInt(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return Status::InvalidArgument("--listen wants HOST:PORT, got " + listen);
  c.host = listen.substr(0, colon);
  c.port = static_cast<int>(*port);
  c.apps_domain = ToLower(f.Get("apps-domain", "localhost"));
  c.public_url = f.Get("public-url");
  auto threads = ParseInt(f.Get("threads", "2"));
  if (!threads || *threads < 1 || *threads > 64) return Status::InvalidArgument("--threads wants 1..64");
  c.threads = static_cast<int>(*threads);
  c.runtime = f.Get("runtime", "auto");
  if (c.runtime != "auto" && c.runtime != "process" && c.runtime != "native") {
    return Status::InvalidArgument("--runtime wants auto, native or process, got " + c.runtime);
  }
  c.builder.python = f.Get("python", "/usr/bin/python3");
  c.builder.pip_index_url = f.Get("pip-index-url");
  c.builder.pip_find_links = f.Get("pip-find-links");
  return c;
}

void BlockStopSignals(sigset_t* set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, set, nullptr);  // inherited by every thread started after this
  signal(SIGPIPE, SIG_IGN);
}

// The native sandbox runs each app as its own unprivileged uid, which must be
// able to traverse (not list) the data dir to reach the app and /data dirs.
Result<std::unique_ptr<runtime::RuntimeDriver>> MakeDriver(const ServeConfig& config, const DataDir& dir,
                                                           const Clock& clock) {
  if (config.runtime == "process") return runtime::MakeProcessDriver();
  RETURN_IF_ERROR(dir.AllowTraversal());
  runtime::NativeSandboxOptions options;
  options.clock = &clock;
  auto native = runtime::MakeNativeSandboxDriver(options);
  if (native.ok()) return native;
  if (config.runtime == "native") return native.status().WithContext("--runtime native");
  SP_LOG(kWarn) << "apps run WITHOUT a sandbox (plain processes): " << native.status().message();
  return runtime::MakeProcessDriver();
}

}  // namespace

int RunServeCommand(const std::vector<std::string>& args, const Clock& clock) {
  auto config = ParseServeFlags(args);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n"
              << "usage: spaceport serve --data-dir DIR --listen HOST:PORT [--apps-domain DOMAIN] [--public-url URL]\n"
                 "                       [--runtime auto|native|process] [--pip-find-links DIR] [--pip-index-url URL]\n";
    return 2;
  }
  sigset_t stop_signals;
  BlockStopSignals(&stop_signals);

  DataDir dir(config->data_dir);
  auto store = dir.OpenStore();
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return 1;
  }
  repo::RepoStore repos(dir.Path("repos"));
  repo::GitHttpService git(&repos);
  auto logs = runtime::MakeFileLogStore(dir.Path("logs"), &clock);
  config->builder.cache_dir = dir.Path("cache");
  config->builder.clock = &clock;
  auto builder = build::MakeBuilder(config->builder);
  auto driver = MakeDriver(*config, dir, clock);
  if (!driver.ok()) {
    std::cerr << "error: " << driver.status().message() << "\n";
    return 1;
  }
  runtime::RouteTable routes;
  access::SessionManager sessions(store->get(), &clock);
  access::SignInThrottle sign_in_throttle(&clock);
  access::Authenticator auth(store->get(), &clock, &sessions);

  LateHandler late_hub;
  edge::EdgeOptions edge_options;
  edge_options.listen_host = config->host;
  edge_options.listen_port = config->port;
  edge_options.threads = config->threads;
  edge_options.apps_domain = config->apps_domain;
  auto edge = edge::EdgeServer::Start(edge_options, &routes, &late_hub, &clock);
  if (!edge.ok()) {
    std::cerr << "error: " << edge.status().message() << "\n";
    return 1;
  }
  int port = (*edge)->port();
  std::string url = "http://" + config->host + ":" + std::to_string(port);
  std::string public_url = config->public_url.empty() ? url : config->public_url;

  runtime::SupervisorOptions sup_options;
  sup_options.data_dir = dir.root();
  sup_options.repos_dir = dir.Path("repos");
  sup_options.apps_domain = config->apps_domain;
  sup_options.public_url = public_url;
  runtime::Supervisor supervisor(store->get(), builder.get(), driver->get(), &routes, logs.get(), &clock, sup_options);

  hub::HubOptions hub_options;
  hub_options.public_url = public_url;
  hub_options.apps_domain = config->apps_domain;
  hub_options.app_port_suffix = port == 80 ? "" : ":" + std::to_string(port);
  hub::Hub hub({.store = store->get(), .repos = &repos, .git = &git, .control = &supervisor, .logs = logs.get(),
                .auth = &auth, .clock = &clock, .sessions = &sessions, .throttle = &sign_in_throttle},
               hub_options);
  edge::EdgeServer* edge_ptr = edge->get();
  hub.AddMetricsSource([edge_ptr](std::string* out) { edge_ptr->AppendMetrics(out); });
  late_hub.Set(&hub);

  if (Status s = supervisor.Recover(); !s.ok()) {
    SP_LOG(kWarn) << "recovering Spaces: " << s.ToString();
  }
  std::cout << "spaceport: listening on " << url << " (hub " << public_url << ", apps at http://{owner}-{name}."
            << config->apps_domain << ":" << port << "/), data in " << dir.root() << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  SP_LOG(kInfo) << "signal " << sig << ": shutting down";
  (*edge)->Stop();
  supervisor.Shutdown();
  return 0;
}

}  // namespace spaceport::app
