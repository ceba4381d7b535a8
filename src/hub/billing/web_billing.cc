// Billing in the browser (docs/billing.md): the wallet page
// (/settings/billing: balance, add credits through Stripe Checkout,
// subscriptions with cancel, transactions page by page), the Space page's
// prices and plans with Subscribe, and the owner's Monetization panel
// (/spaces/{id}/settings/monetization: requests, charges, revenue and
// subscribers per day, as charts and a table). Forms carry the session's
// CSRF field (CheckSessionForm); every amount is shown from integers.
#include <algorithm>
#include <cstdio>

#include "billing/ledger.h"
#include "card/card.h"
#include "core/strings.h"
#include "hub/billing/billing_views.h"
#include "hub/html.h"
#include "hub/web_forms.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kTransactionsPerPage = 25;

std::string ToUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return s;
}

std::string Money(billing::Micros amount, const std::string& currency) {
  return HtmlEscape(billing::FormatMicros(amount)) + " " + HtmlEscape(ToUpper(currency));
}

std::string SpaceName(HubCore& hub, int64_t space_id) {
  if (space_id == 0) return "";
  Result<store::Space> s = hub.deps().store->GetSpaceById(space_id);
  return s.ok() ? s->full_id() : "#" + std::to_string(space_id);
}

std::string KindLabel(const std::string& kind) {
  if (kind == "topup") return "Credits added";
  if (kind == "grant") return "Credits granted";
  if (kind == "charge" || kind == "fee") return "Request";
  if (kind == "subscription") return "Plan";
  if (kind == "refund") return "Refund";
  return kind;
}

std::string TransactionsPanel(HubCore& hub, Call& call, const access::Principal& who, const std::string& currency) {
  int64_t before = ParseInt(call.Query("before").value_or("")).value_or(0);
  if (before < 0) before = 0;
  const std::string account = billing::WalletAccount(who.user.id);
  Status synced = SyncLedger(hub);
  Result<std::vector<store::LedgerTransfer>> page =
      synced.ok() ? hub.deps().billing->ListTransfers(account, before, kTransactionsPerPage)
                  : Result<std::vector<store::LedgerTransfer>>(synced);
  std::string html = "<section class=\"panel\"><h2>Transactions</h2>";
  if (!page.ok()) return html + "<p class=\"muted\">" + HtmlEscape(page.status().message()) + "</p></section>";
  if (page->empty()) return html + "<p class=\"muted\" id=\"no-transactions\">No transactions yet.</p></section>";
  html += "<table class=\"list\" id=\"transactions\"><tr><th>When</th><th>What</th><th>Space</th><th>Amount</th>"
          "<th>Reference</th></tr>";
  for (const store::LedgerTransfer& t : *page) {
    const bool in = t.credit == account;
    std::string space = SpaceName(hub, t.space_id);
    html += "<tr class=\"tx\" data-kind=\"" + HtmlEscape(t.kind) + "\" data-amount=\"" +
            std::to_string(in ? t.amount : -t.amount) + "\"><td>" + FormatIsoTime(t.at).substr(0, 19) + "</td><td>" +
            HtmlEscape(KindLabel(t.kind)) + (t.kind == "fee" ? " (platform fee)" : "") + "</td><td>" +
            (space.empty() ? "" : "<a href=\"/spaces/" + HtmlEscape(space) + "\">" + HtmlEscape(space) + "</a>") +
            "</td><td>" + (in ? "+" : "−") + Money(t.amount, currency) + "</td><td class=\"muted\">" +
            HtmlEscape(t.ref) + "</td></tr>";
  }
  html += "</table>";
  if (static_cast<int64_t>(page->size()) == kTransactionsPerPage) {
    html += "<p><a id=\"older\" href=\"/settings/billing?before=" + std::to_string(page->back().seq) +
            "\">Older transactions</a></p>";
  }
  return html + "</section>";
}

