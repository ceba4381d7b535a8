// ActivationFilter: holds requests to a sleeping app while it wakes.
//
// Every app request is marked in the Space's SpaceActivity (runtime/
// activity.h) for as long as it is in flight (RequestContext::activity; a
// WebSocket tunnel keeps its mark until it closes). When the route's rung is
// not running (frozen, stopped, or on its way down) the filter returns kStop
// and asks the Waker to wake the app; concurrent requests coalesce in the
// Waker. When the wake succeeds the request continues with the refreshed
// route; when it fails it gets 503 with the stage and error. Browsers (GET
// with Accept: text/html) get a small waiting page instead once the wake
// takes longer than wake_page_after; the page polls /.spaceport/status on the
// app's host and reloads when the app runs. Other clients are held up to the
// app's startup timeout and then get 503 with Retry-After.
//
// Ownership: borrows the waker, routes, timer scheduler and clock; they must
// outlive the filter. Per-request state lives in RequestContext::pending
// (detached when the request ends or its connection closes, so a late wake
// or timer never touches a finished request).
// Thread safety: shared by all edge threads; state is per request.
#pragma once

#include "core/clock.h"
#include "edge/filter.h"
#include "runtime/routes.h"
#include "runtime/scheduler.h"
#include "runtime/waker.h"

namespace spaceport::edge {

inline constexpr std::string_view kAppStatusPath = "/.spaceport/status";

struct ActivationOptions {
  Millis wake_page_after{1000};
  Millis default_hold{30 * 60 * 1000};  // when the route carries no startup timeout
};

class ActivationFilter : public Filter {
 public:
  ActivationFilter(runtime::Waker* waker, const runtime::RouteTable* routes, runtime::Scheduler* timers,
                   const Clock* clock, ActivationOptions options)
      : waker_(waker), routes_(routes), timers_(timers), clock_(clock), options_(options) {}
  FilterStatus OnRequestHeaders(RequestContext& ctx) override;

 private:
  runtime::Waker* waker_;
  const runtime::RouteTable* routes_;
  runtime::Scheduler* timers_;
  const Clock* clock_;
  ActivationOptions options_;
};

// GET /.spaceport/status on an app host: {"space", "stage", "rung", "errorMessage"?}.
http::Response AppStatusResponse(const runtime::AppRoute& route);
// The page a browser sees while the app wakes; polls `status_url`.
http::Response WakingPage(const std::string& space_id, const std::string& status_url);

}  // namespace spaceport::edge
