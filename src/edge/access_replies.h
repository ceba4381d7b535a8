// Replies and cookies the AccessFilter and the AppSignInFilter share: how a
// Space answers those it does not admit, and the app host's session cookie.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "edge/filter.h"
#include "http/message.h"

namespace spaceport::edge {

inline constexpr std::string_view kAppSessionCookie = "sp_app";

// Same answer as RouteFilter gives for a Space that does not exist.
http::Response NotFoundLikeUnknown(const RequestContext& ctx);
// A gated Space is public knowledge; its app waits for a granted request.
// `hub_url` is where its request form lives.
http::Response GatedResponse(const RequestContext& ctx, const std::string& hub_url);
// 451 for a Space a moderator disabled, with the notice.
http::Response DisabledResponse(const RequestContext& ctx, const std::string& notice);
// The app host's session cookie (kAppSessionCookie) holding `value`.
std::string SessionCookie(const std::string& value, bool secure_context, Millis ttl);
// Browsers treat localhost names as secure contexts, as they do TLS.
bool IsLocalhostName(std::string_view host);

}  // namespace spaceport::edge