std::string SubscriptionsPanel(HubCore& hub, const access::Principal& who) {
  std::string html = "<section class=\"panel\"><h2>Subscriptions</h2>";
  if (hub.deps().subscriptions == nullptr) return html + "<p class=\"muted\">Plans are not offered here.</p></section>";
  std::vector<store::Subscription> subs = hub.deps().subscriptions->OfUser(who.user.id);
  if (subs.empty()) return html + "<p class=\"muted\" id=\"no-subscriptions\">You have no plans.</p></section>";
  html += "<table class=\"list\" id=\"subscriptions\"><tr><th>Space</th><th>Plan</th><th>State</th><th>Until</th>"
          "<th></th></tr>";
  for (const store::Subscription& s : subs) {
    const std::string space = SpaceName(hub, s.space_id);
    const bool active = s.state == store::SubscriptionState::kActive;
    std::string state = !active ? (s.state == store::SubscriptionState::kLapsed ? "lapsed" : "cancelled")
                        : s.cancel_at_period_end ? "ends at the period's end"
                                                 : "renews";
    html += "<tr data-space=\"" + HtmlEscape(space) + "\"><td><a href=\"/spaces/" + HtmlEscape(space) + "\">" +
            HtmlEscape(space) + "</a></td><td>" + HtmlEscape(s.plan) + "</td><td class=\"state\">" + state +
            "</td><td>" + FormatIsoTime(s.period_end).substr(0, 10) + "</td><td>";
    if (active && !s.cancel_at_period_end) {
      html += "<form class=\"inline\" method=\"post\" action=\"/settings/billing/subscriptions/cancel\">" +
              CsrfField(who) + "<input type=\"hidden\" name=\"space\" value=\"" + HtmlEscape(space) +
              "\"><button type=\"submit\" class=\"cancel\">Cancel</button></form>";
    }
    html += "</td></tr>";
  }
  return html + "</table></section>";
}

Status HandleWalletPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, SignedInOrRedirect(call));
  if (!who) return Status::Ok();
  if (hub.deps().ledger == nullptr || hub.deps().billing == nullptr) {
    return Status::FailedPrecondition("billing is not enabled on this server");
  }
  const std::string& currency = hub.options().billing.currency;
  billing::WalletView w = hub.deps().ledger->Wallet(who->user.id);
  std::string html = "<main class=\"narrow\"><h1>Billing</h1>";
  const std::string checkout = call.Query("checkout").value_or("");
  if (checkout == "done") {
    html += "<p class=\"notice\" id=\"checkout-done\">Thank you. Your credits appear here as soon as the payment "
            "provider confirms the payment (usually within seconds).</p>";
  } else if (checkout == "cancelled") {
    html += "<p class=\"notice\" id=\"checkout-cancelled\">The payment was cancelled; nothing was charged.</p>";
  }
  html += "<section class=\"panel\"><h2>Wallet</h2><p style=\"font-size:28px;margin:0\" id=\"wallet-balance\" "
          "data-micros=\"" + std::to_string(w.balance) + "\">" + Money(w.balance, currency) + "</p>";
  if (w.held > 0) {
    html += "<p class=\"muted\" id=\"wallet-held\">" + Money(w.held, currency) +
            " held by requests in flight; " + Money(w.available(), currency) + " available.</p>";
  }
  html += "<p class=\"muted\">One wallet for every Space: priced requests and plans are paid from it.</p></section>";
  html += "<section class=\"panel\"><h2>Add credits</h2>";
  if (hub.options().billing.stripe_secret_key.empty()) {
    html += "<p class=\"muted\" id=\"no-checkout\">This server takes no card payments. Ask its operator for "
            "credits.</p>";
  } else {
    html += "<form class=\"stack\" method=\"post\" action=\"/settings/billing/checkout\">" + CsrfField(*who) +
            "<label>Amount (" + HtmlEscape(ToUpper(currency)) + ") <input name=\"amount\" id=\"credit-amount\" "
            "value=\"10\" inputmode=\"decimal\" pattern=\"[0-9]+([.][0-9]{1,6})?\" required></label>"
            "<button class=\"button\" type=\"submit\" id=\"add-credits\">Add credits</button></form>"
            "<p class=\"muted\">You pay on the payment provider's page and come back here.</p>";
  }
  html += "</section>" + SubscriptionsPanel(hub, *who) + TransactionsPanel(hub, call, *who, currency) + "</main>";
  return call.SendHtml(200, RenderPage("Billing", html, AccountNav(who)));
}

Status HandleCheckoutForm(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  std::optional<billing::Micros> amount = billing::ParseUnits(Trim(form.Get("amount")));
  if (!amount) return Status::InvalidArgument("the amount is a number such as 10 or 12.50");
  ASSIGN_OR_RETURN(billing::CheckoutSession session, StartCheckout(hub, who, *amount));
  http::Response r = http::Response::Text(303, "See " + session.url + "\n");
  r.headers.Set("Location", session.url);
  r.headers.Set("Cache-Control", "no-store");
  return call.out.Send(r);
}

// The Space of a form's "space" field (owner/name).
Result<store::Space> FormSpace(HubCore& hub, const std::string& id) {
  size_t slash = id.find('/');
  if (slash == std::string::npos) return Status::InvalidArgument("no Space '" + id.substr(0, 100) + "'");
  return hub.deps().store->GetSpace(id.substr(0, slash), id.substr(slash + 1));
}

