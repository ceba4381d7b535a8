// `spaceport serve`: wires the modules together and runs until SIGINT/SIGTERM.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <set>

#include "access/tokens.h"
#include "app/commands.h"
#include "app/data_dir.h"
#include "app/docker_spaces.h"
#include "app/flags.h"
#include "billing/ledger.h"
#include "build/builder.h"
#include "build/step_runner.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "directory/directory.h"
#include "directory/health.h"
#include "directory/collections.h"
#include "directory/moderation.h"
#include "directory/signals.h"
#include "directory/traffic.h"
#include "http/client.h"
#include "edge/admission.h"
#include "edge/edge_server.h"
#include "hub/hub.h"
#include "http/handler.h"
#include "repo/git_http.h"
#include "repo/repo_store.h"
#include "store/cluster.h"
#include "store/secrets_key.h"
#include "runtime/checkpoint.h"
#include "runtime/cluster/cluster_control.h"
#include "runtime/cluster/money_forwarder.h"
#include "runtime/cluster/runtime_lease.h"
#include "runtime/data_volume.h"
#include "runtime/kubernetes/kube_driver.h"
#include "runtime/log_store.h"
#include "runtime/scheduler.h"
#include "runtime/native/build_sandbox.h"
#include "runtime/native/native_driver.h"
#include "runtime/native/package_proxy.h"
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

// The edge starts before the supervisor exists (see LateHandler); wakes that
// arrive before it is plugged in fail as "starting".
class LateWaker : public runtime::Waker {
 public:
  void Set(runtime::Waker* w) { target_.store(w, std::memory_order_release); }
  void Wake(const std::string& space_id, std::function<void(runtime::WakeResult)> done) override {
    runtime::Waker* w = target_.load(std::memory_order_acquire);
    if (w == nullptr) return done({Status::Unavailable("Spaceport is starting"), std::nullopt, 0});
    w->Wake(space_id, std::move(done));
  }

 private:
  std::atomic<runtime::Waker*> target_{nullptr};
};

int64_t HalfOfPhysicalMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<int64_t>(pages) * page_size / 2 : 0;
}

struct ServeConfig {
  std::string data_dir;
  std::string store_url;  // --store; "": the data dir's SQLite file
  std::string node_id;    // --node-id: this node among several on one PostgreSQL store
  std::string advertise;  // --advertise HOST:PORT: where other nodes reach this edge ("": the listen address)
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string apps_domain;
  std::string public_url;
  int threads = 2;
  std::string runtime = "auto";  // auto (native when this host can) | native | process | kubernetes
  // --runtime kubernetes (docs/kubernetes.md).
  std::string kubeconfig;        // "": the pod's service account
  std::string kube_namespace;    // "": the kubeconfig context's or the service account's
  std::string kube_image;
  std::string kube_volume_claim;
  std::string oci_engine = "podman";  // --oci-engine podman|none: Docker Spaces (docs/docker.md)
  std::string oci_runtime = "auto";   // --oci-runtime auto|crun|runc
  build::BuilderOptions builder;
  int build_concurrency = 2;
  int64_t build_memory_bytes = 2048LL << 20;
  int64_t build_pids = 512;
  int64_t data_bytes = 1024LL << 20;  // /data of a Space without a storage tier; 0: unbounded
  int64_t max_repo_bytes = 10240LL << 20;  // git objects plus LFS objects per repo; 0: unbounded
  int64_t ephemeral_cap_bytes = 0;  // caps the hardware's ephemeral disk (a build's files); 0: no cap
  // Sleep ladder (docs/runtime.md).
  Millis freeze_after{60000};
  Millis probe_interval{6 * 3600 * 1000};
  int64_t memory_budget_bytes = 0;  // 0: half of physical memory
  Millis wake_page_after{1000};
  int max_connections_per_ip = 1000;  // 0: no cap
  int max_worker_requests_per_ip = 16;  // hub and static requests on workers at once; 0: no cap
  edge::TrustedProxies trusted_proxies;  // whose X-Forwarded-For is believed
  // Billing (docs/billing.md).
  std::string currency = "usd";
  int64_t minor_unit_micros = 10'000;
  int platform_fee_percent = 10;
  std::string stripe_webhook_secret;
  std::string webhook_secret;
  std::string stripe_secret_key;
  std::string stripe_api_base = "https://api.stripe.com";
  std::string stripe_ca_file;
};

// A secret from a file (its first line, trimmed); "" when no file is named.
Result<std::string> ReadSecretFile(const std::string& path, const char* flag) {
  if (path.empty()) return std::string();
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return Status::InvalidArgument(std::string(flag) + ": cannot read " + path);
  std::string secret(Trim(line));
  if (secret.empty()) return Status::InvalidArgument(std::string(flag) + ": " + path + " is empty");
  return secret;
}

// Micro-units per minor unit of an ISO 4217 currency, as payment providers
// count amounts (cents for most; whole units for zero-decimal currencies).
int64_t MinorUnitMicros(const std::string& currency) {
  static const std::set<std::string> kZeroDecimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                                     "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};
  static const std::set<std::string> kThreeDecimal = {"bhd", "jod", "kwd", "omr", "tnd"};
  if (kZeroDecimal.count(currency)) return 1'000'000;
  if (kThreeDecimal.count(currency)) return 1'000;
  return 10'000;
}

