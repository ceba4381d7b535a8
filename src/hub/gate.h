// Gated Spaces: the operations the JSON API (api_gated.cc) and the web pages
// (web_gate.cc) share, so both store, check and publish the same way. Every
// change is copied to the edge's AccessTable before it returns
// (HubCore::PublishAccess): the app opens or closes for a visitor on the
// next request. The callers have already applied HubCore's visibility and
// role rules to `space`.
// Failure: InvalidArgument for bad input (naming the field), AlreadyExists
// when a visitor asks twice, NotFound for unknown users, store errors as is.
// Thread safety: as HubCore (any thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "card/gate_form.h"
#include "hub/hub_core.h"

namespace spaceport::hub {

inline constexpr size_t kMaxRejectionReasonBytes = 1000;

// The access-request form of the Space's current card (empty when none).
card::GateForm GateFormOf(const store::Space& space);

// The answers in an application/x-www-form-urlencoded body as a JSON object
// of strings, without the form's "csrf" field; a key given twice keeps its
// last value.
Json FormAnswers(std::string_view form_body);

// mode: "" (not gated), "auto" or "manual".
Status SetGateMode(HubCore& hub, const store::Space& space, std::string_view mode);

// Makes the Space public, protected or private (HF's settings "private" and
// "visibility"): the store, then the edge's access rules at once (a Space
// made private answers strangers 404 from the next request). The directory
// reads privacy from the store at each search.
Status SetSpaceVisibility(HubCore& hub, const store::Space& space, store::Visibility visibility);

// A signed-in visitor asks for access with answers to the card's fields
// (card::CheckGateAnswers): accepted at once under "auto", pending under
// "manual". InvalidArgument when the Space is not gated or an answer is bad;
// AlreadyExists when the visitor asked before (a rejection is final).
Result<store::AccessRequest> AskAccess(HubCore& hub, const store::Space& space, const access::Principal& who,
                                       const Json& answers);

// The owner's decision on `user_name`'s request (made when the owner grants
// someone who never asked). The reason is kept for rejections only.
Status DecideAccess(HubCore& hub, const store::Space& space, const std::string& user_name,
                    store::AccessRequestStatus status, const std::string& reason);

// The visitor's own request, nullopt when there is none.
Result<std::optional<store::AccessRequest>> OwnAccessRequest(HubCore& hub, const store::Space& space, int64_t user_id);

}  // namespace spaceport::hub
