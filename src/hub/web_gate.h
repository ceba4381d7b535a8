// Gated Spaces in the browser: the visitor's "Request access" panel on the
// Space page and the owner's review page (web_gate.cc). The routes:
//   POST /spaces/{o}/{n}/ask-access               the visitor's form
//   GET  /spaces/{o}/{n}/settings/access          requests and the gate mode
//   POST /spaces/{o}/{n}/settings/access/decide   {user, status, reason?}
//   POST /spaces/{o}/{n}/settings/access/gate     {mode: off|auto|manual}
// Every POST is a session form with its CSRF field from this site
// (CheckSessionForm) and goes through the code the API uses (hub/gate.h), so
// each decision reaches the edge at once; the answer is a 303 back to the
// page. The review page and its forms need the write level on the Space
// (HubCore::OwnedSpaceFor: 404 when invisible, 403 below write).
// Thread safety: as HubCore.
#pragma once

#include <optional>
#include <string>

#include "hub/hub_core.h"

namespace spaceport::hub {

// What the Space page shows about the gate to one visitor.
struct GatePanel {
  std::string mode;      // "" (not gated), "auto" or "manual"
  bool show_app = true;  // the app frame: ungated, members, accepted visitors
  std::string html;      // the panel above (or instead of) the app; may be empty
};

// Ungated: nothing. Members: the app (writers also get a link to the review
// page). Anonymous: a sign-in link back to the page. Signed in: the request
// form, or the state of the visitor's request (pending, rejected with its
// reason; accepted shows the app).
GatePanel GatePanelFor(HubCore& hub, const store::Space& space, const std::optional<access::Principal>& who);

}  // namespace spaceport::hub
