// The edge's request filter chain.
//
// Each filter looks at (and may rewrite) the request head and returns
// kContinue to pass it on, or kStop to pause it: either because it answered
// (callbacks->SendLocalReply) or because it waits for something (a wake, a
// credit hold) and will call callbacks->ContinueDecoding() later, from any
// thread. After the last filter, the connection runs the terminal: proxy to
// ctx.route's upstream, or a local handler (hub, static files).
// Ownership: filters are shared by every connection and must be stateless or
// thread safe; per-request state lives in RequestContext.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "edge/metrics.h"
#include "http/error_response.h"
#include "http/message.h"
#include "billing/meter.h"
#include "runtime/routes.h"

namespace spaceport::edge {

enum class FilterStatus { kContinue, kStop };

struct RequestContext;

class FilterCallbacks {
 public:
  virtual ~FilterCallbacks() = default;
  // Resumes the chain after a filter returned kStop. Safe from any thread.
  virtual void ContinueDecoding() = 0;
  // As ContinueDecoding, but first runs `resume` on the connection's loop
  // thread with the paused request (so a filter can finish with what it
  // waited for: a looked-up caller, a woken route). kContinue goes on to the
  // next filter; kStop means `resume` replied or paused again. If the
  // connection closed meanwhile, `resume` is dropped unrun.
  virtual void ContinueDecodingWith(std::function<FilterStatus(RequestContext&)> resume) = 0;
  // Answers the request now; the chain ends. Call from the filter or, after
  // kStop, from any thread.
  virtual void SendLocalReply(http::Response response) = 0;
  // Answers with the error `status` maps to (http/error_response.h): filters
  // say what went wrong, the map says how it looks on the wire.
  void SendError(const Status& status) { SendLocalReply(http::ErrorResponse(status)); }
};

struct RequestContext {
  http::Request request;
  RouteKind kind = RouteKind::kHub;
  std::shared_ptr<const runtime::AppRoute> route;  // set for app requests
  bool tls = false;                                // X-Forwarded-Proto
  // The connection's peer when it is a trusted proxy (request.remote_addr is
  // then the client it forwarded for); empty otherwise.
  std::string proxy_addr;
  // On the path-based app URL: "/spaces/{owner}/{name}/app", the part of the
  // path the app does not see (it gets it as X-Forwarded-Prefix). Empty on
  // an app's own host. Set by RouteFilter; filters read this, never the header.
  std::string path_prefix;
  // A path-based app request's hub session cookie (spaceport_session), taken
  // out of the request by SanitizeFilter so the app never sees it; the
  // AccessFilter may resolve it. Empty otherwise.
  std::string hub_session;
  // The directory's health probe (SanitizeFilter checked its token): access
  // rules, prices and visitor counts leave it alone (directory/health.h).
  bool probe = false;
  // The request was sent to the app: its answer counts for the app's record.
  bool reached_app = false;
  // The caller AccessFilter found (0: anonymous or an embed viewer).
  int64_t caller_id = 0;
  std::string caller_name;
  // A charged request's hold (MeteringFilter), settled when the app answers
  // (client_proxy.cc); voided if it never does.
  std::unique_ptr<billing::Ticket> meter;
  FilterCallbacks* callbacks = nullptr;
  // Marks the request in flight on its Space (activation_filter.h); ends
  // when the context is reset or destroyed.
  runtime::ActivityMark activity;
  // State a filter keeps while the request is paused; released with the
  // context (a filter may attach a deleter that detaches its callbacks).
  std::shared_ptr<void> pending;
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual FilterStatus OnRequestHeaders(RequestContext& ctx) = 0;
};

}  // namespace spaceport::edge
