// Webhooks that credit wallets: the signature schemes and the bodies, as
// pure functions (the hub's routes call them; the fuzzer feeds them).
//
// - Stripe (`Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`):
//   HMAC-SHA256 over "<t>.<body>" with the endpoint's signing secret; any
//   v1 may match (several during a secret's rotation); `t` within
//   kToleranceSeconds of now.
// - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature:
//   v1,<base64> [v1,<base64>...]`): HMAC-SHA256 over "<id>.<timestamp>.<body>"
//   with the secret "whsec_<base64 key>"; the same tolerance.
// Comparisons are constant time. Failure: InvalidArgument naming what is
// wrong (missing header, malformed, stale, no matching signature), which the
// routes answer 400.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "billing/pricing.h"
#include "core/status.h"

namespace spaceport::billing {

inline constexpr int64_t kToleranceSeconds = 300;

Status VerifyStripeSignature(std::string_view header, std::string_view body, std::string_view secret,
                             int64_t now_seconds);
// The header for `body` at `t` (for tests and the Stripe stand-in).
std::string StripeSignatureHeader(std::string_view body, std::string_view secret, int64_t t);

Status VerifyStandardSignature(std::string_view id, std::string_view timestamp, std::string_view signatures,
                               std::string_view body, std::string_view secret, int64_t now_seconds);
std::string StandardSignature(std::string_view id, int64_t timestamp, std::string_view body,
                              std::string_view secret);

// What a verified webhook asks for.
struct WalletEvent {
  enum Kind { kNone, kCredit, kDebit } kind = kNone;
  std::string id;    // idempotency: the provider's event id
  std::string user;  // a user name or numeric id, as sent
  Micros amount = 0;
  std::string what;  // for the ledger's reference
};

// Stripe events: checkout.session.completed with payment_status "paid"
// credits client_reference_id with amount_total (minor units: cents, which
// are 10,000 micro-units for two-decimal currencies; `minor_unit_micros`);
// charge.refunded debits metadata.user (or client_reference_id) by
// amount_refunded. Other types: kNone (answered 200, nothing moves).
Result<WalletEvent> ParseStripeEvent(const nlohmann::json& event, Micros minor_unit_micros);
// {"type":"wallet.credit","data":{"user","amount"}}: `amount` in micro-units.
Result<WalletEvent> ParseStandardEvent(std::string_view webhook_id, const nlohmann::json& event);

}  // namespace spaceport::billing
