#include "hub/api/space_search.h"

#include <algorithm>
#include <set>

#include "card/card.h"
#include "core/log.h"
#include "core/strings.h"

namespace spaceport::hub {
namespace {

// A parameter given once as "a,b" or repeated: every value.
std::vector<std::string> ListParam(const Call& call, std::string_view key) {
  std::vector<std::string> out;
  for (const std::string& v : QueryParams(call.request.query, key)) {
    for (const std::string& part : Split(v, ',')) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

// The organizations whose private Spaces the viewer may see.
std::set<std::string> OrgsOf(HubCore& hub, const std::optional<access::Principal>& who) {
  std::set<std::string> orgs;
  if (!who) return orgs;
  Result<std::vector<store::Membership>> m = hub.deps().store->ListMemberships(who->user.id);
  if (!m.ok()) return orgs;  // their private Spaces stay out of this result; public ones are there
  for (const store::Membership& one : *m) orgs.insert(ToLower(one.org.name));
  return orgs;
}

}  // namespace

Result<ListRequest> ParseListRequest(Call& call) {
  ListRequest r;
  store::SpaceQuery& q = r.query;
  q.search = call.Query("search").value_or("");
  q.author = call.Query("author").value_or("");
  q.tags = QueryParams(call.request.query, "filter");
  q.sdks = ListParam(call, "sdk");
  q.stages = ListParam(call, "stage");
  q.hardware = ListParam(call, "hardware");
  q.directory_view = true;
  const std::string verified = call.Query("verified").value_or("");
  if (!verified.empty() && verified != "true" && verified != "false") {
    return Status::InvalidArgument("'verified' must be true or false");
  }
  q.verified_only = verified == "true";
  for (const std::string& what : ListParam(call, "include")) {
    if (what == "abandoned") {
      q.include_abandoned = true;
    } else if (what == "duplicates") {
      q.include_duplicates = true;
    } else {
      return Status::InvalidArgument("'include' takes abandoned and duplicates, not '" + what + "'");
    }
  }
  q.sort = call.Query("sort").value_or(q.search.empty() ? "createdAt" : "relevance");
  static const std::set<std::string> kSorts = {"relevance", "trendingScore", "likes", "createdAt", "lastModified"};
  if (!kSorts.count(q.sort)) {
    return Status::InvalidArgument("unsupported sort '" + q.sort +
                                   "' (relevance, trendingScore, likes, createdAt or lastModified)");
  }
  if (q.sort == "relevance" && q.search.empty()) q.sort = "createdAt";  // nothing to be relevant to
  const std::string direction = call.Query("direction").value_or("-1");
  if (direction != "-1" && direction != "1") return Status::InvalidArgument("'direction' must be -1 or 1");
  q.descending = direction == "-1";
  ASSIGN_OR_RETURN(int64_t limit, call.IntQuery("limit", kDefaultListLimit, 1));
  q.limit = std::min(limit, kMaxListLimit);
  ASSIGN_OR_RETURN(q.offset, call.IntQuery("offset", 0, 0));
  return r;
}

Result<SpaceListing> ListOrSearch(HubCore& hub, const std::optional<access::Principal>& who, const ListRequest& r,
                                  bool with_counts) {
  const store::SpaceQuery& q = r.query;
  store::Store* store = hub.deps().store;
  SpaceListing out;
  directory::Directory* directory = hub.deps().directory;
  // "owner/na": a substring of Space ids, as HF's search is; words go to
  // the directory.
  const bool id_search = q.search.find('/') != std::string::npos;
  if (q.search.empty() || directory == nullptr || id_search) {
    store::SpaceQuery listing = q;
    if (listing.sort == "relevance") listing.sort = "createdAt";  // a substring match has no relevance
    if (who) {
      listing.include_private_of_user = true;
      listing.viewer_user_id = who->user.id;
    }
    ASSIGN_OR_RETURN(out.spaces, store->ListSpaces(listing));
    if (with_counts) {
      ASSIGN_OR_RETURN(out.total, store->CountSpaces(listing));
    }
    return out;
  }
  const std::set<std::string> orgs = OrgsOf(hub, who);
  auto may_see_private = [&](const store::DirectoryCandidate& c) {
    return who && (EqualsIgnoreCase(c.owner, who->user.name) || orgs.count(ToLower(c.owner)) > 0);
  };
  directory::DirectoryQuery dq{.search = q.search,
                               .author = q.author,
                               .sdks = q.sdks,
                               .stages = q.stages,
                               .hardware = q.hardware,
                               .tags = q.tags,
                               .verified_only = q.verified_only,
                               .include_abandoned = q.include_abandoned,
                               .include_duplicates = q.include_duplicates,
                               .sort = q.sort,
                               .descending = q.descending,
                               .limit = q.limit,
                               .offset = q.offset,
                               .count = with_counts,
                               .may_see_private = may_see_private};
  ASSIGN_OR_RETURN(directory::SearchPage page, directory->Search(dq));
  for (int64_t id : page.space_ids) {
    Result<store::Space> s = store->GetSpaceById(id);
    if (s.ok()) out.spaces.push_back(std::move(s).value());  // deleted meanwhile: left out
  }
  out.total = page.total;
  out.exact = page.exact;
  out.facets = std::move(page.facets);
  out.similar = std::move(page.similar);
  return out;
}

void IndexForDirectory(HubCore& hub, const store::Space& space, const std::string& sha) {
  directory::Directory* directory = hub.deps().directory;
  if (directory == nullptr) return;
  store::Space doc = space;
  std::string readme;
  if (!sha.empty()) {
    Result<std::string> text = hub.deps().repos->ReadFile(space.owner, space.name, sha, "README.md");
    if (text.ok()) {
      readme = std::move(text).value();
      // The card as pushed: the stored one is the last build's.
      if (Result<card::Card> card = card::ParseCard(readme); card.ok()) {
        doc.card_json = card->ToJson();
        if (!card->sdk.empty()) doc.sdk = card->sdk;
      }
    }
  }
  if (Status s = directory->IndexSpace(doc, readme); !s.ok()) {
    SP_LOG(kWarn) << "directory: indexing " << space.full_id() << ": " << s.message();
  }
}

}  // namespace spaceport::hub