Status HandleCancelForm(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  if (hub.deps().subscriptions == nullptr) return Status::FailedPrecondition("plans are not offered on this server");
  ASSIGN_OR_RETURN(store::Space space, FormSpace(hub, form.Get("space")));
  RETURN_IF_ERROR(hub.deps().subscriptions->Cancel(who.user.id, space.id).status());
  return RedirectTo(call, "/settings/billing");
}

Status HandleSubscribeForm(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  if (hub.deps().subscriptions == nullptr) return Status::FailedPrecondition("plans are not offered on this server");
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  if (HubCore::IsOwner(who, space) ||
      (hub.deps().access_table != nullptr && hub.deps().access_table->IsOwnerMember(space.owner, who.user.id))) {
    return Status::InvalidArgument("the owners of a Space use all of it without a plan");
  }
  RETURN_IF_ERROR(hub.deps().subscriptions->Subscribe(who.user.id, space.id, form.Get("plan")).status());
  return RedirectTo(call, "/spaces/" + space.full_id() + "?subscribed=" + UrlEncode(form.Get("plan")));
}

// A bar chart as inline SVG: one bar per bucket, its value in a tooltip and
// in data attributes (what the browser tests read).
std::string BarChart(const std::string& id, const std::string& title, const std::vector<store::UsagePoint>& points,
                     int64_t (*value)(const store::UsagePoint&), const std::string& unit, bool money) {
  constexpr int kWidth = 720, kHeight = 160, kPad = 4;
  int64_t top = 1;
  for (const store::UsagePoint& p : points) top = std::max(top, value(p));
  const double step = points.empty() ? kWidth : static_cast<double>(kWidth) / static_cast<double>(points.size());
  std::string svg = "<figure style=\"margin:0 0 12px\"><figcaption class=\"muted\">" + HtmlEscape(title) +
                    "</figcaption><svg id=\"" + id + "\" role=\"img\" aria-label=\"" + HtmlEscape(title) +
                    "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight + 18) +
                    "\" style=\"width:100%;max-width:720px;background:#f8f9fb;border-radius:8px\">";
  for (size_t i = 0; i < points.size(); ++i) {
    const int64_t v = value(points[i]);
    const int h = v == 0 ? 0 : std::max(1, static_cast<int>(static_cast<double>(v) / static_cast<double>(top) * kHeight));
    const std::string day = FormatIsoTime(points[i].start).substr(0, 10);
    const std::string shown = money ? billing::FormatMicros(v) + " " + unit : std::to_string(v) + " " + unit;
    char x[32], w[32];
    std::snprintf(x, sizeof(x), "%.1f", static_cast<double>(i) * step + kPad / 2.0);
    std::snprintf(w, sizeof(w), "%.1f", std::max(1.0, step - kPad));
    svg += "<rect class=\"bar\" data-day=\"" + day + "\" data-value=\"" + std::to_string(v) + "\" x=\"" + x +
           "\" y=\"" + std::to_string(kHeight - h) + "\" width=\"" + w + "\" height=\"" + std::to_string(h) +
           "\" fill=\"#3b5bdb\"><title>" + day + ": " + HtmlEscape(shown) + "</title></rect>";
  }
  if (!points.empty()) {
    svg += "<text x=\"0\" y=\"" + std::to_string(kHeight + 14) + "\" font-size=\"11\" fill=\"#6b7280\">" +
           FormatIsoTime(points.front().start).substr(0, 10) + "</text><text x=\"" + std::to_string(kWidth) +
           "\" y=\"" + std::to_string(kHeight + 14) + "\" font-size=\"11\" fill=\"#6b7280\" text-anchor=\"end\">" +
           FormatIsoTime(points.back().start).substr(0, 10) + "</text>";
  }
  return svg + "</svg></figure>";
}

