#include "billing/stripe.h"

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "http/client.h"

namespace spaceport::billing {
namespace {

Result<nlohmann::json> Post(const StripeOptions& options, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& fields,
                            const std::string& idempotency_key) {
  if (options.secret_key.empty()) {
    return Status::FailedPrecondition("payments through Stripe are not configured on this server");
  }
  http::ClientRequest req;
  req.method = "POST";
  req.url = options.api_base + path;
  req.ca_file = options.ca_file;
  req.timeout = Millis(20000);
  req.headers.Set("Authorization", "Bearer " + options.secret_key);
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.headers.Set("Idempotency-Key", idempotency_key);
  req.body = FormEncode(fields);
  Result<http::ClientResponse> resp = http::Fetch(req);
  if (!resp.ok()) return Status::Unavailable("the payment provider cannot be reached: " + resp.status().message());
  nlohmann::json body = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  std::string message;
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    message = body["error"].value("message", "");
  }
  if (resp->status == 400 || resp->status == 402) {
    return Status::InvalidArgument("the payment provider refused: " + (message.empty() ? "no reason given" : message));
  }
  if (resp->status != 200 || !body.is_object()) {
    return Status::Unavailable("the payment provider answered " + std::to_string(resp->status) +
                               (message.empty() ? "" : ": " + message));
  }
  return body;
}

}  // namespace

Result<int64_t> ToMinorUnits(Micros amount, int64_t minor_unit_micros) {
  if (amount <= 0 || minor_unit_micros <= 0 || amount % minor_unit_micros != 0) {
    return Status::InvalidArgument("the amount must be positive and a whole number of the currency's smallest unit (" +
                                   FormatMicros(minor_unit_micros) + ")");
  }
  return amount / minor_unit_micros;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += UrlEncode(key) + "=" + UrlEncode(value);
  }
  return out;
}

Result<CheckoutSession> CreateCheckoutSession(const StripeOptions& options, const CheckoutRequest& request) {
  ASSIGN_OR_RETURN(int64_t minor, ToMinorUnits(request.amount, options.minor_unit_micros));
  ASSIGN_OR_RETURN(nlohmann::json body,
                   Post(options, "/v1/checkout/sessions",
                        {{"mode", "payment"},
                         {"client_reference_id", std::to_string(request.user_id)},
                         {"line_items[0][quantity]", "1"},
                         {"line_items[0][price_data][currency]", options.currency},
                         {"line_items[0][price_data][unit_amount]", std::to_string(minor)},
                         {"line_items[0][price_data][product_data][name]", "Spaceport credits"},
                         {"metadata[spaceport_user]", request.user_name},
                         // On the payment too, where a refund's charge.refunded finds the wallet.
                         {"payment_intent_data[metadata][spaceport_user]", std::to_string(request.user_id)},
                         {"metadata[amount_micros]", std::to_string(request.amount)},
                         {"success_url", request.success_url},
                         {"cancel_url", request.cancel_url}},
                        request.idempotency_key));
  CheckoutSession out{body.value("id", ""), body.value("url", "")};
  if (out.id.empty() || !(StartsWith(out.url, "https://") || StartsWith(out.url, "http://"))) {
    return Status::Unavailable("the payment provider's answer has no session id or URL");
  }
  return out;
}

Result<std::string> CreateTransfer(const StripeOptions& options, const TransferRequest& request) {
  ASSIGN_OR_RETURN(int64_t minor, ToMinorUnits(request.amount, options.minor_unit_micros));
  ASSIGN_OR_RETURN(nlohmann::json body, Post(options, "/v1/transfers",
                                             {{"amount", std::to_string(minor)},
                                              {"currency", options.currency},
                                              {"destination", request.destination},
                                              {"description", request.description}},
                                             request.idempotency_key));
  std::string id = body.value("id", "");
  if (id.empty()) return Status::Unavailable("the payment provider's answer has no transfer id");
  return id;
}

}  // namespace spaceport::billing
