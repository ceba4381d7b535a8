// Hub: the requests Spaceport answers itself — the HF-compatible REST API,
// the web UI, git smart HTTP for Space repositories, /healthz and /metrics.
//
// Ownership: the Hub borrows everything in HubDeps; the composition root
// (main) owns those objects and keeps them alive longer than the Hub.
// Thread safety: Handle runs concurrently on the server's worker threads;
// AddMetricsSource may be called at any time.
// Failure: every error becomes an HTTP response in one place
// (hub/http_error.h); untrusted input never crashes the process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "access/access_table.h"
#include "access/app_sessions.h"
#include "access/caller_cache.h"
#include "access/oidc_provider.h"
#include "access/signing_keys.h"
#include "access/sessions.h"
#include "access/throttle.h"
#include "access/tokens.h"
#include "core/clock.h"
#include "http/handler.h"
#include "repo/git_http.h"
#include "repo/repo_store.h"
#include "runtime/control.h"
#include "runtime/log_store.h"
#include "billing/ledger.h"
#include "billing/meter.h"
#include "billing/subscriptions.h"
#include "directory/collections.h"
#include "directory/directory.h"
#include "directory/health.h"
#include "directory/moderation.h"
#include "directory/signals.h"
#include "store/billing_store.h"
#include "store/cluster.h"
#include "store/store.h"

namespace spaceport::hub {

struct HubDeps {
  store::Store* store = nullptr;
  repo::RepoStore* repos = nullptr;
  repo::GitHttpService* git = nullptr;
  runtime::SpaceControl* control = nullptr;
  runtime::LogStore* logs = nullptr;
  access::Authenticator* auth = nullptr;
  const Clock* clock = nullptr;
  access::SessionManager* sessions = nullptr;  // browser sign-in; null: the web UI has no sign-in
  access::SignInThrottle* throttle = nullptr;  // required when sessions is set
  // Identity and access at the edge (optional in hub-only tests): the JWKS,
  // the app-host sign-in hand-off, and the table the edge enforces.
  const access::SigningKeys* signing_keys = nullptr;
  access::AppSessions* app_sessions = nullptr;
  access::AccessTable* access_table = nullptr;
  access::CallerCache* callers = nullptr;
  // Several nodes on one PostgreSQL store (store/cluster.h): changes to the
  // edge's state are announced to the other nodes; null: one node.
  store::ChangeFeed* changes = nullptr;
  access::OidcProvider* oidc = nullptr;  // "Sign in with Spaceport" for hf_oauth apps
  // Billing (docs/billing.md); null: wallets and webhooks answer that
  // billing is not enabled. The ledger is the only writer of money.
  billing::Ledger* ledger = nullptr;
  store::BillingStore* billing = nullptr;  // reads: transactions, subscriptions
  billing::Subscriptions* subscriptions = nullptr;  // null: plans cannot be bought
  billing::Meter* meter = nullptr;  // the edge's request counters (usage); null: ledger figures only
  // The directory (docs/directory.md); null: a search is a substring match
  // on owner/name and nothing is indexed.
  directory::Directory* directory = nullptr;
  // Its signals (trending, health, abandoned, duplicates) and health probes;
  // null: none are kept (the JSON shows the defaults).
  directory::Signals* signals = nullptr;
  directory::Prober* prober = nullptr;
  // Reports and the moderators' actions; null: reports are refused.
  directory::Moderation* moderation = nullptr;
  // Curated lists of Spaces; null: the collections API answers 400.
  directory::Collections* collections = nullptr;
};

// Renewals' view of a Space from the store: its owner and the pricing of its
// stored card (billing/subscriptions.h). billing/api_billing.cc.
billing::SpacePlansLookup StoreSpacePlans(store::Store* store);

struct HubOptions {
  std::string public_url = "http://127.0.0.1:8080";  // no trailing slash needed
  std::string apps_domain = "localhost";             // apps at {owner}-{name}.{apps_domain}
  std::string app_port_suffix = ":8080";             // appended to app hosts in URLs ("" for :80)
  // What this host enforces, shown with each flavor of GET /api/spaces/hardware
  // (the server also says so at start): apps sandboxed, their cgroup limits,
  // builds sandboxed.
  struct Enforced {
    bool app_sandbox = false;
    bool app_limits = false;
    bool build_sandbox = false;
    bool disk = false;  // /data sizes (storage tiers)
  } enforced;
  // Bytes a Space's repo may take (git objects and LFS objects); pushes,
  // commits and LFS uploads past it get 413. 0: no limit.
  int64_t max_repo_bytes = 0;
  struct Billing {
    std::string currency = "usd";
    // Micro-units per minor unit of the currency in provider amounts (cents:
    // 10,000 for two-decimal currencies).
    int64_t minor_unit_micros = 10'000;
    std::string stripe_webhook_secret;  // whsec_...: Stripe-Signature
    std::string webhook_secret;         // whsec_<base64>: Standard Webhooks
    // Stripe Checkout for "Add credits" (POST /api/billing/checkout): the
    // secret API key ("" : top-ups only through webhooks and grants) and
    // the API's base URL (a stand-in in tests).
    std::string stripe_secret_key;
    std::string stripe_api_base = "https://api.stripe.com";
    // Trusted CA certificates for the Stripe API ("": the system's).
    std::string stripe_ca_file;
  } billing;
};

class HubCore;  // internal (hub/hub_core.h)

class Hub : public http::Handler {
 public:
  Hub(HubDeps deps, HubOptions options);
  ~Hub() override;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  void Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) override;

  // `source` appends Prometheus text exposition lines to the string it gets;
  // called on every GET /metrics from the request's thread.
  void AddMetricsSource(std::function<void(std::string*)> source);
  // Fills deps.access_table from the store; call before the control plane
  // publishes routes.
  Status PublishAllAccess();
  // Publishes one Space's access rules again (after a moderator changed
  // them outside the hub's own routes).
  void PublishAccess(const store::Space& space);
  // Applies another node's change (store/cluster.h) to this node's edge;
  // ResyncEdge re-reads all of it (after the feed lost its connection).
  void ApplyChange(const store::Change& change);
  Status ResyncEdge();
  // Indexes every Space the directory has no document of (installations
  // from before it); how many.
  Result<int64_t> IndexUnindexed();

 private:
  std::unique_ptr<HubCore> core_;
};

}  // namespace spaceport::hub
