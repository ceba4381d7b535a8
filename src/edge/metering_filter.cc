#include "edge/metering_filter.h"

#include <nlohmann/json.hpp>

#include "core/strings.h"

namespace spaceport::edge {
namespace {

bool WantsHtml(const http::Request& request) {
  auto accept = request.headers.Get("Accept");
  return accept && accept->find("text/html") != std::string_view::npos;
}

std::string OwnerOf(const std::string& space_id) { return space_id.substr(0, space_id.find('/')); }

http::Response JsonReply(int status, const nlohmann::json& body) {
  http::Response r = http::Response::Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace

void AddRateLimitHeaders(http::Headers& h, const billing::Admission& a) {
  if (!a.limit) return;
  h.Set("RateLimit-Policy", std::to_string(a.limit->count) + ";w=" + std::to_string(a.limit->period_seconds));
  h.Set("RateLimit", "limit=" + std::to_string(a.limit->count) + ", remaining=" + std::to_string(a.remaining) +
                         ", reset=" + std::to_string(a.reset_seconds));
}

FilterStatus MeteringFilter::OnRequestHeaders(RequestContext& ctx) {
  const bool app = ctx.kind == RouteKind::kAppProxy || ctx.kind == RouteKind::kAppStatic;
  if (!app || !ctx.route || !ctx.route->pricing || deps_.meter == nullptr || ctx.probe) {
    return FilterStatus::kContinue;
  }
  const std::string owner = OwnerOf(ctx.route->space_id);
  const bool exempt = ctx.caller_id != 0 && deps_.owners != nullptr && deps_.owners->IsOwnerMember(owner, ctx.caller_id);
  billing::Visitor visitor{ctx.caller_id, ctx.request.remote_addr};
  billing::Admission a = deps_.meter->Admit(*ctx.route->pricing, ctx.route->space_key, owner, visitor, exempt,
                                            ctx.request.method, ctx.request.path);
  switch (a.verdict) {
    case billing::Admission::kRateLimited:
      ctx.callbacks->SendLocalReply(RateLimited(a));
      return FilterStatus::kStop;
    case billing::Admission::kSignIn:
    case billing::Admission::kNoCredits:
    case billing::Admission::kNeedsPlan:
      ctx.callbacks->SendLocalReply(PaymentRequired(ctx, a));
      return FilterStatus::kStop;
    case billing::Admission::kCharge:
      ctx.meter = std::move(a.ticket);
      break;
    case billing::Admission::kFree:
      break;
  }
  ctx.request.headers.Set("X-Spaceport-Plan", a.plan);
  if (ctx.caller_id != 0 && deps_.sessions != nullptr) {
    ctx.request.headers.Set("X-Spaceport-Identity", deps_.sessions->IdentityToken(
                                                        access::Caller{ctx.caller_id, ctx.caller_name},
                                                        ctx.route->space_id, a.plan));
  }
  return FilterStatus::kContinue;
}

http::Response MeteringFilter::RateLimited(const billing::Admission& a) const {
  http::Response r = JsonReply(429, {{"error", "rate limit reached: " + a.limit->ToString() +
                                                    "; try again in " + std::to_string(a.retry_after_seconds) + " s"}});
  r.headers.Set("Retry-After", std::to_string(a.retry_after_seconds));
  AddRateLimitHeaders(r.headers, a);
  return r;
}

http::Response MeteringFilter::PaymentRequired(const RequestContext& ctx, const billing::Admission& a) const {
  const std::string hub = deps_.hub_url != nullptr ? *deps_.hub_url : "";
  const std::string page = hub + "/spaces/" + ctx.route->space_id;
  const std::string topup = hub + "/settings/billing";
  const std::string signin = hub + "/login?next=" + UrlEncode("/spaces/" + ctx.route->space_id);
  std::string error;
  nlohmann::json body;
  switch (a.verdict) {
    case billing::Admission::kSignIn:
      error = "the free requests of " + ctx.route->space_id + " are used up for today; sign in to use your credits";
      body = {{"error", error}, {"price", a.decision.price}, {"balance", 0}, {"topup_url", topup},
              {"signin_url", signin}};
      break;
    case billing::Admission::kNeedsPlan: {
      error = "this part of " + ctx.route->space_id + " is for subscribers of the plan '" + a.decision.plan + "'";
      nlohmann::json plans = nlohmann::json::array();
      for (const billing::Plan& p : ctx.route->pricing->plans) {
        plans.push_back({{"id", p.id}, {"title", p.title.empty() ? p.id : p.title}, {"price", p.price}});
      }
      body = {{"error", error}, {"plan", a.decision.plan}, {"plans", plans}, {"subscribe_url", page},
              {"signin_url", signin}};
      break;
    }
    default:
      error = "this request costs " + billing::FormatMicros(a.decision.hold) + " " + deps_.currency +
              " and your wallet has " + billing::FormatMicros(a.balance) + " available";
      body = {{"error", error}, {"price", a.decision.price}, {"hold", a.decision.hold}, {"balance", a.balance},
              {"topup_url", topup}};
      break;
  }
  body["currency"] = deps_.currency;
  if (!WantsHtml(ctx.request)) return JsonReply(402, body);
  const bool anonymous = a.verdict == billing::Admission::kSignIn || ctx.caller_id == 0;
  std::string link = anonymous ? "<a href=\"" + HtmlEscape(signin) + "\">Sign in</a>"
                     : a.verdict == billing::Admission::kNeedsPlan
                         ? "<a href=\"" + HtmlEscape(page) + "\">See the plans</a>"
                         : "<a href=\"" + HtmlEscape(topup) + "\">Add credits</a>";
  http::Response r = http::Response::Text(
      402,
      "<!doctype html><html><head><title>Payment required</title></head><body><h1>Payment required</h1><p>" +
          HtmlEscape(error) + ".</p><p>" + link + "</p></body></html>",
      "text/html; charset=utf-8");
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace spaceport::edge
