// edge_bench_server: an EdgeServer with one route, for bench/edge/run.
//
// Usage: edge_bench_server --port P --upstream-port U [--threads N] [--ledger-dir DIR]
//                          [--ledger-store postgres://...]
// Serves until SIGINT/SIGTERM, both to 127.0.0.1:U, through the whole filter
// chain `spaceport serve` uses (routing, sanitizing, access, app state):
//   http://bench-app.localhost:P/      a public app, anonymous visitors;
//   http://bench-private.localhost:P/  a private app whose visitor is signed
//     in with an app-host cookie, printed at start as "cookie sp_app=...",
//     made from a hub session as the hub's hand-off makes it, so each
//     request checks the cookie, that its hub session lives, and hands the
//     app an identity. (The session lives in an in-memory store.)
//   http://bench-paid.localhost:P/     a priced app (1000 micro-units a
//     request) whose signed-in visitor ("paid-cookie sp_app=...") has a
//     funded wallet: each request is held, forwarded and charged, the charge
//     durable (the journal in --ledger-dir, fsync per group commit) before
//     the answer leaves, folded in the background into the ledger's store:
//     SQLite in --ledger-dir, or the PostgreSQL database --ledger-store.
// No token reaches it (wrk sends none), so the token cache has no store.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "access/access_table.h"
#include "access/app_sessions.h"
#include "access/caller_cache.h"
#include "access/sessions.h"
#include "access/signing_keys.h"
#include "access/tokens.h"
#include "billing/ledger.h"
#include "billing/meter.h"
#include "core/strings.h"
#include "edge/edge_server.h"

namespace {

spaceport::runtime::AppRoute BenchRoute(const std::string& space_id, const std::string& subdomain, int port) {
  spaceport::runtime::AppRoute route;
  route.space_id = space_id;
  route.subdomain = subdomain;
  route.stage = spaceport::runtime::Stage::kRunning;
  route.upstream_host = "127.0.0.1";
  route.upstream_port = port;
  route.generation = 1;
  return route;
}

}  // namespace

int main(int argc, char** argv) {
  spaceport::edge::EdgeOptions options;
  int upstream_port = 0;
  std::string ledger_dir = "/tmp";
  std::string ledger_url;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--ledger-dir") ledger_dir = argv[i + 1];
    if (flag == "--ledger-store") ledger_url = argv[i + 1];
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
  routes.Publish(BenchRoute("bench/app", "bench-app", upstream_port));
  routes.Publish(BenchRoute("bench/private", "bench-private", upstream_port));
  auto pricing = std::make_shared<spaceport::billing::Pricing>();
  pricing->per_request = 1000;
  spaceport::runtime::AppRoute paid = BenchRoute("bench/paid", "bench-paid", upstream_port);
  paid.pricing = pricing;
  paid.space_key = 3;
  routes.Publish(paid);

  char keys_dir[] = "/tmp/spaceport-edge-bench-keys.XXXXXX";
  if (mkdtemp(keys_dir) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string keys_path = std::string(keys_dir) + "/identity-keys.json";
  auto keys = spaceport::access::SigningKeys::Open({.path = keys_path}, clock.get());
  std::remove(keys_path.c_str());
  rmdir(keys_dir);
  if (!keys.ok()) {
    std::fprintf(stderr, "keys: %s\n", keys.status().ToString().c_str());
    return 1;
  }
  spaceport::access::AccessTable table;
  spaceport::access::SpaceAccess private_app;
  private_app.visibility = spaceport::access::Visibility::kPrivate;
  spaceport::access::Authenticator no_tokens(nullptr, clock.get());
  spaceport::access::CallerCache callers(&no_tokens, clock.get());
  spaceport::access::AppSessions sessions(keys->get(), clock.get(), "http://bench.localhost");
  spaceport::store::StoreOptions store_options;
  store_options.url = "sqlite::memory:";
  auto store = spaceport::store::Store::Open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto user = (*store)->CreateUser("bench", false, clock->UnixMillis());
  spaceport::access::SessionManager hub_sessions(store->get(), clock.get());
  auto hub_session =
      user.ok() ? hub_sessions.Issue(user->id) : spaceport::Result<spaceport::access::IssuedSession>(user.status());
  if (!hub_session.ok()) {
    std::fprintf(stderr, "hub session: %s\n", hub_session.status().ToString().c_str());
    return 1;
  }
  private_app.readers = {user->id};
  table.Publish("bench/private", private_app);
  auto cookie = sessions.Redeem(sessions.MintCode({.user_id = user->id, .name = "bench"}, "bench/private",
                                                  spaceport::access::HashSessionId(hub_session->id)),
                                "bench/private");
  if (!cookie.ok()) {
    std::fprintf(stderr, "cookie: %s\n", cookie.status().ToString().c_str());
    return 1;
  }
  auto paid_cookie = sessions.Redeem(sessions.MintCode({.user_id = user->id, .name = "bench"}, "bench/paid",
                                                       spaceport::access::HashSessionId(hub_session->id)),
                                     "bench/paid");
  auto ledger_store = ledger_url.empty()
                          ? spaceport::store::OpenSqliteBillingStore(ledger_dir + "/bench-ledger.db")
                          : spaceport::store::OpenBillingStore({.url = ledger_url, .secrets_key = "", .fence = nullptr});
  auto ledger = ledger_store.ok() ? spaceport::billing::Ledger::Open(ledger_store->get(), clock.get(),
                                                                   {.journal_dir = ledger_dir + "/journal"})
                                  : spaceport::Result<std::unique_ptr<spaceport::billing::Ledger>>(ledger_store.status());
  if (!paid_cookie.ok() || !ledger.ok()) {
    std::fprintf(stderr, "metered app: %s %s\n", paid_cookie.status().ToString().c_str(),
                 ledger.status().ToString().c_str());
    return 1;
  }
  auto funded = (*ledger)->Transfer({"bench-funds-" + spaceport::RandomHex(8), "external:funding",
                                     spaceport::billing::WalletAccount(user->id), 1'000'000'000'000LL, "grant", 0, "", 0, 0});
  if (!funded.ok()) {
    std::fprintf(stderr, "funding: %s\n", funded.status().ToString().c_str());
    return 1;
  }
  spaceport::billing::Meter meter(ledger->get(), clock.get(), nullptr);
  std::string hub_url = "http://bench.localhost";
  options.metering = {.meter = &meter, .owners = &table, .sessions = &sessions, .hub_url = &hub_url};
  spaceport::edge::EdgeAccess access{
      .table = &table, .callers = &callers, .sessions = &sessions, .hub_sessions = &hub_sessions};
  auto server = spaceport::edge::EdgeServer::Start(options, &routes, nullptr, clock.get(), access);
  if (!server.ok()) {
    std::fprintf(stderr, "edge: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("cookie sp_app=%s\n", cookie->c_str());
  std::printf("paid-cookie sp_app=%s\n", paid_cookie->c_str());
  std::printf("listening on %d\n", (*server)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Stop();
  (void)(*ledger)->Flush();
  std::printf("charged %lld\n", static_cast<long long>((*ledger)->BalanceOf("earnings:bench") +
                                                        (*ledger)->BalanceOf("platform:fees")));
  return 0;
}