Result<ServeConfig> ParseServeFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(Flags f, ParseFlags(args,
                                       {"data-dir", "listen", "apps-domain", "public-url", "threads",
                                        "pip-index-url", "pip-find-links", "python", "runtime", "freeze-after",
                                        "memory-budget", "wake-page-after", "build-timeout", "build-concurrency",
                                        "build-memory", "build-pids", "build-log-limit", "data-size", "max-repo-size",
                                        "ephemeral-disk", "max-connections-per-ip",
                                        "max-worker-requests-per-ip", "trusted-proxies", "currency",
                                        "platform-fee-percent", "stripe-webhook-secret-file", "webhook-secret-file",
                                        "stripe-secret-key-file", "stripe-api-base", "stripe-ca-file",
                                        "probe-interval", "store", "node-id", "advertise", "kubeconfig", "kube-namespace",
                                        "kube-image", "kube-volume-claim", "oci-engine", "oci-runtime"},
                                       {}));
  if (!f.positional.empty()) return Status::InvalidArgument("unexpected argument " + f.positional[0]);
  ServeConfig c;
  c.data_dir = f.Get("data-dir", ".data");
  c.store_url = f.Get("store");
  if (!c.store_url.empty() && !StartsWith(c.store_url, "sqlite:") && !store::IsPostgresUrl(c.store_url)) {
    return Status::InvalidArgument("--store wants sqlite:PATH or postgres://USER@HOST:PORT/DB");
  }
  c.node_id = f.Get("node-id", "node-" + RandomHex(4));
  if (c.node_id.empty() || c.node_id.size() > 64) return Status::InvalidArgument("--node-id wants 1-64 characters");
  c.advertise = f.Get("advertise");
  if (!c.advertise.empty() && c.advertise.rfind(':') == std::string::npos) {
    return Status::InvalidArgument("--advertise wants HOST:PORT");
  }
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
  if (c.runtime != "auto" && c.runtime != "process" && c.runtime != "native" && c.runtime != "kubernetes") {
    return Status::InvalidArgument("--runtime wants auto, native, process or kubernetes, got " + c.runtime);
  }
  c.kubeconfig = f.Get("kubeconfig");
  c.kube_namespace = f.Get("kube-namespace");
  c.kube_image = f.Get("kube-image");
  c.kube_volume_claim = f.Get("kube-volume-claim");
  if (c.runtime == "kubernetes" && (c.kube_image.empty() || c.kube_volume_claim.empty())) {
    return Status::InvalidArgument("--runtime kubernetes wants --kube-image IMAGE and --kube-volume-claim CLAIM");
  }
  c.oci_engine = f.Get("oci-engine", "podman");
  c.oci_runtime = f.Get("oci-runtime", "auto");
  if (c.oci_engine.empty() || c.oci_runtime.empty()) {
    return Status::InvalidArgument("--oci-engine wants podman (or none); --oci-runtime wants auto, crun or runc");
  }
  auto freeze_after = ParseInt(f.Get("freeze-after", "60"));
  if (!freeze_after || *freeze_after < 1) return Status::InvalidArgument("--freeze-after wants seconds >= 1");
  c.freeze_after = Millis(*freeze_after * 1000);
  auto probe_interval = ParseInt(f.Get("probe-interval", "21600"));
  if (!probe_interval || *probe_interval < 10) return Status::InvalidArgument("--probe-interval wants seconds >= 10");
  c.probe_interval = Millis(*probe_interval * 1000);
  auto budget = ParseInt(f.Get("memory-budget", "0"));
  if (!budget || *budget < 0) return Status::InvalidArgument("--memory-budget wants megabytes (0: half of RAM)");
  c.memory_budget_bytes = *budget > 0 ? *budget << 20 : HalfOfPhysicalMemory();
  auto page_after = ParseInt(f.Get("wake-page-after", "1000"));
  if (!page_after || *page_after < 0) return Status::InvalidArgument("--wake-page-after wants milliseconds");
  c.wake_page_after = Millis(*page_after);
  auto build_timeout = ParseInt(f.Get("build-timeout", "1800"));
  if (!build_timeout || *build_timeout < 1) return Status::InvalidArgument("--build-timeout wants seconds >= 1");
  c.builder.timeout = Millis(*build_timeout * 1000);
  auto concurrency = ParseInt(f.Get("build-concurrency", "2"));
  if (!concurrency || *concurrency < 1 || *concurrency > 64) return Status::InvalidArgument("--build-concurrency wants 1..64");
  c.build_concurrency = static_cast<int>(*concurrency);
  auto build_memory = ParseInt(f.Get("build-memory", "2048"));
  if (!build_memory || *build_memory < 16) return Status::InvalidArgument("--build-memory wants megabytes >= 16");
  c.build_memory_bytes = *build_memory << 20;
  c.builder.memory_limit_bytes = c.build_memory_bytes;
  auto build_pids = ParseInt(f.Get("build-pids", "512"));
  if (!build_pids || *build_pids < 8) return Status::InvalidArgument("--build-pids wants a number >= 8");
  c.build_pids = *build_pids;
  auto log_limit = ParseInt(f.Get("build-log-limit", "16"));
  if (!log_limit || *log_limit < 1) return Status::InvalidArgument("--build-log-limit wants megabytes >= 1");
  c.builder.log_limit_bytes = *log_limit << 20;
  auto data_size = ParseInt(f.Get("data-size", "1024"));
  if (!data_size || *data_size < 0 || (*data_size > 0 && *data_size < 8)) {
    return Status::InvalidArgument("--data-size wants megabytes >= 8 (0: unbounded)");
  }
  c.data_bytes = *data_size << 20;
  auto max_repo = ParseInt(f.Get("max-repo-size", "10240"));
  if (!max_repo || *max_repo < 0) return Status::InvalidArgument("--max-repo-size wants megabytes (0: unbounded)");
  c.max_repo_bytes = *max_repo << 20;
  auto ephemeral = ParseInt(f.Get("ephemeral-disk", "0"));
  if (!ephemeral || *ephemeral < 0) {
    return Status::InvalidArgument("--ephemeral-disk wants megabytes (0: the hardware's, 50 GB)");
  }
  c.ephemeral_cap_bytes = *ephemeral << 20;
  auto per_ip = ParseInt(f.Get("max-connections-per-ip", "1000"));
  if (!per_ip || *per_ip < 0 || *per_ip > 1000000) {
    return Status::InvalidArgument("--max-connections-per-ip wants a number (0: no cap)");
  }
  c.max_connections_per_ip = static_cast<int>(*per_ip);
  auto worker_per_ip = ParseInt(f.Get("max-worker-requests-per-ip", "16"));
  if (!worker_per_ip || *worker_per_ip < 0 || *worker_per_ip > 1000000) {
    return Status::InvalidArgument("--max-worker-requests-per-ip wants a number (0: no cap)");
  }
  c.max_worker_requests_per_ip = static_cast<int>(*worker_per_ip);
  auto proxies = edge::TrustedProxies::Parse(f.Get("trusted-proxies", ""));
  if (!proxies.ok()) return Status::InvalidArgument("--trusted-proxies: " + proxies.status().message());
  c.trusted_proxies = std::move(proxies).value();
  c.currency = ToLower(f.Get("currency", "usd"));
  if (c.currency.size() != 3 || !std::all_of(c.currency.begin(), c.currency.end(), [](char ch) {
        return ch >= 'a' && ch <= 'z';
      })) {
    return Status::InvalidArgument("--currency wants an ISO 4217 code such as usd or eur");
  }
  c.minor_unit_micros = MinorUnitMicros(c.currency);
  auto fee = ParseInt(f.Get("platform-fee-percent", "10"));
  if (!fee || *fee < 0 || *fee > 100) return Status::InvalidArgument("--platform-fee-percent wants 0 to 100");
  c.platform_fee_percent = static_cast<int>(*fee);
  ASSIGN_OR_RETURN(c.stripe_webhook_secret,
                   ReadSecretFile(f.Get("stripe-webhook-secret-file", ""), "--stripe-webhook-secret-file"));
  ASSIGN_OR_RETURN(c.webhook_secret, ReadSecretFile(f.Get("webhook-secret-file", ""), "--webhook-secret-file"));
  ASSIGN_OR_RETURN(c.stripe_secret_key,
                   ReadSecretFile(f.Get("stripe-secret-key-file", ""), "--stripe-secret-key-file"));
  c.stripe_api_base = f.Get("stripe-api-base", "https://api.stripe.com");
  while (!c.stripe_api_base.empty() && c.stripe_api_base.back() == '/') c.stripe_api_base.pop_back();
  if (!StartsWith(c.stripe_api_base, "https://") && !StartsWith(c.stripe_api_base, "http://")) {
    return Status::InvalidArgument("--stripe-api-base wants an http:// or https:// URL");
  }
  c.stripe_ca_file = f.Get("stripe-ca-file", "");
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
                                                           const Clock& clock, int edge_port) {
  if (config.runtime == "process") return runtime::MakeProcessDriver();
  // Pods run as uid 1000 and read the tree from the shared volume too.
  RETURN_IF_ERROR(dir.AllowTraversal());
  if (config.runtime == "kubernetes") {
    namespace kube = runtime::kubernetes;
    Result<kube::KubeCredentials> credentials = config.kubeconfig.empty()
                                                    ? kube::InClusterCredentials()
                                                    : kube::LoadKubeconfig(config.kubeconfig, dir.Path("kube"));
    if (!credentials.ok()) return credentials.status().WithContext("--runtime kubernetes");
    kube::KubernetesOptions options;
    options.credentials = *credentials;
    if (!config.kube_namespace.empty()) options.credentials.namespace_name = config.kube_namespace;
    options.image = config.kube_image;
    options.volume_claim = config.kube_volume_claim;
    options.volume_root = std::filesystem::absolute(dir.root()).lexically_normal().string();
    auto driver = kube::MakeKubernetesDriver(options);
    if (!driver.ok()) return driver.status().WithContext("--runtime kubernetes");
    return driver;
  }
  runtime::NativeSandboxOptions options;
  options.clock = &clock;
  options.egress_port = edge_port;
  // Several nodes: sandboxes left running may be the runtime node's own; the
  // node that takes the apps over sweeps them then.
  options.sweep_leftovers = !store::IsPostgresUrl(config.store_url);
  if (config.data_bytes > 0) {
    Status volumes = runtime::ProbeDataVolumes();
    options.data_volumes = volumes.ok();
    options.volume_templates_dir = dir.Path("spaces");
    if (!volumes.ok()) {
      SP_LOG(kWarn) << "Space /data sizes are NOT enforced: " << volumes.message();
    }
  }
  auto native = runtime::MakeNativeSandboxDriver(options);
  if (native.ok()) return native;
  if (config.runtime == "native") return native.status().WithContext("--runtime native");
  SP_LOG(kWarn) << "apps run WITHOUT a sandbox (plain processes): " << native.status().message();
  return runtime::MakeProcessDriver();
}

