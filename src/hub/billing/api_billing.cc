// Billing over the API (docs/billing.md): a Space's effective pricing, the
// caller's wallet and its transactions, operators' grants, and the webhooks
// through which payment providers fund wallets (Stripe's signature scheme,
// and Standard Webhooks for any other). Every movement goes through the
// ledger (billing/ledger.h): idempotent by id, durable before the answer.
#include <cstdio>
#include <ctime>
#include <map>

#include "billing/ledger.h"
#include "billing/webhooks.h"
#include "card/card.h"
#include "core/strings.h"
#include "hub/billing/billing_views.h"

namespace spaceport::hub {
namespace {

constexpr size_t kMaxWebhookBody = 1 << 20;
constexpr int64_t kDefaultPage = 50;
constexpr int64_t kMaxPage = 200;

Result<billing::Ledger*> LedgerOf(HubCore& hub) {
  if (hub.deps().ledger == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  return hub.deps().ledger;
}

Status HandlePricing(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(std::optional<billing::Pricing> pricing, card::PricingOfCardJson(ParseStoredJson(space.card_json)));
  return call.SendJson(200, pricing.value_or(billing::Pricing{}).ToJson(hub.options().billing.currency));
}

Status HandleWallet(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(billing::Ledger * ledger, LedgerOf(hub));
  billing::WalletView w = ledger->Wallet(who.user.id);
  return call.SendJson(200, {{"balance", w.balance},
                             {"held", w.held},
                             {"available", w.available()},
                             {"currency", hub.options().billing.currency}});
}

// The wallet's transfers, newest first: the amount as the wallet saw it
// (positive in, negative out).
Status HandleTransactions(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (hub.deps().billing == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  int64_t limit = ParseInt(call.Query("limit").value_or("")).value_or(kDefaultPage);
  int64_t before = ParseInt(call.Query("before").value_or("")).value_or(0);
  if (limit < 1 || before < 0) return Status::InvalidArgument("'limit' and 'before' must be positive integers");
  limit = std::min(limit, kMaxPage);
  RETURN_IF_ERROR(SyncLedger(hub));
  const std::string account = billing::WalletAccount(who.user.id);
  ASSIGN_OR_RETURN(std::vector<store::LedgerTransfer> page, hub.deps().billing->ListTransfers(account, before, limit));
  Json items = Json::array();
  for (const store::LedgerTransfer& t : page) {
    items.push_back({{"id", t.id},
                     {"amount", t.credit == account ? t.amount : -t.amount},
                     {"kind", t.kind},
                     {"counterparty", t.credit == account ? t.debit : t.credit},
                     {"spaceId", t.space_id == 0 ? Json(nullptr) : Json(std::to_string(t.space_id))},
                     {"reference", t.ref},
                     {"createdAt", FormatIsoTime(t.at)},
                     {"seq", t.seq}});
  }
  if (static_cast<int64_t>(page.size()) == limit) {
    std::string next = hub.PublicUrl() + "/api/billing/transactions?limit=" + std::to_string(limit) +
                       "&before=" + std::to_string(page.back().seq);
    http::Headers h;
    h.Set("Link", "<" + next + ">; rel=\"next\"");
    h.Set("Content-Type", "application/json");
    h.Set("Cache-Control", "no-store");
    http::Response r;
    r.status = 200;
    r.headers = h;
    r.body = DumpJson(items);
    return call.out.Send(r);
  }
  return call.SendJson(200, items);
}

// A user by name or numeric id (what a provider echoes back).
Result<store::User> FindUser(HubCore& hub, const std::string& who) {
  if (std::optional<int64_t> id = ParseInt(who); id && *id > 0) {
    Result<store::User> by_id = hub.deps().store->GetUser(*id);
    if (by_id.ok()) return by_id;
  }
  Result<store::User> by_name = hub.deps().store->GetUserByName(who);
  if (!by_name.ok()) return Status::InvalidArgument("no user '" + who.substr(0, 64) + "'");
  return by_name;
}

// Applies a verified event: credits once (by event id), or debits at most
// what the wallet still has available (credits spent cannot come back).
Result<Json> ApplyWalletEvent(HubCore& hub, const billing::WalletEvent& e, const std::string& id_prefix) {
  if (e.kind == billing::WalletEvent::kNone) return Json{{"received", true}, {"applied", false}};
  ASSIGN_OR_RETURN(billing::Ledger * ledger, LedgerOf(hub));
  ASSIGN_OR_RETURN(store::User user, FindUser(hub, e.user));
  store::LedgerTransfer t;
  t.id = id_prefix + e.id;
  t.amount = e.amount;
  t.ref = e.what;
  const std::string wallet = billing::WalletAccount(user.id);
  if (e.kind == billing::WalletEvent::kCredit) {
    t.debit = std::string(billing::kFundingAccount);
    t.credit = wallet;
    t.kind = "topup";
  } else {
    t.debit = wallet;
    t.credit = std::string(billing::kFundingAccount);
    t.kind = "refund";
    billing::Micros available = ledger->Wallet(user.id).available();
    if (t.amount > available) {
      t.ref += " (" + billing::FormatMicros(t.amount - available) + " already spent)";
      t.amount = available;
    }
    if (t.amount <= 0) return Json{{"received", true}, {"applied", false}};
  }
  ASSIGN_OR_RETURN(bool fresh, ledger->Transfer(t));
  return Json{{"received", true}, {"applied", fresh}};
}

Status HandleStripeWebhook(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::string body, call.body.ReadAll(kMaxWebhookBody));
  const auto& opts = hub.options().billing;
  RETURN_IF_ERROR(billing::VerifyStripeSignature(call.request.headers.Get("Stripe-Signature").value_or(""), body,
                                                 opts.stripe_webhook_secret, hub.deps().clock->UnixMillis() / 1000));
  Json event = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return Status::InvalidArgument("the event is not JSON");
  ASSIGN_OR_RETURN(billing::WalletEvent e, billing::ParseStripeEvent(event, opts.minor_unit_micros));
  ASSIGN_OR_RETURN(Json out, ApplyWalletEvent(hub, e, "stripe:"));
  return call.SendJson(200, out);
}

Status HandleStandardWebhook(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::string body, call.body.ReadAll(kMaxWebhookBody));
  const auto& h = call.request.headers;
  const std::string id(h.Get("webhook-id").value_or(""));
  RETURN_IF_ERROR(billing::VerifyStandardSignature(id, h.Get("webhook-timestamp").value_or(""),
                                                   h.Get("webhook-signature").value_or(""), body,
                                                   hub.options().billing.webhook_secret,
                                                   hub.deps().clock->UnixMillis() / 1000));
  Json event = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return Status::InvalidArgument("the event is not JSON");
  ASSIGN_OR_RETURN(billing::WalletEvent e, billing::ParseStandardEvent(id, event));
  ASSIGN_OR_RETURN(Json out, ApplyWalletEvent(hub, e, "webhook:"));
  return call.SendJson(200, out);
}

// POST /api/billing/grants {"user", "amount", "id"?, "note"?}: an admin
// gives credits (from external:grants). `id` makes a retry harmless.
Status HandleGrant(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.user.is_admin || !who.can_write()) return Status::PermissionDenied("only an administrator may grant credits");
  ASSIGN_OR_RETURN(billing::Ledger * ledger, LedgerOf(hub));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> user_name, OptString(body, "user"));
  ASSIGN_OR_RETURN(std::optional<int64_t> amount, OptInt(body, "amount"));
  ASSIGN_OR_RETURN(std::optional<std::string> id, OptString(body, "id"));
  ASSIGN_OR_RETURN(std::optional<std::string> note, OptString(body, "note"));
  if (!user_name || !amount) return Status::InvalidArgument("'user' and 'amount' are required");
  if (*amount <= 0 || *amount > billing::kMaxPrice) return Status::InvalidArgument("'amount' must be a positive number of micro-units");
  if (id && (id->empty() || id->size() > 100)) return Status::InvalidArgument("'id' must be 1-100 characters");
  ASSIGN_OR_RETURN(store::User user, hub.deps().store->GetUserByName(*user_name));
  store::LedgerTransfer t;
  t.id = "grant:" + (id ? *id : RandomHex(12));
  t.debit = std::string(billing::kGrantsAccount);
  t.credit = billing::WalletAccount(user.id);
  t.amount = *amount;
  t.kind = "grant";
  t.ref = note.value_or("granted by " + who.user.name).substr(0, 200);
  ASSIGN_OR_RETURN(bool fresh, ledger->Transfer(t));
  return call.SendJson(200, {{"id", t.id}, {"applied", fresh}, {"balance", ledger->Wallet(user.id).balance}});
}

