// The directory's pages in the web UI (docs/directory.md): the home page
// (trending, verified and new Spaces, recent collections), the search page
// (type-ahead, facets, sorts, badges), collection pages, the moderators'
// queue, and the Space page's directory panels (health, lineage, near-copy,
// collections, the report form). Server-rendered; every user-supplied
// string goes through HtmlEscape. Thread safety: per request.
#pragma once

#include <optional>
#include <string>

#include "hub/hub_core.h"

namespace spaceport::hub {

void RegisterDirectoryPages(Router& router, HubCore& hub);

// The Space page's directory panels for this visitor.
std::string DirectoryPanels(HubCore& hub, Call& call, const store::Space& space,
                            const std::optional<access::Principal>& who);

}  // namespace spaceport::hub