// The npm registry the host's npm is configured with (npm's default when
// npm is missing or says nothing).
std::string HostNpmRegistry() {
  Result<std::string> out = RunSimple({"npm", "config", "get", "registry"});
  std::string registry = out.ok() ? std::string(Trim(*out)) : "";
  return StartsWith(registry, "http://") || StartsWith(registry, "https://") ? registry : "https://registry.npmjs.org/";
}

// The host:port pairs a build may reach: the package sources configured.
std::vector<std::string> PackageSources(const build::BuilderOptions& b) {
  std::vector<std::string> urls = {b.npm_registry};
  if (!b.pip_index_url.empty()) urls.push_back(b.pip_index_url);
  if (b.pip_find_links.find("://") != std::string::npos) urls.push_back(b.pip_find_links);
  if (b.pip_index_url.empty() && b.pip_find_links.empty()) {
    urls.insert(urls.end(), {"https://pypi.org/", "https://files.pythonhosted.org/"});  // pip's default index
  }
  std::vector<std::string> sources;
  for (const std::string& url : urls) {
    if (auto s = runtime::native::SourceOfUrl(url); s.ok()) sources.push_back(*s);
  }
  return sources;
}

// Builds run sandboxed where apps do; otherwise (or when the build sandbox
// cannot start) as plain processes, said loudly.
struct BuildRunner {
  std::unique_ptr<runtime::native::PackageProxy> proxy;
  std::unique_ptr<build::StepRunner> runner;
  std::string unsandboxed_because;  // empty when sandboxed
};

