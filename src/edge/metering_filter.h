// MeteringFilter: the edge's part of billing (docs/billing.md). Runs after
// access (it needs the caller) and before activation (a request that will
// not be served must not wake the app), for proxied app requests whose
// deployed card has prices (AppRoute::pricing).
//
// It asks the Meter (billing/meter.h), in memory, what the request is: free
// (a free route, one of the visitor's free requests today, one included in
// their plan, or the owner or a member of the owning organization, who are
// never charged or limited), charged (a hold on the wallet now, kept in
// ctx.meter and settled when the app answers, client_proxy.cc), or refused:
// 429 with Retry-After and RateLimit-Policy / RateLimit (IETF draft) for a
// rate limit; 402 with JSON {error, price, balance, topup_url} (an HTML page
// with the same facts for browsers) when the wallet is short or an
// anonymous visitor has used the free requests (with a sign-in link), or
// {error, plans, subscribe_url} for a route of a plan the caller lacks.
// Every request it passes gets X-Spaceport-Plan (the caller's plan on the
// Space, "free", or "owner"), also as the claim "plan" of the signed
// X-Spaceport-Identity of a signed-in caller; client-sent ones were
// stripped before.
//
// Static Spaces are metered too: their charge is posted by the worker that
// serves the file (client_connection.cc, ChargingWriter). No store call: the meter and the ledger's
// holds are in memory.
// Thread safety: shared by all connections; the meter is thread safe.
#pragma once

#include <string>

#include "access/access_table.h"
#include "access/app_sessions.h"
#include "billing/meter.h"
#include "edge/filter.h"

namespace spaceport::edge {

struct MeteringDeps {
  billing::Meter* meter = nullptr;
  const access::AccessTable* owners = nullptr;  // IsOwnerMember
  const access::AppSessions* sessions = nullptr;  // re-signs the identity with the plan claim
  // The hub's public URL for the links in 402s (no trailing slash); may be
  // set after the edge starts, before any priced route is published.
  const std::string* hub_url = nullptr;
  std::string currency = "usd";
};

class MeteringFilter : public Filter {
 public:
  explicit MeteringFilter(MeteringDeps deps) : deps_(std::move(deps)) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  http::Response PaymentRequired(const RequestContext& ctx, const billing::Admission& a) const;
  http::Response RateLimited(const billing::Admission& a) const;

  MeteringDeps deps_;
};

// "RateLimit-Policy: 60;w=60" and "RateLimit: limit=60, remaining=3, reset=7".
void AddRateLimitHeaders(http::Headers& h, const billing::Admission& a);

}  // namespace spaceport::edge
