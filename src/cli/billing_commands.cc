// wallet, earnings, usage, payouts: billing through the API (docs/billing.md).
#include <cstdio>
#include <ostream>

#include "billing/pricing.h"
#include "cli/command.h"
#include "core/strings.h"

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

// A Space's requests, charges, revenue and subscribers per day (or hour).
int Usage(CliContext& ctx, const ParsedArgs& args) {
  std::string id;
  if (!SpaceIdArg(ctx, args, 0, &id)) return kExitUsage;
  std::string query;
  for (const char* flag : {"from", "to", "bucket"}) {
    if (auto v = args.Value(flag)) query += std::string(query.empty() ? "?" : "&") + flag + "=" + UrlEncode(*v);
  }
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> usage = ctx.Api().Get(SpaceApiPath(id, "/usage") + query);
  if (!usage.ok()) return Fail(ctx, usage.status());
  if (args.json()) {
    PrintJson(ctx, *usage);
    return kExitOk;
  }
  const json& u = usage->body;
  const std::string currency = JsonString(u, "currency");
  const bool hours = JsonString(u, "bucket") == "hour";
  ctx.out << (hours ? "hour              " : "day         ") << "requests  charged     free  refused  limited  "
          << "subscribers  revenue\n";
  const json points = u.is_object() && u.contains("points") ? u["points"] : json::array();
  char line[256];
  for (const json& p : points) {
    std::string start = JsonString(p, "start").substr(0, hours ? 16 : 10);
    std::snprintf(line, sizeof(line), "%-*s %8lld %8lld %8lld %8lld %8lld %12lld  ", hours ? 17 : 11, start.c_str(),
                  static_cast<long long>(JsonInt(p, "requests")), static_cast<long long>(JsonInt(p, "charged")),
                  static_cast<long long>(JsonInt(p, "free")), static_cast<long long>(JsonInt(p, "refused")),
                  static_cast<long long>(JsonInt(p, "rateLimited")), static_cast<long long>(JsonInt(p, "subscribers")));
    ctx.out << line << Money(JsonInt(p, "revenue"), currency) << "\n";
  }
  const json total = u.is_object() && u.contains("total") ? u["total"] : json::object();
  ctx.out << "total: " << JsonInt(total, "requests") << " requests, " << JsonInt(total, "charged") << " charged, "
          << Money(JsonInt(total, "revenue"), currency) << " paid by visitors\n";
  return kExitOk;
}

int PayoutsList(CliContext& ctx, const ParsedArgs& args) {
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> resp = ctx.Api().Get("/api/billing/payouts");
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  const json& b = resp->body;
  const std::string currency = JsonString(b, "currency");
  const json owners = b.is_object() && b.contains("owners") ? b["owners"] : json::array();
  if (owners.empty()) ctx.out << "No earnings yet.\n";
  for (const json& o : owners) {
    ctx.out << JsonString(o, "owner") << "  due " << Money(JsonInt(o, "due"), currency) << ", paid out "
            << Money(JsonInt(o, "paidOut"), currency) << "\n";
  }
  const json payouts = b.is_object() && b.contains("payouts") ? b["payouts"] : json::array();
  if (!payouts.empty()) ctx.out << "latest payouts:\n";
  for (const json& p : payouts) {
    ctx.out << "  " << JsonString(p, "createdAt").substr(0, 10) << "  " << JsonString(p, "owner") << "  "
            << Money(JsonInt(p, "amount"), currency) << "  " << JsonString(p, "reference") << "  ("
            << JsonString(p, "id") << ")\n";
  }
  return kExitOk;
}

int PayoutsRecord(CliContext& ctx, const ParsedArgs& args) {
  std::optional<int64_t> amount = ParseInt(args.positional[1]);
  if (!amount || *amount <= 0) return UsageFailure(ctx, "AMOUNT is a positive number of micro-units (1000000 = 1 unit)");
  json body = {{"owner", args.positional[0]}, {"amount", *amount}};
  for (const char* flag : {"reference", "destination", "id"}) {
    if (auto v = args.Value(flag)) body[flag] = *v;
  }
  if (!body.contains("reference") && !body.contains("destination")) {
    return UsageFailure(ctx, "say how it was paid (--reference TEXT) or where to send it (--destination acct_...)");
  }
  if (body.contains("destination") && !body.contains("id")) {
    return UsageFailure(ctx, "--destination sends money: give it an --id, and the same --id again on a retry");
  }
  if (Status s = RequireToken(ctx); !s.ok()) return Fail(ctx, s);
  Result<ApiResponse> resp = ctx.Api().Call("POST", "/api/billing/payouts", body);
  if (!resp.ok()) return Fail(ctx, resp.status());
  if (args.json()) {
    PrintJson(ctx, *resp);
    return kExitOk;
  }
  const json p = resp->body.is_object() && resp->body.contains("payout") ? resp->body["payout"] : json::object();
  ctx.out << (resp->body.value("applied", false) ? "Paid out " : "Recorded before: ")
          << billing::FormatMicros(JsonInt(p, "amount")) << " to " << JsonString(p, "owner") << " ("
          << JsonString(p, "id") << ", " << JsonString(p, "reference") << ")\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> BillingCommands() {
  return {
      {"wallet", "wallet", "show your wallet's balance", "", {}, 0, 0, Wallet},
      {"earnings", "earnings [ORG]", "show what your Spaces (or an organization's) earned", "", {}, 0, 1, Earnings},
      {"usage", "usage OWNER/NAME [--from DATE] [--to DATE] [--bucket day|hour]",
       "show a Space's requests, charges, revenue and subscribers over time",
       "  --from, --to      a date (2026-12-01), a UTC time (2026-12-01T10:00:00Z) or unix millis;\n"
       "                    default: the last 30 days (48 hours by hour)\n"
       "  --bucket B        day (default) or hour\n",
       {{"from", true}, {"to", true}, {"bucket", true}}, 1, 1, Usage},
      {"payouts list", "payouts list", "show what each owner has earned and not been paid (administrators)", "", {},
       0, 0, PayoutsList},
      {"payouts record", "payouts record OWNER AMOUNT (--reference TEXT | --destination acct_...) [--id ID]",
       "pay an owner's earnings out (administrators)",
       "  AMOUNT            micro-units (1000000 = 1 unit of the currency), at most what is due\n"
       "  --reference TEXT  how it was paid (a bank transfer's reference)\n"
       "  --destination A   send it with a Stripe Connect transfer to the connected account A\n"
       "                    (needs --id)\n"
       "  --id ID           makes a retry harmless: the same ID is recorded (and paid) once\n",
       {{"reference", true}, {"destination", true}, {"id", true}}, 2, 2, PayoutsRecord},
  };
}

}  // namespace spaceport::cli
