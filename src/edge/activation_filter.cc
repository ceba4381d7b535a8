#include "edge/activation_filter.h"

#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "edge/filters.h"
#include "http/error_response.h"

namespace spaceport::edge {
namespace {

using Json = nlohmann::json;

std::string JsonText(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

bool WantsPage(const http::Request& request) {
  if (request.method != "GET") return false;
  auto accept = request.headers.Get("Accept");
  return accept && accept->find("text/html") != std::string_view::npos;
}

// One held request. Completed exactly once: by the wake's answer, the
// waiting page timer or the hold timer, whichever comes first; or detached
// when the request ends first (its connection closed).
class PendingWake {
 public:
  PendingWake(RequestContext* ctx, const runtime::RouteTable* routes)
      : ctx_(ctx), callbacks_(ctx->callbacks), routes_(routes), space_id_(ctx->route->space_id) {
    page_ = WantsPage(ctx->request);
    status_url_ = ctx->path_prefix + std::string(kAppStatusPath);
  }

  bool wants_page() const { return page_; }

  void Detach() {
    std::lock_guard lock(mu_);
    finished_ = true;
    ctx_ = nullptr;
    callbacks_ = nullptr;
  }

  // While the filter still runs (a wake answered at once), the answer is
  // kept for the filter; afterwards it completes the request.
  void OnWoken(runtime::WakeResult result) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (in_filter_) {
      sync_result_ = std::move(result);
      return;
    }
    finished_ = true;
    Complete(result);
  }

  // Ends the filter's part; returns the answer that came meanwhile, if any.
  std::optional<runtime::WakeResult> LeaveFilter() {
    std::lock_guard lock(mu_);
    in_filter_ = false;
    if (sync_result_) finished_ = true;
    return std::move(sync_result_);
  }

  // Applies a successful wake to the context: true when the app serves.
  bool UseWokenRoute(RequestContext& ctx) {
    auto route = routes_->FindBySpaceId(space_id_);
    if (!route || !route->serving() || !route->static_root.empty()) return false;
    ctx.route = std::move(route);
    ctx.kind = RouteKind::kAppProxy;
    return true;
  }

  http::Response FailedResponse(const http::Request& request, const runtime::WakeResult& result) const {
    runtime::AppRoute shown;
    shown.space_id = space_id_;
    shown.stage = result.stage.value_or(runtime::Stage::kSleeping);
    shown.error_message = result.status.ok() ? "the app is not serving after its wake" : result.status.message();
    return NotServingResponse(request, shown);
  }

  void ShowWaitingPage() {
    std::lock_guard lock(mu_);
    if (finished_ || in_filter_) return;
    finished_ = true;
    ctx_->kind = RouteKind::kEdge;
    callbacks_->SendLocalReply(WakingPage(space_id_, status_url_));
  }

  void GiveUp(Millis held) {
    std::lock_guard lock(mu_);
    if (finished_ || in_filter_) return;
    finished_ = true;
    ctx_->kind = RouteKind::kEdge;
    Json body = {{"error", "Space " + space_id_ + " did not wake within " + std::to_string(held.count() / 1000) +
                               " s; try again later"},
                 {"stage", runtime::StageName(runtime::Stage::kAppStarting)}};
    http::Response r = http::Response::Json(http::HttpStatusFor(StatusCode::kUnavailable), JsonText(body));
    r.headers.Add("Retry-After", "30");
    callbacks_->SendLocalReply(std::move(r));
  }

 private:
  // With mu_ held, from a control-plane or timer thread: the connection only
  // posts to its loop from here, and cannot go away while mu_ is held
  // (Detach waits for it).
  void Complete(const runtime::WakeResult& result) {
    if (result.status.ok() && UseWokenRoute(*ctx_)) {
      callbacks_->ContinueDecoding();
      return;
    }
    ctx_->kind = RouteKind::kEdge;
    callbacks_->SendLocalReply(FailedResponse(ctx_->request, result));
  }

  std::mutex mu_;
  bool finished_ = false;
  bool in_filter_ = true;
  std::optional<runtime::WakeResult> sync_result_;
  RequestContext* ctx_;
  FilterCallbacks* callbacks_;
  const runtime::RouteTable* routes_;
  std::string space_id_;
  std::string status_url_;
  bool page_ = false;
};

}  // namespace

FilterStatus ActivationFilter::OnRequestHeaders(RequestContext& ctx) {
  if (ctx.kind != RouteKind::kAppProxy || !ctx.route || !ctx.route->activity) return FilterStatus::kContinue;
  // In flight from here: the ladder will not put the app down under us, and
  // if it is going down already, the rung read below says so (activity.h).
  ctx.activity = runtime::ActivityMark(ctx.route->activity, clock_);
  if (!ctx.route->activity->NeedsWake() && ctx.route->serving()) return FilterStatus::kContinue;

  auto pending = std::make_shared<PendingWake>(&ctx, routes_);
  ctx.pending = std::shared_ptr<void>(pending.get(), [pending](void*) { pending->Detach(); });
  const std::string space_id = ctx.route->space_id;
  const Millis hold = ctx.route->wake_timeout_ms > 0 ? Millis(ctx.route->wake_timeout_ms) : options_.default_hold;
  waker_->Wake(space_id, [pending](runtime::WakeResult r) { pending->OnWoken(std::move(r)); });
  if (std::optional<runtime::WakeResult> now = pending->LeaveFilter()) {
    ctx.pending.reset();
    if (now->status.ok() && pending->UseWokenRoute(ctx)) return FilterStatus::kContinue;
    ctx.kind = RouteKind::kEdge;
    ctx.callbacks->SendLocalReply(pending->FailedResponse(ctx.request, *now));
    return FilterStatus::kStop;
  }
  if (pending->wants_page()) {
    timers_->RunAfter(options_.wake_page_after, [pending] { pending->ShowWaitingPage(); });
  }
  timers_->RunAfter(hold, [pending, hold] { pending->GiveUp(hold); });
  return FilterStatus::kStop;
}

http::Response AppStatusResponse(const runtime::AppRoute& route) {
  std::string rung = route.activity ? std::string(runtime::RungName(route.activity->rung()))
                                    : (route.serving() ? "running" : "stopped");
  Json body = {{"space", route.space_id}, {"stage", runtime::StageName(route.stage)}, {"rung", rung},
               {"serving", route.serving()}};
  if (!route.error_message.empty()) body["errorMessage"] = route.error_message;
  http::Response r = http::Response::Json(200, JsonText(body));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

http::Response WakingPage(const std::string& space_id, const std::string& status_url) {
  // space_id is [A-Za-z0-9._-/] (store validation); status_url comes from our
  // own prefix; both are still written as JSON strings into the script.
  std::string id_json = JsonText(Json(space_id));
  std::string url_json = JsonText(Json(status_url));
  std::string safe_id;
  for (char c : space_id) {
    if (c == '<' || c == '>' || c == '&' || c == '"') continue;
    safe_id += c;
  }
  std::string page = R"(<!doctype html><html><head><meta charset="utf-8"><title>Waking )" + safe_id +
                     R"(</title><noscript><meta http-equiv="refresh" content="3"></noscript>
<style>body{font-family:system-ui,sans-serif;display:flex;align-items:center;justify-content:center;height:90vh;color:#333}
.box{text-align:center}.dot{display:inline-block;width:10px;height:10px;margin:3px;border-radius:50%;background:#888;animation:b 1s infinite}
.dot:nth-child(2){animation-delay:.2s}.dot:nth-child(3){animation-delay:.4s}@keyframes b{50%{opacity:.2}}</style></head>
<body><div class="box"><h1 id="title"></h1><p><span class="dot"></span><span class="dot"></span><span class="dot"></span></p>
<p id="stage">Waking up&hellip;</p></div><script>
const space = )" + id_json + R"(, statusUrl = )" + url_json + R"(;
document.getElementById("title").textContent = space + " is waking up";
async function poll() {
  try {
    const r = await fetch(statusUrl, {cache: "no-store"});
    const s = await r.json();
    if (s.serving && s.rung === "running") { location.reload(); return; }
    document.getElementById("stage").textContent = s.errorMessage ? s.stage + ": " + s.errorMessage : s.stage;
    if (s.stage === "RUNTIME_ERROR" || s.stage === "PAUSED") return;
  } catch (e) {}
  setTimeout(poll, 500);
}
poll();
</script></body></html>)";
  http::Response r = http::Response::Text(http::HttpStatusFor(StatusCode::kUnavailable), page, "text/html; charset=utf-8");
  r.headers.Add("Retry-After", "1");
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace spaceport::edge
