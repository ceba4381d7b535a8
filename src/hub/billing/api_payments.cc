// Money in and out through a payment provider (docs/billing.md): "Add
// credits" as a Stripe Checkout Session (the wallet is credited by the
// signed webhook, api_billing.cc), and payouts to creators recorded by
// administrators (a ledger transfer from the owner's earnings with an
// external reference, or a Stripe Connect transfer made first).
#include <mutex>

#include "billing/ledger.h"
#include "core/strings.h"
#include "hub/billing/billing_views.h"

namespace spaceport::hub {

billing::StripeOptions StripeOptionsOf(const HubOptions& options) {
  return {.secret_key = options.billing.stripe_secret_key,
          .api_base = options.billing.stripe_api_base,
          .ca_file = options.billing.stripe_ca_file,
          .currency = options.billing.currency,
          .minor_unit_micros = options.billing.minor_unit_micros};
}

Status SyncLedger(HubCore& hub) {
  return hub.deps().ledger != nullptr ? hub.deps().ledger->Flush() : Status::Ok();
}

Result<billing::CheckoutSession> StartCheckout(HubCore& hub, const access::Principal& who, billing::Micros amount) {
  if (hub.deps().ledger == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  // At most 10,000 units at once: a typo should not become a huge charge.
  if (amount <= 0 || amount > 10'000LL * 1'000'000) {
    return Status::InvalidArgument("'amount' must be more than 0 and at most 10000 units (in micro-units)");
  }
  const std::string back = hub.PublicUrl() + "/settings/billing";
  return billing::CreateCheckoutSession(StripeOptionsOf(hub.options()),
                                        {.user_id = who.user.id,
                                         .user_name = who.user.name,
                                         .amount = amount,
                                         .success_url = back + "?checkout=done&session={CHECKOUT_SESSION_ID}",
                                         .cancel_url = back + "?checkout=cancelled",
                                         .idempotency_key = "checkout-" + RandomHex(16)});
}

Status CheckMoneyViewer(HubCore& hub, const access::Principal& who, const std::string& owner) {
  if (EqualsIgnoreCase(owner, who.user.name)) return Status::Ok();
  Result<store::OrgRole> role = hub.deps().store->GetOrgRole(owner, who.user.id);
  if (role.ok() && *role == store::OrgRole::kAdmin) return Status::Ok();
  return Status::PermissionDenied("only " + owner + " (or the admins of the organization) see its money");
}

namespace {

// POST /api/billing/checkout {"amount"}: a Checkout Session for the caller.
Status HandleCheckout(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<int64_t> amount, OptInt(body, "amount"));
  if (!amount) return Status::InvalidArgument("'amount' (micro-units) is required");
  ASSIGN_OR_RETURN(billing::CheckoutSession session, StartCheckout(hub, who, *amount));
  return call.SendJson(200, {{"id", session.id}, {"url", session.url}, {"amount", *amount},
                             {"currency", hub.options().billing.currency}});
}

Status RequireAdmin(const access::Principal& who, bool write) {
  if (!who.user.is_admin) return Status::PermissionDenied("only an administrator manages payouts");
  if (write && !who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  return Status::Ok();
}

Json PayoutJson(const store::LedgerTransfer& t) {
  return {{"id", t.id},
          {"owner", t.debit.substr(t.debit.find(':') + 1)},
          {"amount", t.amount},
          {"reference", t.ref},
          {"createdAt", FormatIsoTime(t.at)}};
}

// GET /api/billing/payouts (administrators): what each owner has earned and
// not been paid, and the latest payouts.
Status HandleListPayouts(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  RETURN_IF_ERROR(RequireAdmin(who, false));
  if (hub.deps().billing == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  RETURN_IF_ERROR(SyncLedger(hub));
  store::BillingStore& b = *hub.deps().billing;
  ASSIGN_OR_RETURN(auto balances, b.Balances());
  Json owners = Json::array();
  for (const auto& [account, balance] : balances) {
    if (!StartsWith(account, "earnings:")) continue;
    ASSIGN_OR_RETURN(int64_t paid, b.SumBetween(account, billing::kPayoutsAccount));
    owners.push_back({{"owner", account.substr(9)}, {"due", balance}, {"paidOut", paid}});
  }
  ASSIGN_OR_RETURN(std::vector<store::LedgerTransfer> recent, b.ListTransfers(billing::kPayoutsAccount, 0, 100));
  Json payouts = Json::array();
  for (const store::LedgerTransfer& t : recent) {
    if (t.kind == "payout") payouts.push_back(PayoutJson(t));
  }
  return call.SendJson(200, {{"currency", hub.options().billing.currency}, {"owners", owners}, {"payouts", payouts}});
}

// POST /api/billing/payouts {"owner", "amount", "reference"?, "destination"?,
// "id"?} (administrators): pays `amount` of the owner's earnings out. With
// "destination" (a Stripe connected account) the money is sent by a Connect
// transfer first and its id is the reference; else "reference" says how it
// was paid (a bank transfer's id). "id" makes a retry harmless: the same id
// is the Stripe call's Idempotency-Key and the ledger transfer's id.
Status HandleRecordPayout(HubCore& hub, Call& call) {
  static std::mutex payouts_mu;  // the balance check and the transfer, one payout at a time
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  RETURN_IF_ERROR(RequireAdmin(who, true));
  if (hub.deps().ledger == nullptr) return Status::FailedPrecondition("billing is not enabled on this server");
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject());
  ASSIGN_OR_RETURN(std::optional<std::string> owner, OptString(body, "owner"));
  ASSIGN_OR_RETURN(std::optional<int64_t> amount, OptInt(body, "amount"));
  ASSIGN_OR_RETURN(std::optional<std::string> reference, OptString(body, "reference"));
  ASSIGN_OR_RETURN(std::optional<std::string> destination, OptString(body, "destination"));
  ASSIGN_OR_RETURN(std::optional<std::string> id, OptString(body, "id"));
  if (!owner || owner->empty() || !amount) return Status::InvalidArgument("'owner' and 'amount' are required");
  if (*amount <= 0) return Status::InvalidArgument("'amount' must be a positive number of micro-units");
  if (id && (id->empty() || id->size() > 100)) return Status::InvalidArgument("'id' must be 1-100 characters");
  if (destination && !StartsWith(*destination, "acct_")) {
    return Status::InvalidArgument("'destination' must be a Stripe connected account (acct_...)");
  }
  if (destination && !id) {
    // Without a stable id a retry after a lost answer would send money twice.
    return Status::InvalidArgument("'id' is required with 'destination': retry with the same id to pay once");
  }
  if (!destination && (!reference || reference->empty())) {
    return Status::InvalidArgument("'reference' (how the money was paid) or 'destination' is required");
  }
  if (reference && reference->size() > 200) return Status::InvalidArgument("'reference' is at most 200 characters");
  billing::Ledger& ledger = *hub.deps().ledger;
  const std::string account = billing::EarningsAccount(*owner);
  store::LedgerTransfer t;
  t.id = "payout:" + (id ? *id : RandomHex(12));
  t.debit = account;
  t.credit = std::string(billing::kPayoutsAccount);
  t.amount = *amount;
  t.kind = "payout";
  std::lock_guard<std::mutex> lock(payouts_mu);
  if (hub.deps().billing != nullptr) {
    if (Result<store::LedgerTransfer> before = hub.deps().billing->GetTransfer(t.id); before.ok()) {
      return call.SendJson(200, {{"payout", PayoutJson(*before)}, {"applied", false}});
    }
  }
  const billing::Micros due = ledger.BalanceOf(account);
  if (*amount > due) {
    return Status::FailedPrecondition(*owner + " has " + billing::FormatMicros(due) + " " +
                                      hub.options().billing.currency + " of earnings to pay out");
  }
  t.ref = reference.value_or("");
  if (destination) {
    ASSIGN_OR_RETURN(std::string transfer,
                     billing::CreateTransfer(StripeOptionsOf(hub.options()),
                                             {.amount = *amount, .destination = *destination,
                                              .description = "Spaceport earnings of " + *owner,
                                              .idempotency_key = t.id}));
    t.ref = "stripe " + transfer + " to " + *destination + (t.ref.empty() ? "" : ": " + t.ref);
  }
  ASSIGN_OR_RETURN(bool fresh, ledger.Transfer(t));
  t.at = hub.deps().clock->UnixMillis();
  return call.SendJson(200, {{"payout", PayoutJson(t)}, {"applied", fresh}, {"due", ledger.BalanceOf(account)}});
}

}  // namespace

void RegisterPaymentsApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("POST", "/api/billing/checkout", [h](Call& c) { return HandleCheckout(*h, c); });
  router.Add("GET", "/api/billing/payouts", [h](Call& c) { return HandleListPayouts(*h, c); });
  router.Add("POST", "/api/billing/payouts", [h](Call& c) { return HandleRecordPayout(*h, c); });
}

}  // namespace spaceport::hub
