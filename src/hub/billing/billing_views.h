// What the billing API (api_billing.cc, api_payments.cc) and the billing
// pages (web_billing.cc) share: starting a Stripe Checkout, who may see an
// owner's money, a Space's usage with the edge's latest counts.
#pragma once

#include <string>
#include <vector>

#include "billing/stripe.h"
#include "hub/hub_core.h"

namespace spaceport::hub {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 24 * kHourMs;

billing::StripeOptions StripeOptionsOf(const HubOptions& options);

// Before reading the ledger's tables: the charges journaled and not yet
// folded into the store are folded (billing/ledger.h).
Status SyncLedger(HubCore& hub);

// A Checkout Session that tops up `who`'s wallet by `amount`; the visitor
// comes back to /settings/billing.
Result<billing::CheckoutSession> StartCheckout(HubCore& hub, const access::Principal& who, billing::Micros amount);

// The owner themself, or an admin of the owning organization (earnings,
// usage, the Monetization panel); PermissionDenied otherwise.
Status CheckMoneyViewer(HubCore& hub, const access::Principal& who, const std::string& owner);

// The Space's usage per bucket (store::BillingStore::Usage), after storing
// the counts the edge has not flushed yet, so a reader sees every request.
Result<std::vector<store::UsagePoint>> SpaceUsage(HubCore& hub, const store::Space& space, int64_t from, int64_t to,
                                                  int64_t bucket_ms);

// The Space page's "Prices" panel (prices, plans with Subscribe, the
// visitor's wallet and the choice to use the app with it, the owner's way
// to the Monetization panel); "" for a Space without pricing.
// `with_wallet`: the page's frame is signed in (the visitor chose so).
// web_billing.cc.
std::string PricingPanel(HubCore& hub, const store::Space& space, const std::optional<access::Principal>& who,
                         bool with_wallet);

}  // namespace spaceport::hub
