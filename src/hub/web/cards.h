// Pieces of the web UI's pages shared by the directory's pages and the
// Space page: the card's colours and strings, the stage badge, and a Space's
// card with its trust badges (verified, sleeping, abandoned, N similar).
// Every user-supplied string goes through HtmlEscape. Thread safe.
#pragma once

#include <cstdint>
#include <string>

#include "hub/hub_core.h"
#include "store/directory_store.h"
#include "store/store.h"

namespace spaceport::hub {

// The card's colorFrom/colorTo keywords (HF's palette); anything else is the fallback.
std::string CardColor(const Json& card, const char* key, const char* fallback);
// A non-empty string of the card, else the fallback.
std::string CardString(const Json& card, const char* key, std::string fallback = "");
std::string StageBadge(const std::string& stage);
// The directory's signals of a Space (defaults when it has none or the
// server keeps none).
store::DirectorySignals SignalsOf(HubCore& hub, int64_t space_id);
// The trust badges of a Space: verified, abandoned/archived, a near-copy.
std::string TrustBadges(const store::DirectorySignals& signals);
// A Space's card for the grids; `similar`: near-copies collapsed into it.
std::string SpaceCard(HubCore& hub, const store::Space& s, int64_t similar = 0);

}  // namespace spaceport::hub
