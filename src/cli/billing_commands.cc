// wallet, earnings: the billing views of the API (docs/billing.md).
#include <ostream>

#include "billing/pricing.h"
#include "cli/command.h"

namespace spaceport::cli {
namespace {

using nlohmann::json;

int64_t JsonInt(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

std::string Money(int64_t micros, const std::string& currency) {
  return billing::FormatMicros(micros) + " " + currency;
}

int Wallet(CliContext& ctx, const ParsedArgs& args) {
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> wallet = ctx.Api().Get("/api/billing/wallet");
  if (!wallet.ok()) return Fail(ctx, wallet.status());
  if (args.json()) {
    PrintJson(ctx, *wallet);
    return kExitOk;
  }
  const json& w = wallet->body;
  const std::string currency = JsonString(w, "currency");
  ctx.out << "balance " << Money(JsonInt(w, "balance"), currency);
  if (JsonInt(w, "held") > 0) ctx.out << " (" << Money(JsonInt(w, "held"), currency) << " held by requests in flight)";
  ctx.out << "\n";
  return kExitOk;
}

int Earnings(CliContext& ctx, const ParsedArgs& args) {
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  std::string path = "/api/billing/earnings";
  if (!args.positional.empty()) path += "?owner=" + args.positional[0];
  Result<ApiResponse> earnings = ctx.Api().Get(path);
  if (!earnings.ok()) return Fail(ctx, earnings.status());
  if (args.json()) {
    PrintJson(ctx, *earnings);
    return kExitOk;
  }
  const json& e = earnings->body;
  const std::string currency = JsonString(e, "currency");
  const json total = e.is_object() && e.contains("total") ? e["total"] : json::object();
  ctx.out << "earned " << Money(JsonInt(total, "net"), currency) << " (visitors paid "
          << Money(JsonInt(total, "gross"), currency) << ", platform fee " << Money(JsonInt(total, "fee"), currency)
          << "), paid out " << Money(JsonInt(total, "paidOut"), currency) << "\n";
  const json spaces = e.is_object() && e.contains("spaces") ? e["spaces"] : json::array();
  for (const json& s : spaces) {
    ctx.out << "  " << JsonString(s, "id") << "  " << Money(JsonInt(s, "net"), currency) << "\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> BillingCommands() {
  return {
      {"wallet", "wallet", "show your wallet's balance", "", {}, 0, 0, Wallet},
      {"earnings", "earnings [ORG]", "show what your Spaces (or an organization's) earned", "", {}, 0, 1, Earnings},
  };
}

}  // namespace spaceport::cli