Status HandleMonetizationPage(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, SignedInOrRedirect(call));
  if (!who) return Status::Ok();
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  RETURN_IF_ERROR(CheckMoneyViewer(hub, *who, space.owner));
  const std::string& currency = hub.options().billing.currency;
  const int64_t now = hub.deps().clock->UnixMillis();
  const int64_t today = now / kDayMs * kDayMs;
  ASSIGN_OR_RETURN(std::vector<store::UsagePoint> days, SpaceUsage(hub, space, today - 29 * kDayMs, today + kDayMs, kDayMs));
  store::UsagePoint total;
  for (const store::UsagePoint& p : days) {
    total.requests += p.requests;
    total.charged += p.charged;
    total.free += p.free;
    total.request_revenue += p.request_revenue;
    total.subscription_revenue += p.subscription_revenue;
  }
  const int64_t subscribers_now = days.empty() ? 0 : days.back().subscribers;
  const int64_t fee_percent = hub.deps().ledger != nullptr ? hub.deps().ledger->fee_percent() : 0;
  const int64_t revenue = total.request_revenue + total.subscription_revenue;
  std::string id = HtmlEscape(space.full_id());
  std::string html = "<main><h1>Monetization</h1><p><a href=\"/spaces/" + id + "\">" + id +
                     "</a> over the last 30 days (UTC). Visitors pay the prices of the card's "
                     "<code>spaceport.pricing</code>; the platform keeps " + std::to_string(fee_percent) +
                     "%.</p><section class=\"panel\"><h2>Last 30 days</h2><table class=\"list\" id=\"totals\"><tr>"
                     "<th>Requests</th><th>Charged</th><th>Free</th><th>Revenue</th><th>Subscribers now</th></tr><tr>"
                     "<td id=\"total-requests\">" + std::to_string(total.requests) + "</td><td id=\"total-charged\">" +
                     std::to_string(total.charged) + "</td><td>" + std::to_string(total.free) +
                     "</td><td id=\"total-revenue\" data-micros=\"" + std::to_string(revenue) + "\">" +
                     Money(revenue, currency) + "</td><td id=\"subscribers-now\">" + std::to_string(subscribers_now) +
                     "</td></tr></table></section><section class=\"panel\"><h2>Per day</h2>";
  html += BarChart("revenue-chart", "Revenue (" + ToUpper(currency) + ", what visitors paid)", days,
                   [](const store::UsagePoint& p) { return p.request_revenue + p.subscription_revenue; },
                   ToUpper(currency), true);
  html += BarChart("requests-chart", "Requests", days, [](const store::UsagePoint& p) { return p.requests; },
                   "requests", false);
  html += BarChart("subscribers-chart", "Subscribers", days, [](const store::UsagePoint& p) { return p.subscribers; },
                   "subscribers", false);
  html += "<table class=\"list\" id=\"days\"><tr><th>Day</th><th>Requests</th><th>Charged</th><th>Free</th>"
          "<th>Refused</th><th>Rate limited</th><th>Revenue</th><th>Subscribers</th></tr>";
  for (auto it = days.rbegin(); it != days.rend(); ++it) {
    const store::UsagePoint& p = *it;
    if (p.requests == 0 && p.charged == 0 && p.subscribers == 0 && p.subscription_revenue == 0) continue;
    html += "<tr><td>" + FormatIsoTime(p.start).substr(0, 10) + "</td><td>" + std::to_string(p.requests) +
            "</td><td>" + std::to_string(p.charged) + "</td><td>" + std::to_string(p.free) + "</td><td>" +
            std::to_string(p.refused) + "</td><td>" + std::to_string(p.limited) + "</td><td>" +
            Money(p.request_revenue + p.subscription_revenue, currency) + "</td><td>" +
            std::to_string(p.subscribers) + "</td></tr>";
  }
  html += "</table><p class=\"muted\">Request counts are kept by the edge and stored every minute (a crash may lose "
          "the last minute of them); charges and revenue come from the ledger. The same figures: <code>spaceport "
          "usage " + id + "</code>, <code>GET /api/spaces/" + id + "/usage</code>; what you earned in total: "
          "<code>spaceport earnings</code>.</p></section></main>";
  return call.SendHtml(200, RenderPage("Monetization · " + space.full_id(), html, AccountNav(who)));
}

}  // namespace

