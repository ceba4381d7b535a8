#include "billing/webhooks.h"

#include <charconv>
#include <vector>

#include "core/strings.h"

namespace spaceport::billing {
namespace {

std::optional<int64_t> ParseSeconds(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s.size() > 18 || ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

Status CheckTimestamp(int64_t t, int64_t now) {
  if (t < now - kToleranceSeconds || t > now + kToleranceSeconds) {
    return Status::InvalidArgument("the webhook's timestamp is more than 300 s away from now (a replay?)");
  }
  return Status::Ok();
}

std::string Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

Result<int64_t> NonNegativeInt(const nlohmann::json& j, const char* key, std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) {
    return Status::InvalidArgument(std::string(where) + "." + key + " must be a non-negative integer");
  }
  return it->get<int64_t>();
}

}  // namespace

Status VerifyStripeSignature(std::string_view header, std::string_view body, std::string_view secret,
                             int64_t now_seconds) {
  if (secret.empty()) return Status::FailedPrecondition("no Stripe webhook secret is configured");
  if (header.empty()) return Status::InvalidArgument("no Stripe-Signature header");
  if (header.size() > 4096) return Status::InvalidArgument("the Stripe-Signature header is too long");
  std::optional<int64_t> t;
  std::vector<std::string> v1;
  for (const std::string& part : Split(std::string(header), ',')) {
    std::string_view p = Trim(part);
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) return Status::InvalidArgument("malformed Stripe-Signature header");
    std::string_view key = p.substr(0, eq), value = p.substr(eq + 1);
    if (key == "t") {
      if (t) return Status::InvalidArgument("Stripe-Signature has two timestamps");
      t = ParseSeconds(value);
      if (!t) return Status::InvalidArgument("Stripe-Signature's timestamp is not a number");
    } else if (key == "v1") {
      v1.emplace_back(value);
    }
  }
  if (!t) return Status::InvalidArgument("Stripe-Signature has no timestamp");
  if (v1.empty()) return Status::InvalidArgument("Stripe-Signature has no v1 signature");
  RETURN_IF_ERROR(CheckTimestamp(*t, now_seconds));
  std::string expected = HexEncode(HmacSha256(secret, std::to_string(*t) + "." + std::string(body)));
  bool match = false;
  for (const std::string& sig : v1) match |= ConstantTimeEquals(sig, expected);
  if (!match) return Status::InvalidArgument("no Stripe signature matches the payload");
  return Status::Ok();
}

std::string StripeSignatureHeader(std::string_view body, std::string_view secret, int64_t t) {
  return "t=" + std::to_string(t) + ",v1=" + HexEncode(HmacSha256(secret, std::to_string(t) + "." + std::string(body)));
}

namespace {

Result<std::string> StandardKey(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (!StartsWith(secret, kPrefix)) return Status::FailedPrecondition("the webhook secret must look like whsec_<base64>");
  std::optional<std::string> key = Base64Decode(secret.substr(kPrefix.size()));
  if (!key || key->empty()) return Status::FailedPrecondition("the webhook secret's key is not base64");
  return *key;
}

}  // namespace

Status VerifyStandardSignature(std::string_view id, std::string_view timestamp, std::string_view signatures,
                               std::string_view body, std::string_view secret, int64_t now_seconds) {
  ASSIGN_OR_RETURN(std::string key, StandardKey(secret));
  if (id.empty() || timestamp.empty() || signatures.empty()) {
    return Status::InvalidArgument("webhook-id, webhook-timestamp and webhook-signature are required");
  }
  if (id.size() > 256 || signatures.size() > 4096) return Status::InvalidArgument("webhook headers are too long");
  std::optional<int64_t> t = ParseSeconds(timestamp);
  if (!t) return Status::InvalidArgument("webhook-timestamp is not a number of seconds");
  RETURN_IF_ERROR(CheckTimestamp(*t, now_seconds));
  std::string expected = Base64Encode(HmacSha256(key, std::string(id) + "." + std::string(timestamp) + "." +
                                                          std::string(body)));
  bool match = false;
  for (const std::string& item : Split(std::string(signatures), ' ')) {
    std::string_view s = Trim(item);
    if (!StartsWith(s, "v1,")) continue;  // other versions (v1a: asymmetric) are not ours
    match |= ConstantTimeEquals(s.substr(3), expected);
  }
  if (!match) return Status::InvalidArgument("no webhook signature matches the payload");
  return Status::Ok();
}