Json SubscriptionJson(const store::Subscription& s, const std::string& space) {
  const char* state = s.state == store::SubscriptionState::kActive   ? "active"
                      : s.state == store::SubscriptionState::kLapsed ? "lapsed"
                                                                     : "cancelled";
  return {{"space", space},
          {"plan", s.plan},
          {"state", state},
          {"periodStart", FormatIsoTime(s.period_start)},
          {"periodEnd", FormatIsoTime(s.period_end)},
          {"cancelAtPeriodEnd", s.cancel_at_period_end}};
}

Result<billing::Subscriptions*> SubscriptionsOf(HubCore& hub) {
  if (hub.deps().subscriptions == nullptr) return Status::FailedPrecondition("plans are not offered on this server");
  return hub.deps().subscriptions;
}

// POST/GET/DELETE /api/spaces/{id}/subscription: buy a plan (paid now from
// the wallet for 30 days, renewed from it), see it, cancel at the period's end.
Status HandleSubscription(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(billing::Subscriptions * subs, SubscriptionsOf(hub));
  const std::string& method = call.request.method;
  if (method == "GET") {
    ASSIGN_OR_RETURN(store::Subscription s, subs->Get(who.user.id, space.id));
    return call.SendJson(200, SubscriptionJson(s, space.full_id()));
  }
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  if (method == "DELETE") {
    ASSIGN_OR_RETURN(store::Subscription s, subs->Cancel(who.user.id, space.id));
    return call.SendJson(200, SubscriptionJson(s, space.full_id()));
  }
  if (HubCore::IsOwner(who, space) ||
      (hub.deps().access_table != nullptr && hub.deps().access_table->IsOwnerMember(space.owner, who.user.id))) {
    return Status::InvalidArgument("the owners of a Space use all of it without a plan");
  }
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> plan, OptString(body, "plan"));
  if (!plan || plan->empty()) return Status::InvalidArgument("'plan' is required");
  ASSIGN_OR_RETURN(store::Subscription s, subs->Subscribe(who.user.id, space.id, *plan));
  return call.SendJson(200, SubscriptionJson(s, space.full_id()));
}