std::string PricingPanel(HubCore& hub, const store::Space& space, const std::optional<access::Principal>& who,
                         bool with_wallet) {
  Result<std::optional<billing::Pricing>> parsed = card::PricingOfCardJson(ParseStoredJson(space.card_json));
  if (!parsed.ok() || !*parsed || !(*parsed)->metered()) return "";
  const billing::Pricing& p = **parsed;
  const std::string& currency = hub.options().billing.currency;
  const std::string id = HtmlEscape(space.full_id());
  std::string html = "<section class=\"panel\" id=\"pricing\"><h2>Prices</h2><ul>";
  html += "<li id=\"price-per-request\">" +
          (p.per_request > 0 ? Money(p.per_request, currency) + " per request" : std::string("Requests are free")) +
          "</li>";
  if (p.free_requests > 0) {
    html += "<li>" + std::to_string(p.free_requests) + " free requests per visitor per day</li>";
  }
  if (p.rate_limit) html += "<li>At most " + HtmlEscape(p.rate_limit->ToString()) + " per visitor</li>";
  for (const billing::PriceRoute& r : p.routes) {
    std::string what = r.plan.empty() ? (r.price ? (*r.price > 0 ? Money(*r.price, currency) : "free")
                                                 : Money(p.per_request, currency))
                                      : "for subscribers of " + HtmlEscape(r.plan);
    if (r.plan.empty() && r.max && r.price && *r.max > *r.price) what += " (up to " + Money(*r.max, currency) + ")";
    html += "<li><code>" + HtmlEscape(r.match) + "</code>: " + what + "</li>";
  }
  html += "</ul>";
  std::optional<store::Subscription> mine;
  if (who && hub.deps().subscriptions != nullptr) {
    Result<store::Subscription> s = hub.deps().subscriptions->Get(who->user.id, space.id);
    if (s.ok() && s->state == store::SubscriptionState::kActive) mine = *s;
  }
  if (!p.plans.empty()) {
    html += "<h2>Plans</h2><table class=\"list\" id=\"plans\">";
    for (const billing::Plan& plan : p.plans) {
      html += "<tr data-plan=\"" + HtmlEscape(plan.id) + "\"><td><b>" +
              HtmlEscape(plan.title.empty() ? plan.id : plan.title) + "</b></td><td>" + Money(plan.price, currency) +
              " per 30 days</td><td class=\"muted\">" +
              (plan.included_requests > 0 ? std::to_string(plan.included_requests) + " requests included" : "") +
              (plan.rate_limit ? (plan.included_requests > 0 ? ", " : "") + HtmlEscape(plan.rate_limit->ToString())
                               : "") +
              "</td><td>";
      if (mine && mine->plan == plan.id) {
        html += "<span class=\"badge\" id=\"subscribed\">Subscribed until " +
                FormatIsoTime(mine->period_end).substr(0, 10) + "</span>";
      } else if (!who) {
        html += "<a href=\"/login?next=" + HtmlEscape(UrlEncode("/spaces/" + space.full_id())) +
                "\">Sign in to subscribe</a>";
      } else if (!HubCore::IsOwner(who, space) && who->via_session) {
        html += "<form class=\"inline\" method=\"post\" action=\"/spaces/" + id + "/subscribe\">" + CsrfField(*who) +
                "<input type=\"hidden\" name=\"plan\" value=\"" + HtmlEscape(plan.id) +
                "\"><button class=\"button\" type=\"submit\" id=\"subscribe-" + HtmlEscape(plan.id) +
                "\">Subscribe</button></form>";
      }
      html += "</td></tr>";
    }
    html += "</table>";
  }
  if (who && hub.deps().ledger != nullptr) {
    html += "<p class=\"muted\">Your wallet: <a href=\"/settings/billing\" id=\"wallet-link\">" +
            Money(hub.deps().ledger->Wallet(who->user.id).available(), currency) + "</a></p>";
    if (who->via_session && with_wallet) {
      html += "<p id=\"using-wallet\">The app below is signed in as you: its priced requests are paid from your "
              "wallet. <a href=\"/spaces/" + id + "\">Use it without signing in</a></p>";
    } else if (who->via_session) {
      html += "<p><a class=\"button\" id=\"use-wallet\" href=\"/spaces/" + id + "?use=wallet\">Use the app with "
              "my wallet</a> <span class=\"muted\">Until then it opens without your account: the free requests "
              "only.</span></p>";
    }
  }
  if (who && CheckMoneyViewer(hub, *who, space.owner).ok()) {
    html += "<p><a href=\"/spaces/" + id + "/settings/monetization\" id=\"monetization-link\">Monetization</a></p>";
  }
  return html + "</section>";
}

void RegisterBillingWeb(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  auto add = [&](const char* method, const char* pattern, Status (*fn)(HubCore&, Call&)) {
    router.Add(method, pattern, [h, fn](Call& c) { return fn(*h, c); }, ErrorFormat::kHtml);
  };
  add("GET", "/settings/billing", HandleWalletPage);
  add("POST", "/settings/billing/checkout", HandleCheckoutForm);
  add("POST", "/settings/billing/subscriptions/cancel", HandleCancelForm);
  add("POST", "/spaces/:owner/:name/subscribe", HandleSubscribeForm);
  add("GET", "/spaces/:owner/:name/settings/monetization", HandleMonetizationPage);
}

}  // namespace spaceport::hub