std::string StandardSignature(std::string_view id, int64_t timestamp, std::string_view body, std::string_view secret) {
  Result<std::string> key = StandardKey(secret);
  if (!key.ok()) return "";
  return "v1," + Base64Encode(HmacSha256(*key, std::string(id) + "." + std::to_string(timestamp) + "." +
                                                   std::string(body)));
}

Result<WalletEvent> ParseStripeEvent(const nlohmann::json& event, Micros minor_unit_micros) {
  if (!event.is_object()) return Status::InvalidArgument("the event must be a JSON object");
  WalletEvent out;
  out.id = Field(event, "id");
  const std::string type = Field(event, "type");
  if (out.id.empty() || out.id.size() > 200 || type.empty()) return Status::InvalidArgument("the event needs an id and a type");
  auto data = event.find("data");
  if (data == event.end() || !data->is_object() || !data->contains("object") || !(*data)["object"].is_object()) {
    return Status::InvalidArgument("the event needs data.object");
  }
  const nlohmann::json& obj = (*data)["object"];
  if (type == "checkout.session.completed") {
    if (Field(obj, "payment_status") != "paid") return out;  // not (yet) paid: nothing to credit
    out.user = Field(obj, "client_reference_id");
    if (out.user.empty()) return Status::InvalidArgument("the session has no client_reference_id");
    ASSIGN_OR_RETURN(int64_t minor, NonNegativeInt(obj, "amount_total", "data.object"));
    if (minor == 0) return out;
    if (minor > kMaxPrice / minor_unit_micros) return Status::InvalidArgument("amount_total is too large");
    out.kind = WalletEvent::kCredit;
    out.amount = minor * minor_unit_micros;
    out.what = "stripe checkout " + Field(obj, "id");
    return out;
  }
  if (type == "charge.refunded") {
    auto meta = obj.find("metadata");
    if (meta != obj.end() && meta->is_object()) out.user = Field(*meta, "spaceport_user");
    if (out.user.empty()) return Status::InvalidArgument("the charge has no metadata.spaceport_user");
    ASSIGN_OR_RETURN(int64_t refunded, NonNegativeInt(obj, "amount_refunded", "data.object"));
    int64_t before = 0;
    auto prev = data->find("previous_attributes");
    if (prev != data->end() && prev->is_object() && prev->contains("amount_refunded")) {
      ASSIGN_OR_RETURN(before, NonNegativeInt(*prev, "amount_refunded", "data.previous_attributes"));
    }
    if (refunded <= before) return out;
    if (refunded - before > kMaxPrice / minor_unit_micros) return Status::InvalidArgument("amount_refunded is too large");
    out.kind = WalletEvent::kDebit;
    out.amount = (refunded - before) * minor_unit_micros;
    out.what = "stripe refund of " + Field(obj, "id");
    return out;
  }
  return out;  // other events: acknowledged, nothing moves
}

Result<WalletEvent> ParseStandardEvent(std::string_view webhook_id, const nlohmann::json& event) {
  if (!event.is_object()) return Status::InvalidArgument("the event must be a JSON object");
  if (Field(event, "type") != "wallet.credit") {
    return Status::InvalidArgument("unknown event type (expected wallet.credit)");
  }
  auto data = event.find("data");
  if (data == event.end() || !data->is_object()) return Status::InvalidArgument("the event needs data");
  WalletEvent out;
  out.kind = WalletEvent::kCredit;
  out.id = std::string(webhook_id);
  out.user = Field(*data, "user");
  if (out.user.empty()) return Status::InvalidArgument("data.user is required");
  auto amount = data->find("amount");
  if (amount == data->end() || !amount->is_number_integer() || amount->get<int64_t>() <= 0 ||
      amount->get<int64_t>() > kMaxPrice) {
    return Status::InvalidArgument("data.amount must be a positive integer of micro-units");
  }
  out.amount = amount->get<int64_t>();
  out.what = "webhook " + std::string(webhook_id);
  return out;
}

}  // namespace spaceport::billing