Status HandleMySubscriptions(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(billing::Subscriptions * subs, SubscriptionsOf(hub));
  Json list = Json::array();
  for (const store::Subscription& s : subs->OfUser(who.user.id)) {
    Result<store::Space> space = hub.deps().store->GetSpaceById(s.space_id);
    list.push_back(SubscriptionJson(s, space.ok() ? space->full_id() : std::to_string(s.space_id)));
  }
  return call.SendJson(200, list);
}

// GET /api/billing/earnings[?owner=ORG]: what the caller's Spaces (or an
// organization's, for its admins) earned: per Space and in total, gross (what
// visitors paid), fee (the platform's), net (the owner's), and paid out.
Status HandleEarnings(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (hub.deps().billing == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  std::string owner = call.Query("owner").value_or(who.user.name);
  RETURN_IF_ERROR(CheckMoneyViewer(hub, who, owner));
  RETURN_IF_ERROR(SyncLedger(hub));
  store::BillingStore& b = *hub.deps().billing;
  const std::string account = billing::EarningsAccount(owner);
  std::map<int64_t, std::pair<int64_t, int64_t>> by_space;  // Space -> (net, fee)
  for (const char* kind : {"charge", "subscription"}) {
    ASSIGN_OR_RETURN(auto sums, b.SumsBySpace(kind, account));
    for (const auto& [space, amount] : sums) by_space[space].first += amount;
  }
  ASSIGN_OR_RETURN(auto fees, b.SumsBySpace("fee", ""));
  for (const auto& [space, amount] : fees) {
    if (auto it = by_space.find(space); it != by_space.end()) it->second.second += amount;
  }
  Json spaces = Json::array();
  int64_t net = 0, fee = 0;
  for (const auto& [space_id, sums] : by_space) {
    Result<store::Space> space = hub.deps().store->GetSpaceById(space_id);
    spaces.push_back({{"id", space.ok() ? space->full_id() : std::to_string(space_id)},
                      {"gross", sums.first + sums.second},
                      {"fee", sums.second},
                      {"net", sums.first}});
    net += sums.first;
    fee += sums.second;
  }
  ASSIGN_OR_RETURN(int64_t paid_out, b.SumBetween(account, billing::kPayoutsAccount));
  return call.SendJson(200, {{"owner", owner},
                             {"currency", hub.options().billing.currency},
                             {"total", {{"gross", net + fee}, {"fee", fee}, {"net", net}, {"paidOut", paid_out}}},
                             {"balance", hub.deps().ledger != nullptr ? hub.deps().ledger->BalanceOf(account) : 0},
                             {"spaces", spaces}});
}

// GET /api/billing/audit (administrators): the ledger checked whole. The
// balances sum to zero, none of the wallets is negative, the cached balances
// equal the sums of the transfers; transfers counted and summed by kind.
Status HandleAudit(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.user.is_admin) return Status::PermissionDenied("only an administrator may audit the ledger");
  if (hub.deps().billing == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  RETURN_IF_ERROR(SyncLedger(hub));
  store::BillingStore& b = *hub.deps().billing;
  ASSIGN_OR_RETURN(auto cached, b.Balances());
  ASSIGN_OR_RETURN(auto summed, b.SumsFromTransfers());
  int64_t sum = 0;
  Json negative = Json::array();
  for (const auto& [account, balance] : cached) {
    sum += balance;
    if (StartsWith(account, "wallet:") && balance < 0) negative.push_back(account);
  }
  Json kinds = Json::object();
  int64_t count = 0, after = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<store::LedgerTransfer> page, b.AllTransfers(after, 1000));
    for (const store::LedgerTransfer& t : page) {
      Json& k = kinds[t.kind];
      if (!k.is_object()) k = {{"count", 0}, {"amount", 0}};
      k["count"] = k["count"].get<int64_t>() + 1;
      k["amount"] = k["amount"].get<int64_t>() + t.amount;
      ++count;
    }
    if (page.size() < 1000) break;
    after = page.back().seq;
  }
  ASSIGN_OR_RETURN(int64_t open_holds, b.CountOpenHolds());
  return call.SendJson(200, {{"accounts", cached.size()},
                             {"sum", sum},
                             {"negativeWallets", negative},
                             {"balancesMatchTransfers", cached == summed},
                             {"transfers", count},
                             {"byKind", kinds},
                             {"openHolds", open_holds}});
}