BuildRunner MakeBuildRunner(const ServeConfig& config, const runtime::RuntimeDriver& driver, const Clock& clock) {
  BuildRunner out;
  if (!driver.Capabilities().isolated) {
    out.unsandboxed_because = "apps run without a sandbox on this host";
  } else if (auto proxy = runtime::native::PackageProxy::Start(PackageSources(config.builder)); !proxy.ok()) {
    out.unsandboxed_because = proxy.status().message();
  } else {
    out.proxy = std::move(*proxy);
    runtime::BuildSandboxOptions options;
    options.clock = &clock;
    options.sweep_leftovers = !store::IsPostgresUrl(config.store_url);
    options.limits = {config.build_memory_bytes, 2000, config.build_pids};
    options.proxy = out.proxy.get();
    auto sandbox = runtime::MakeBuildSandbox(options);
    if (sandbox.ok()) {
      out.runner = std::move(*sandbox);
      SP_LOG(kInfo) << "builds run sandboxed; package sources they may reach: "
                    << Join(out.proxy->allowed(), ", ");
      return out;
    }
    out.unsandboxed_because = sandbox.status().message();
    out.proxy.reset();
  }
  SP_LOG(kWarn) << "builds run WITHOUT a sandbox (as the server's user, with the host's network): "
                << out.unsandboxed_because;
  out.runner = build::MakeHostStepRunner(&clock);
  return out;
}

}  // namespace

