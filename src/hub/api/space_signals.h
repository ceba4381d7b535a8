// The directory's signals in the API (docs/api.md, docs/directory.md):
// trendingScore, verified, abandoned, archived and duplicateOf in every
// Space's JSON, health in its info, GET .../health, an owner's "probe now"
// and archiving; and what a push tells the signals (fingerprints, a probe
// after the deploy).
// Thread safety: per request; HubCore's dependencies are thread safe.
#pragma once

#include <string>

#include "hub/call.h"
#include "hub/hub_core.h"
#include "store/store.h"

namespace spaceport::hub {

// Adds the signals' fields to a Space's JSON (nothing without a directory).
void AddSignalsJson(const HubCore& hub, const store::Space& space, bool with_health, Json* j);

// After a push of `sha`: the fingerprint of its files (near-duplicates),
// a probe once it is deployed, and the abandoned rule (a push is activity).
void SignalsAfterPush(HubCore& hub, const store::Space& space, const std::string& sha);

void RegisterSignalsApi(Router& router, HubCore& hub);

}  // namespace spaceport::hub