// "2026-12-07", "2026-12-07T10:00:00Z" (seconds and a fraction optional) or
// unix millis; nullopt otherwise.
std::optional<int64_t> ParseTimeParam(const std::string& text) {
  if (std::optional<int64_t> ms = ParseInt(text); ms && *ms >= 0) return ms;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail[8] = {0};
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7s", &y, &mo, &d, &h, &mi, &sec, tail);
  if (text.size() == 10) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d", &y, &mo, &d) != 3) return std::nullopt;
  } else if (n < 5) {
    return std::nullopt;
  }
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

Json UsagePointJson(const store::UsagePoint& p) {
  return {{"start", FormatIsoTime(p.start)},
          {"requests", p.requests},
          {"free", p.free},
          {"charged", p.charged},
          {"refused", p.refused},
          {"rateLimited", p.limited},
          {"revenue", p.request_revenue + p.subscription_revenue},
          {"requestRevenue", p.request_revenue},
          {"subscriptionRevenue", p.subscription_revenue},
          {"subscribers", p.subscribers}};
}

// GET /api/spaces/{id}/usage?from=&to=&bucket=day|hour: for the owner (or
// the organization's admins), every bucket in [from, to): the edge's request
// counts and the ledger's charges, revenue (gross) and subscribers. Defaults:
// up to now, the last 30 days by day (today's included), 48 hours by hour.
Status HandleUsage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  RETURN_IF_ERROR(CheckMoneyViewer(hub, who, space.owner));
  const std::string bucket = call.Query("bucket").value_or("day");
  if (bucket != "day" && bucket != "hour") return Status::InvalidArgument("'bucket' is day or hour");
  const int64_t width = bucket == "day" ? kDayMs : kHourMs;
  int64_t to = hub.deps().clock->UnixMillis() + 1;
  if (auto text = call.Query("to")) {
    std::optional<int64_t> t = ParseTimeParam(*text);
    if (!t) return Status::InvalidArgument("'to' is a date (2026-12-07), a UTC time (2026-12-07T10:00:00Z) or unix millis");
    to = *t;
  }
  // By default the last 30 days (48 hours), the current one included.
  int64_t from = std::max<int64_t>(0, (to - 1) / width * width - ((bucket == "day" ? 30 : 48) - 1) * width);
  if (auto text = call.Query("from")) {
    std::optional<int64_t> f = ParseTimeParam(*text);
    if (!f) return Status::InvalidArgument("'from' is a date (2026-12-07), a UTC time (2026-12-07T10:00:00Z) or unix millis");
    from = *f;
  }
  if (to < from) return Status::InvalidArgument("'from' must not be after 'to'");
  if ((to - from) / width > 1000) return Status::InvalidArgument("at most 1000 buckets at once: narrow the range");
  ASSIGN_OR_RETURN(std::vector<store::UsagePoint> points, SpaceUsage(hub, space, from, to, width));
  Json list = Json::array();
  store::UsagePoint total;
  for (const store::UsagePoint& p : points) {
    list.push_back(UsagePointJson(p));
    total.requests += p.requests;
    total.free += p.free;
    total.charged += p.charged;
    total.refused += p.refused;
    total.limited += p.limited;
    total.request_revenue += p.request_revenue;
    total.subscription_revenue += p.subscription_revenue;
  }
  Json sum = UsagePointJson(total);
  sum.erase("start");
  sum.erase("subscribers");
  return call.SendJson(200, {{"space", space.full_id()},
                             {"bucket", bucket},
                             {"from", FormatIsoTime(from)},
                             {"to", FormatIsoTime(to)},
                             {"currency", hub.options().billing.currency},
                             {"points", list},
                             {"total", sum}});
}

}  // namespace

