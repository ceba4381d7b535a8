// JSON shapes of Spaces as the HF clients expect them (DESIGN.md section 4).
//
// Pure functions of a store row (plus the control plane's runtime view for
// RuntimeJson). Thread safe.
#pragma once

#include "hub/call.h"
#include "hub/hub_core.h"
#include "runtime/control.h"
#include "store/store.h"

namespace spaceport::hub {

// {stage, hardware:{current,requested}, gcTimeout, replicas:{current,requested},
//  domains:[{domain,stage}], errorMessage?, sha}. When the control plane does
// not know the Space (info not ok), the stored stage is reported.
Json RuntimeJson(const HubCore& hub, const store::Space& space, const Result<runtime::RuntimeInfo>& info);
// Asks the control plane, then RuntimeJson.
Json CurrentRuntimeJson(HubCore& hub, const store::Space& space);

// The listing entry (GET /api/spaces).
Json SpaceSummaryJson(const HubCore& hub, const store::Space& space);
// The full entry (GET /api/spaces/{id}), with cardData, runtime and siblings.
Json SpaceInfoJson(HubCore& hub, const store::Space& space);

// Card tags plus the sdk, as HF lists them.
Json SpaceTags(const store::Space& space, const Json& card);

// The HF `expand` field names of a query (`expand` and `expand[]`, repeated
// or comma-separated), in order, without repeats. Empty when none were asked
// for; InvalidArgument naming the supported fields for an unknown one.
Result<std::vector<std::string>> ParseExpandFields(std::string_view query);
// {_id, id} plus exactly the given fields (as ParseExpandFields returns them).
Json ExpandedSpaceJson(HubCore& hub, const store::Space& space, const std::vector<std::string>& fields);

}  // namespace spaceport::hub
