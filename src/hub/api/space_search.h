// Listing and searching Spaces: GET /api/spaces, GET /api/spaces/search and
// the web UI's search share one parser and one path (docs/directory.md).
// With words to look for, the directory answers (directory/directory.h);
// without, or for a search with a '/' (a substring of "owner/name", as HF's
// search is), the store lists with the same filters and sorts.
// Thread safety: per request; HubCore's dependencies are thread safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "access/tokens.h"
#include "core/status.h"
#include "directory/directory.h"
#include "hub/call.h"
#include "hub/hub_core.h"
#include "store/store.h"

namespace spaceport::hub {

inline constexpr int64_t kDefaultListLimit = 100;
inline constexpr int64_t kMaxListLimit = 1000;

struct ListRequest {
  store::SpaceQuery query;  // author, tags (HF's filter), sdk/stage/hardware, verified, include, sort, paging
};

struct SpaceListing {
  std::vector<store::Space> spaces;
  int64_t total = -1;  // -1: not counted (plain listings)
  bool exact = true;
  directory::FacetCounts facets;
  std::map<int64_t, int64_t> similar;  // space id -> near-copies collapsed into it
};

// The query string's parameters (HF's and the directory's), checked.
Result<ListRequest> ParseListRequest(Call& call);
Result<SpaceListing> ListOrSearch(HubCore& hub, const std::optional<access::Principal>& who, const ListRequest& r,
                                  bool with_counts);

// (Re)indexes a Space for the directory from its README at `sha` (its card
// read from there: the stored card is the last build's). Failures are
// logged: the directory catches up at the next push.
void IndexForDirectory(HubCore& hub, const store::Space& space, const std::string& sha);

}  // namespace spaceport::hub
