// The calls Spaceport makes to Stripe's REST API (docs/billing.md): a
// Checkout Session that tops up a wallet (paid on Stripe's page; the wallet
// is credited when the signed checkout.session.completed webhook arrives,
// never on the redirect back), and a Connect transfer that pays a creator
// out. Form-encoded POSTs with the secret key as Bearer and an
// Idempotency-Key, so a retried call never charges or pays twice.
//
// `api_base` points the calls elsewhere (a stand-in in tests, a proxy).
// Thread safety: free functions; each call opens its own connection.
// Failure: FailedPrecondition when no key is configured, InvalidArgument
// for an amount the currency cannot express or a request Stripe refused as
// invalid (its message included), Unavailable when Stripe cannot be reached
// or answers anything else.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "billing/pricing.h"
#include "core/status.h"

namespace spaceport::billing {

struct StripeOptions {
  std::string secret_key;  // sk_...; "" : not configured
  std::string api_base = "https://api.stripe.com";
  std::string ca_file;  // trusted CAs for https ("": the system's)
  std::string currency = "usd";
  int64_t minor_unit_micros = 10'000;  // micro-units per cent (two-decimal currencies)
};

struct CheckoutRequest {
  int64_t user_id = 0;  // becomes client_reference_id: the wallet the webhook credits
  std::string user_name;
  Micros amount = 0;
  std::string success_url, cancel_url;
  std::string idempotency_key;
};

struct CheckoutSession {
  std::string id;
  std::string url;  // where the visitor pays
};

Result<CheckoutSession> CreateCheckoutSession(const StripeOptions& options, const CheckoutRequest& request);

struct TransferRequest {
  Micros amount = 0;
  std::string destination;  // a connected account, acct_...
  std::string description;
  std::string idempotency_key;
};

// The transfer's id (tr_...).
Result<std::string> CreateTransfer(const StripeOptions& options, const TransferRequest& request);

// The amount in the currency's minor unit (what Stripe calls amounts);
// InvalidArgument when `amount` is not a whole number of them.
Result<int64_t> ToMinorUnits(Micros amount, int64_t minor_unit_micros);

// application/x-www-form-urlencoded, Stripe's nested keys written out
// ("line_items[0][quantity]").
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace spaceport::billing