Result<std::vector<store::UsagePoint>> SpaceUsage(HubCore& hub, const store::Space& space, int64_t from, int64_t to,
                                                  int64_t bucket_ms) {
  if (hub.deps().billing == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  if (hub.deps().meter != nullptr) RETURN_IF_ERROR(hub.deps().meter->FlushUsage(*hub.deps().billing));
  RETURN_IF_ERROR(SyncLedger(hub));
  return hub.deps().billing->Usage(space.id, from, to, bucket_ms, billing::kPlanPeriodSeconds * 1000);
}

billing::SpacePlansLookup StoreSpacePlans(store::Store* store) {
  return [store](int64_t space_key) -> Result<billing::SpacePlans> {
    ASSIGN_OR_RETURN(store::Space space, store->GetSpaceById(space_key));
    ASSIGN_OR_RETURN(std::optional<billing::Pricing> pricing, card::PricingOfCardJson(ParseStoredJson(space.card_json)));
    billing::SpacePlans out{space.owner, nullptr};
    if (pricing) out.pricing = std::make_shared<const billing::Pricing>(std::move(*pricing));
    return out;
  };
}

void RegisterBillingApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("GET", "/api/spaces/:owner/:name/pricing", [h](Call& c) { return HandlePricing(*h, c); });
  router.Add("GET", "/api/billing/wallet", [h](Call& c) { return HandleWallet(*h, c); });
  router.Add("GET", "/api/billing/transactions", [h](Call& c) { return HandleTransactions(*h, c); });
  router.Add("POST", "/api/billing/grants", [h](Call& c) { return HandleGrant(*h, c); });
  router.Add("GET", "/api/billing/audit", [h](Call& c) { return HandleAudit(*h, c); });
  router.Add("GET", "/api/billing/subscriptions", [h](Call& c) { return HandleMySubscriptions(*h, c); });
  router.Add("GET", "/api/billing/earnings", [h](Call& c) { return HandleEarnings(*h, c); });
  router.Add("GET", "/api/spaces/:owner/:name/usage", [h](Call& c) { return HandleUsage(*h, c); });
  for (const char* method : {"GET", "POST", "DELETE"}) {
    router.Add(method, "/api/spaces/:owner/:name/subscription", [h](Call& c) { return HandleSubscription(*h, c); });
  }
  router.Add("POST", "/api/billing/webhooks/stripe", [h](Call& c) { return HandleStripeWebhook(*h, c); });
  router.Add("POST", "/api/billing/webhooks/standard", [h](Call& c) { return HandleStandardWebhook(*h, c); });
}

}  // namespace spaceport::hub
