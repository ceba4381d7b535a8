// Fuzz target: payment webhooks as providers (or forgers) send them, to
// billing/webhooks.h. The input is a header line, then the body. The body
// is verified once with the header as given and once re-signed, so the
// event parsers behind the signature are reached; both schemes (Stripe,
// Standard Webhooks) with fixed secrets. Checks (webhooks.h): failures are
// InvalidArgument, what we signed verifies, and a parsed event moves a
// positive amount of at most kMaxPrice, with an id and a user.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "billing/webhooks.h"
#include "fuzz_support.h"

namespace spaceport::billing {
namespace {

constexpr char kStripeSecret[] = "whsec_fuzz_stripe";
constexpr char kStandardSecret[] = "whsec_ZnV6eiBzdGFuZGFyZCB3ZWJob29rIGtleQ==";
constexpr int64_t kNow = 1'700'000'000;

void CheckEvent(const Result<WalletEvent>& e) {
  if (!e.ok()) {
    SP_FUZZ_CHECK(e.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  if (e->kind == WalletEvent::kNone) return;
  SP_FUZZ_CHECK(e->amount > 0 && e->amount <= kMaxPrice);
  SP_FUZZ_CHECK(!e->id.empty() && !e->user.empty());
}

void Run(std::string_view header, std::string_view body) {
  // As given: refused with InvalidArgument (the fuzzer cannot make our MACs).
  Status stripe = VerifyStripeSignature(header, body, kStripeSecret, kNow);
  if (!stripe.ok()) SP_FUZZ_CHECK(stripe.code() == StatusCode::kInvalidArgument);
  Status standard = VerifyStandardSignature("msg_fuzz", std::to_string(kNow), header, body, kStandardSecret, kNow);
  if (!standard.ok()) SP_FUZZ_CHECK(standard.code() == StatusCode::kInvalidArgument);
  // Re-signed: the parsers get the body.
  SP_FUZZ_CHECK(VerifyStripeSignature(StripeSignatureHeader(body, kStripeSecret, kNow), body, kStripeSecret, kNow).ok());
  SP_FUZZ_CHECK(VerifyStandardSignature("msg_fuzz", std::to_string(kNow), StandardSignature("msg_fuzz", kNow, body, kStandardSecret),
                                        body, kStandardSecret, kNow)
                    .ok());
  nlohmann::json event = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return;
  CheckEvent(ParseStripeEvent(event, 10'000));
  CheckEvent(ParseStripeEvent(event, 1'000'000));
  CheckEvent(ParseStandardEvent("msg_fuzz", event));
}

}  // namespace
}  // namespace spaceport::billing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t nl = bytes.find('\n');
  std::string_view header = nl == std::string_view::npos ? std::string_view() : bytes.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? bytes : bytes.substr(nl + 1);
  spaceport::billing::Run(header, body);
  return 0;
}