// Several nodes: folds the journals other nodes' ledgers left in the data
// dir into the store (a live node holds its journal's lock: skipped).
void ReplayOtherJournals(const ServeConfig& config, const DataDir& dir, store::BillingStore* billing,
                         const Clock& clock) {
  std::error_code ec;
  const std::string mine = "ledger-journal-" + config.node_id;
  for (const auto& entry : std::filesystem::directory_iterator(dir.root(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!StartsWith(name, "ledger-journal-") || name == mine || !entry.is_directory()) continue;
    auto replayed = billing::Ledger::Open(billing, &clock, {.fee_percent = config.platform_fee_percent,
                                                            .journal_dir = entry.path().string()});
    if (!replayed.ok()) {
      SP_LOG(kInfo) << "ledger journal " << name << " not replayed: " << replayed.status().message();
      continue;
    }
    SP_LOG(kInfo) << "replayed the ledger journal " << name << " a dead node left";
  }
}

// The ledger's journal: one per node when several share a data dir.
std::string JournalDir(const ServeConfig& config, const DataDir& dir) {
  if (!store::IsPostgresUrl(dir.store_url())) return dir.Path("ledger-journal");
  return dir.Path("ledger-journal-" + config.node_id);
}

int RunServeCommand(const std::vector<std::string>& args, const Clock& clock) {
  auto config = ParseServeFlags(args);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n"
              << "usage: spaceport serve --data-dir DIR --listen HOST:PORT [--apps-domain DOMAIN] [--public-url URL]\n"
                 "                       [--store sqlite:PATH|postgres://USER@HOST:PORT/DB] [--node-id ID]\n"
                 "                       [--advertise HOST:PORT]\n"
                 "                       [--runtime auto|native|process|kubernetes] [--pip-find-links DIR] [--pip-index-url URL]\n"
                 "                       [--kubeconfig FILE] [--kube-namespace NS] [--kube-image IMAGE]\n"
                 "                       [--kube-volume-claim CLAIM] [--oci-engine podman|none] [--oci-runtime auto|crun|runc]\n"
                 "                       [--freeze-after SECONDS] [--memory-budget MB] [--wake-page-after MS]\n"
                 "                       [--probe-interval SECONDS]\n"
                 "                       [--build-timeout SECONDS] [--build-concurrency N] [--build-memory MB]\n"
                 "                       [--build-pids N] [--build-log-limit MB] [--data-size MB]\n"
                 "                       [--max-repo-size MB] [--ephemeral-disk MB] [--max-connections-per-ip N]\n"
                 "                       [--max-worker-requests-per-ip N] [--trusted-proxies ADDR[/BITS],...]\n"
                 "                       [--currency usd] [--platform-fee-percent 10]\n"
                 "                       [--stripe-webhook-secret-file FILE] [--webhook-secret-file FILE]\n"
                 "                       [--stripe-secret-key-file FILE] [--stripe-api-base URL] [--stripe-ca-file FILE]\n";
    return 2;
  }
  sigset_t stop_signals;
  BlockStopSignals(&stop_signals);
  // Every client connection, proxied exchange and app forwarder holds
  // descriptors: take all the host allows (edge/admission.h).
  if (Result<long> files = edge::RaiseOpenFileLimit(); files.ok()) {
    SP_LOG(kInfo) << "open files limit: " << *files;
  } else {
    SP_LOG(kWarn) << files.status().message();
  }

  if (Status git = repo::CheckGitVersion(); !git.ok()) {
    std::cerr << "error: " << git.message() << "\n";
    return 1;
  }
  DataDir dir(config->data_dir, config->store_url);
  // Several nodes: once this node holds the runtime lease, its writes to the
  // tables of singleton work are fenced by the lease's epoch.
  store::WriteFence write_fence;
  if (store::IsPostgresUrl(dir.store_url())) dir.set_write_fence(&write_fence);
  auto store = dir.OpenStore();
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return 1;
  }
  auto directory_store = dir.OpenDirectoryStore();
  if (!directory_store.ok()) {
    std::cerr << "error: the directory: " << directory_store.status().message() << "\n";
    return 1;
  }
  directory::Directory directory(directory_store->get(), &clock);
  directory::Signals signals(&directory, store->get(), &clock);
  directory::TrafficCounter traffic;  // the edge's visitor and answer counts, drained below
  auto moderation_store = dir.OpenModerationStore();
  if (!moderation_store.ok()) {
    std::cerr << "error: moderation: " << moderation_store.status().message() << "\n";
    return 1;
  }
  auto collection_store = dir.OpenCollectionStore();
  if (!collection_store.ok()) {
    std::cerr << "error: collections: " << collection_store.status().message() << "\n";
    return 1;
  }
  directory::Collections collections(collection_store->get(), &clock);
  hub::Hub* hub_ptr = nullptr;  // set once the hub exists; moderation acts only on requests to it
  directory::Moderation moderation(moderation_store->get(), store->get(), &signals, &clock,
                                   [&hub_ptr](const store::Space& space) {
                                     if (hub_ptr != nullptr) hub_ptr->PublishAccess(space);
                                   });
  auto billing_store = dir.OpenBillingStore();
  auto ledger = billing_store.ok() ? billing::Ledger::Open(billing_store->get(), &clock,
                                                           {.fee_percent = config->platform_fee_percent,
                                                            .journal_dir = JournalDir(*config, dir)})
                                   : Result<std::unique_ptr<billing::Ledger>>(billing_store.status());
  if (!ledger.ok()) {
    std::cerr << "error: the ledger: " << ledger.status().message() << "\n";
    return 1;
  }
  repo::RepoStore repos(dir.Path("repos"));
  repos.ClearSpillDir();  // big commit contents a killed server left behind
  repo::GitHttpService git(&repos);
  auto logs = runtime::MakeFileLogStore(dir.Path("logs"), &clock);
  config->builder.cache_dir = dir.Path("cache");
  config->builder.clock = &clock;
  config->builder.npm_registry = HostNpmRegistry();
  runtime::RouteTable routes;
  access::SessionManager sessions(store->get(), &clock);
  access::SignInThrottle sign_in_throttle(&clock);
  access::Authenticator auth(store->get(), &clock, &sessions);
  auto signing_keys = access::SigningKeys::Open({.path = dir.Path("identity-keys.json")}, &clock);
  if (!signing_keys.ok()) {
    std::cerr << "error: " << signing_keys.status().message() << "\n";
    return 1;
  }
  access::AccessTable access_table;
  access::CallerCache callers(&auth, &clock);
  access::AppSessions app_sessions(signing_keys->get(), &clock);
  auto oauth_key = store::LoadOrCreateSecretsKey(dir.Path("oauth-clients.key"));
  if (!oauth_key.ok()) {
    std::cerr << "error: " << oauth_key.status().message() << "\n";
    return 1;
  }
  access::OidcProvider oidc(signing_keys->get(), &clock,
                            {.issuer = "", .apps_domain = config->apps_domain, .client_key = std::move(*oauth_key)});

  LateHandler late_hub;
  LateWaker late_waker;
  edge::EdgeOptions edge_options;
  edge_options.waker = &late_waker;
  edge_options.wake_page_after = config->wake_page_after;
  edge_options.listen_host = config->host;
  edge_options.listen_port = config->port;
  edge_options.threads = config->threads;
  edge_options.max_connections_per_client = config->max_connections_per_ip;
  edge_options.max_local_per_client = config->max_worker_requests_per_ip;
  edge_options.trusted_proxies = config->trusted_proxies;
  // Billing at the edge: plans bought through the API (renewed below).
  auto subscriptions = billing::Subscriptions::Open(billing_store->get(), ledger->get(), &clock,
                                                    hub::StoreSpacePlans(store->get()));
  if (!subscriptions.ok()) {
    std::cerr << "error: subscriptions: " << subscriptions.status().message() << "\n";
    return 1;
  }
  billing::Meter meter(ledger->get(), &clock, subscriptions->get());
  std::string hub_url_for_edge;  // set below, before any route exists
  edge_options.metering = {.meter = &meter, .owners = &access_table, .sessions = &app_sessions,
                           .hub_url = &hub_url_for_edge,
                           .currency = config->currency};
  edge_options.apps_domain = config->apps_domain;
  edge_options.traffic = &traffic;
  edge_options.probe_token = RandomHex(24);  // this process's probes only
  auto edge = edge::EdgeServer::Start(edge_options, &routes, &late_hub, &clock,
                                      {.table = &access_table, .callers = &callers, .sessions = &app_sessions,
                                       .hub_sessions = &sessions});
  if (!edge.ok()) {
    std::cerr << "error: " << edge.status().message() << "\n";
    return 1;
  }
  int port = (*edge)->port();
  std::string url = "http://" + config->host + ":" + std::to_string(port);
  std::string public_url = config->public_url.empty() ? url : config->public_url;
  app_sessions.SetIssuer(public_url);  // before any route exists
  hub_url_for_edge = public_url;
  while (!hub_url_for_edge.empty() && hub_url_for_edge.back() == '/') hub_url_for_edge.pop_back();
  oidc.SetIssuer(public_url);
  auto driver = MakeDriver(*config, dir, clock, port);
  if (!driver.ok()) {
    std::cerr << "error: " << driver.status().message() << "\n";
    return 1;
  }
  if (config->runtime != "kubernetes") {  // a cluster would need the images in a registry
    DockerSpacesConfig docker{.engine = config->oci_engine,
                              .runtime = config->oci_runtime,
                              .state_dir = dir.Path("oci"),
                              .owner = Sha256Hex(std::filesystem::absolute(dir.root()).lexically_normal().string())
                                           .substr(0, 16),
                              .egress_port = port,
                              .data_volumes = config->data_bytes > 0 && runtime::ProbeDataVolumes().ok(),
                              .volume_templates_dir = dir.Path("spaces")};
    *driver = WithDockerSpaces(docker, clock, std::move(*driver), config->builder);
  } else {
    config->builder.oci_missing = "Docker Spaces are not run with --runtime kubernetes";
  }
  BuildRunner build_runner = MakeBuildRunner(*config, **driver, clock);
  config->builder.runner = build_runner.runner.get();
  auto builder = build::MakeBuilder(config->builder);

  runtime::SupervisorOptions sup_options;
  sup_options.data_dir = dir.root();
  sup_options.repos_dir = dir.Path("repos");
  sup_options.apps_domain = config->apps_domain;
  sup_options.public_url = public_url;
  sup_options.platform_env = [&oidc](const store::Space& space, const std::string& card_json) {
    return oidc.AppEnv(space, card_json);
  };
  sup_options.freeze_after = config->freeze_after;
  sup_options.max_concurrent_builds = config->build_concurrency;
  sup_options.memory_budget_bytes = config->memory_budget_bytes;
  sup_options.default_data_bytes = config->data_bytes;
  sup_options.ephemeral_disk_cap_bytes = config->ephemeral_cap_bytes;
  sup_options.disk_check_interval = Millis(30000);
  SP_LOG(kInfo) << runtime::DescribeCheckpointProbe(runtime::ProbeCheckpoint());
  runtime::Supervisor supervisor(store->get(), builder.get(), driver->get(), &routes, logs.get(), &clock, sup_options);

  // Several nodes: the runtime lease decides which node runs the apps; the
  // others forward app requests to it and hand it their control calls.
  std::unique_ptr<store::LeaseStore> lease_store;
  std::unique_ptr<store::ChangeFeed> changes;
  if (store::IsPostgresUrl(dir.store_url())) {
    auto feed = store::OpenChangeFeed({.url = dir.store_url()}, config->node_id, &clock);
    auto leases = feed.ok() ? store::OpenLeaseStore({.url = dir.store_url()})
                            : Result<std::unique_ptr<store::LeaseStore>>(feed.status());
    if (!leases.ok()) {
      std::cerr << "error: several nodes: " << leases.status().message() << "\n";
      return 1;
    }
    changes = std::move(*feed);
    lease_store = std::move(*leases);
  }
  const bool cluster = changes != nullptr;
  std::string advertise = config->advertise;
  if (advertise.empty()) {
    advertise = (config->host == "0.0.0.0" || config->host.empty() ? "127.0.0.1" : config->host) + ":" +
                std::to_string(port);
  }
  runtime::RuntimeLease lease(lease_store.get(), &clock,
                              {.node = config->node_id, .address = advertise, .fence = &write_fence});
  runtime::FrontRoutes front_routes(&routes, store->get());
  runtime::ClusterControl cluster_control(&supervisor, &lease, changes.get(), store->get(), &front_routes);
  auto runs_apps = [&] { return !cluster || lease.held(); };

  hub::HubOptions hub_options;
  hub_options.public_url = public_url;
  hub_options.apps_domain = config->apps_domain;
  hub_options.app_port_suffix = port == 80 ? "" : ":" + std::to_string(port);
  hub_options.max_repo_bytes = config->max_repo_bytes;
  hub_options.billing = {.currency = config->currency,
                         .minor_unit_micros = config->minor_unit_micros,
                         .stripe_webhook_secret = config->stripe_webhook_secret,
                         .webhook_secret = config->webhook_secret,
                         .stripe_secret_key = config->stripe_secret_key,
                         .stripe_api_base = config->stripe_api_base,
                         .stripe_ca_file = config->stripe_ca_file};
  hub_options.enforced = {.app_sandbox = (*driver)->Capabilities().isolated,
                          .app_limits = (*driver)->Capabilities().limits,
                          .build_sandbox = build_runner.runner->sandboxed(),
                          .disk = (*driver)->Capabilities().disk};
  if ((*driver)->Capabilities().disk) {
    SP_LOG(kInfo) << "Space /data: " << (config->data_bytes >> 20)
                  << " MB each (storage tiers: small 20 GB, medium 150 GB, large 1 TB), a volume per Space";
  }
  // Health probes go through the edge like a visitor's request (waking the
  // app if need be), marked with the edge's probe token.
  directory::ProberDeps probe_deps;
  probe_deps.target = [&supervisor](const store::Space& space) -> Result<directory::ProbeTarget> {
    ASSIGN_OR_RETURN(runtime::RuntimeInfo info, supervisor.Info(space.full_id()));
    return directory::ProbeTarget{.stage = std::string(runtime::StageName(info.stage)),
                                  .sha = info.sha,
                                  .serving = info.serving,
                                  .asleep = info.rung != "running"};
  };
  probe_deps.send = [port, &config, token = edge_options.probe_token](const store::Space& space,
                                                                     const card::ProbeSpec& spec) {
    http::ClientRequest req;
    req.method = spec.method;
    req.url = "http://127.0.0.1:" + std::to_string(port) + spec.path;
    req.headers.Set("Host", space.subdomain + "." + config->apps_domain);
    req.headers.Set("X-Spaceport-Probe", token);
    req.headers.Set("User-Agent", "spaceport-probe");
    if (!spec.body.empty()) {
      req.body = spec.body;
      req.headers.Set("Content-Type", spec.body.front() == '{' ? "application/json" : "text/plain");
    }
    req.timeout = Millis(60000);  // a wake and a slow first answer
    Result<http::ClientResponse> resp = http::Fetch(req);
    if (!resp.ok()) return directory::ProbeAnswer{.status = 0, .body = "", .error = resp.status().message()};
    return directory::ProbeAnswer{.status = resp->status, .body = resp->body.substr(0, 1 << 20), .error = ""};
  };
  directory::Prober prober(&signals, store->get(), std::move(probe_deps), &clock,
                           {.interval = config->probe_interval});
  hub::Hub hub({.store = store->get(), .repos = &repos, .git = &git,
                .control = cluster ? static_cast<runtime::SpaceControl*>(&cluster_control) : &supervisor, .logs = logs.get(),
                .auth = &auth, .clock = &clock, .sessions = &sessions, .throttle = &sign_in_throttle,
                .signing_keys = signing_keys->get(), .app_sessions = &app_sessions, .access_table = &access_table,
                .callers = &callers, .changes = changes.get(), .oidc = &oidc, .ledger = ledger->get(),
                .billing = billing_store->get(),
                .subscriptions = subscriptions->get(), .meter = &meter, .directory = &directory,
                .signals = &signals, .prober = &prober, .moderation = &moderation,
                .collections = &collections},
               hub_options);
  hub_ptr = &hub;
  edge::EdgeServer* edge_ptr = edge->get();
  hub.AddMetricsSource([edge_ptr](std::string* out) { edge_ptr->AppendMetrics(out); });

  // Identity keys rotate while the server runs (a new signing key every 30
  // days, the old one published 7 more): checked hourly, cheap when not due.
  // Plans renew from the wallet (or lapse) when their period ends: checked
  // every minute on the injected clock.
  std::function<void()> renew_plans;
  runtime::ThreadScheduler renew_timer(&clock);
  renew_plans = [&] {
    int renewed = runs_apps() ? (*subscriptions)->Renew() : 0;  // singleton work: the runtime node's
    if (renewed > 0) {
      SP_LOG(kInfo) << "renewed " << renewed << " subscriptions";
    }
    if (Status s = meter.FlushUsage(**billing_store); !s.ok()) {
      SP_LOG(kWarn) << "storing usage counts: " << s.message();
    }
    renew_timer.RunAfter(Millis(60 * 1000), renew_plans);
  };
  renew_plans();
  std::function<void()> rotate_keys;  // outlives the timer that runs it
  runtime::ThreadScheduler key_timer(&clock);
  rotate_keys = [&] {
    if (Status s = (*signing_keys)->RotateIfDue(); !s.ok()) {
      SP_LOG(kWarn) << "rotating identity keys: " << s.message();
    }
    key_timer.RunAfter(Millis(3600 * 1000), rotate_keys);
  };
  key_timer.RunAfter(Millis(3600 * 1000), rotate_keys);

  // Access rules first: a private Space's route must never be published
  // before the rule that hides it.
  if (Status s = hub.PublishAllAccess(); !s.ok()) {
    std::cerr << "error: loading access rules: " << s.message() << "\n";
    return 1;
  }
  if (changes != nullptr) {
    Status watching = changes->Watch(
        [&](const store::Change& c) {
          if (c.kind == "control") return cluster_control.ApplyRemote(c);
          hub.ApplyChange(c);
          front_routes.Apply(c);
        },
                                     [&hub] {
                                       if (Status s = hub.ResyncEdge(); !s.ok()) {
                                         SP_LOG(kWarn) << "re-reading the edge's state: " << s.message();
                                       }
                                     });
    if (!watching.ok()) {
      SP_LOG(kWarn) << "the change feed: " << watching.message();
    }
  }
  // Recover before the hub and wakes are reachable (until then the edge
  // answers 503 "starting"): a push or delete must not race the recovery.
  // One node: its apps. Several: the node holding the runtime lease recovers
  // and runs the apps (at once when it is the first; on a thread of its own
  // when it takes over, so the lease keeps being renewed); the others route
  // every Space to it.
  runtime::ThreadScheduler takeover_timer(&clock);
  bool starting = true;
  auto recover = [&] {
    if (cluster) {
      // Money: what a dead runtime node journaled goes into the store, then
      // this node's wallets are read again (it metered nothing until now).
      ReplayOtherJournals(*config, dir, billing_store->get(), clock);
      if (Status s = (*ledger)->ReloadFromStore(); !s.ok()) {
        SP_LOG(kWarn) << "reloading the wallets: " << s.message();
      }
    }
    if (cluster && (*driver)->Capabilities().isolated) {
      // What a dead runtime node on this machine left running (no other node runs apps now).
      int swept = runtime::SweepLeftoverSandboxes(runtime::NativeSandboxOptions{}.cgroup_subtree, clock) +
                  runtime::SweepLeftoverSandboxes(runtime::BuildSandboxOptions{}.cgroup_subtree, clock);
      if (swept > 0) {
        SP_LOG(kInfo) << "swept " << swept << " sandboxes a dead runtime node left";
      }
    }
    if (Status s = supervisor.Recover(); !s.ok()) {
      SP_LOG(kWarn) << "recovering Spaces: " << s.ToString();
    }
  };
  if (!cluster) {
    recover();
  } else {
    lease.Start(
        [&](const store::Lease& holder) {
          if (holder.holder == config->node_id) {
            SP_LOG(kInfo) << "this node runs the apps (runtime lease, epoch " << holder.epoch << ")";
            front_routes.Clear();
            if (starting) {
              recover();
            } else {
              takeover_timer.RunAfter(Millis(0), recover);
            }
            return;
          }
          size_t colon = holder.address.rfind(':');
          std::optional<int64_t> holder_port =
              colon == std::string::npos ? std::nullopt : ParseInt(holder.address.substr(colon + 1));
          if (!holder_port) {
            SP_LOG(kWarn) << "the runtime node " << holder.holder << " advertises no HOST:PORT: " << holder.address;
            return;
          }
          SP_LOG(kInfo) << "apps run on node " << holder.holder << " at " << holder.address;
          if (Status s = front_routes.ForwardAll(holder.address.substr(0, colon), static_cast<int>(*holder_port));
              !s.ok()) {
            SP_LOG(kWarn) << "routing Spaces to " << holder.address << ": " << s.message();
          }
        },
        [&] {
          // Another node runs the apps now: running them here too would run them twice.
          SP_LOG(kError) << "the runtime lease was lost: stopping";
          (*driver)->Detach();  // the new holder's pods in a cluster are not ours to scale
          kill(getpid(), SIGTERM);
        });
    starting = false;
  }
  runtime::MoneyForwarder money_forwarder(&hub, &lease);
  late_hub.Set(cluster ? static_cast<http::Handler*>(&money_forwarder) : &hub);
  late_waker.Set(&supervisor);
  // Spaces from before the directory get their documents in the background.
  runtime::ThreadScheduler index_timer(&clock);
  index_timer.RunAfter(Millis(0), [&hub] {
    Result<int64_t> indexed = hub.IndexUnindexed();
    if (!indexed.ok()) {
      SP_LOG(kWarn) << "directory: indexing existing Spaces: " << indexed.status().message();
    } else if (*indexed > 0) {
      SP_LOG(kInfo) << "directory: indexed " << *indexed << " existing Spaces";
    }
  });
  // The directory's signals: the edge's counts every 10 s (trending and the
  // apps' error rates), due health probes, and the abandoned rule hourly.
  runtime::ThreadScheduler signals_timer(&clock);
  std::function<void()> signals_tick;
  int64_t next_abandoned_review = 0, abandoned_cursor = 0;
  constexpr int64_t kAbandonedReviewStep = 200;
  signals_tick = [&] {
    if (Status s = signals.AddTraffic(traffic.Drain(clock.UnixMillis())); !s.ok()) {
      SP_LOG(kWarn) << "directory: storing traffic: " << s.message();
    }
    if (runs_apps()) prober.Tick();  // singleton work: the runtime node's
    // The abandoned rule over the stale Spaces: a sweep an hour, in steps of
    // kAbandonedReviewStep per tick (a large installation's first sweep
    // spreads over hours instead of holding the store).
    if (clock.UnixMillis() >= next_abandoned_review) {
      Result<int64_t> changed = signals.ReviewAbandonedBatch(&abandoned_cursor, kAbandonedReviewStep);
      if (!changed.ok()) {
        SP_LOG(kWarn) << "directory: reviewing abandoned Spaces: " << changed.status().message();
        abandoned_cursor = 0;
      } else if (*changed > 0) {
        SP_LOG(kInfo) << "directory: " << *changed << " Spaces became or stopped being abandoned";
      }
      if (abandoned_cursor == 0) next_abandoned_review = clock.UnixMillis() + 3600 * 1000;
    }
    signals_timer.RunAfter(Millis(std::min<int64_t>(10000, config->probe_interval.count())), signals_tick);
  };
  signals_timer.RunAfter(Millis(2000), signals_tick);
  std::cout << "spaceport: listening on " << url << " (hub " << public_url << ", apps at http://{owner}-{name}."
            << config->apps_domain << ":" << port << "/), data in " << dir.root() << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  SP_LOG(kInfo) << "signal " << sig << ": shutting down";
  if (changes != nullptr) changes->Stop();  // its watcher calls the hub
  (*edge)->Stop();
  // Pods in a cluster keep serving through a restart (or under the node
  // that takes the runtime over); sandboxes and processes end with us.
  (*driver)->Detach();
  supervisor.Shutdown();
  // Usage counts first: once the lease is released this node's writes are fenced.
  if (Status s = meter.FlushUsage(**billing_store); !s.ok()) {
    SP_LOG(kWarn) << "storing usage counts: " << s.message();
  }
  lease.Stop();  // released: another node takes the apps over at once
  return 0;
}

}  // namespace spaceport::app
