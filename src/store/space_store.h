// SpaceStore: Spaces, their builds, variables and secrets, and likes (the
// SQLite backend: store/sqlite/sqlite_spaces.cc).
//
// Thread safety: every method may be called from any thread concurrently.
// Failure: NotFound for missing rows, AlreadyExists for unique-key clashes,
// InvalidArgument for values the schema refuses, Unavailable/Internal for the
// database itself. A failed write changes nothing (each method is one
// transaction). Not on the edge's per-request path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace spaceport::store {

struct SpaceQuery {
  std::string author;          // exact owner name; empty: all
  std::string search;          // substring of owner/name, case-insensitive; empty: all
  bool include_private_of_user = false;
  int64_t viewer_user_id = 0;  // private spaces are listed only to their owner
                               // (both fields set, viewer's name == owner) and to
                               // members of the owning organization
  bool include_all_private = false;  // system listings (recovery): every Space
  std::string sort = "createdAt";  // createdAt | lastModified | likes | trendingScore | id
  int64_t duplicated_from = 0;     // non-zero: only the Spaces duplicated from this id
  std::vector<std::string> tags;   // each must be the sdk or one of the card's `tags` (exact)
  std::vector<std::string> sdks;      // any of; empty: any
  std::vector<std::string> stages;    // any of; empty: any
  std::vector<std::string> hardware;  // any of; empty: any
  // The directory's view (store/directory_store.h signals): leave out
  // Spaces hidden by moderators, and unless asked, abandoned ones and
  // near-copies; verified_only keeps verified ones only.
  bool directory_view = false;
  bool include_abandoned = false;
  bool include_duplicates = false;
  bool verified_only = false;
  bool descending = true;
  int64_t limit = 100;
  int64_t offset = 0;
  int64_t after_id = 0;  // with sort "id": the ids above this one (keyset paging of system listings)
};

enum class BuildStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view BuildStatusName(BuildStatus s);

struct Build {
  int64_t id = 0;
  int64_t space_id = 0;
  std::string commit_sha;
  BuildStatus status = BuildStatus::kQueued;
  std::string error;
  int64_t created_at = 0;
  int64_t finished_at = 0;  // 0 while not finished
};

struct EnvVar {
  std::string key;          // [A-Za-z_][A-Za-z0-9_]*
  std::string value;        // secrets: never returned by the hub API
  std::string description;
  bool secret = false;
  int64_t updated_at = 0;
};

// A Space a user likes, and since when.
struct LikedSpace {
  Space space;
  int64_t liked_at = 0;
};

class SpaceStore {
 public:
  virtual ~SpaceStore() = default;

  // Spaces. CreateSpace fills id/created_at/last_modified from `now`.
  virtual Result<Space> CreateSpace(const Space& space, int64_t now) = 0;
  virtual Result<Space> GetSpace(std::string_view owner, std::string_view name) = 0;
  virtual Result<Space> GetSpaceById(int64_t id) = 0;
  virtual Result<Space> GetSpaceBySubdomain(std::string_view subdomain) = 0;
  virtual Result<std::vector<Space>> ListSpaces(const SpaceQuery& query) = 0;
  virtual Result<int64_t> CountSpaces(const SpaceQuery& query) = 0;
  // Writes the mutable fields: sdk, is_private, hardware, storage,
  // sleep_time_seconds, sha, card_json, last_modified. NotFound if gone.
  virtual Status UpdateSpace(const Space& space) = 0;
  virtual Status SetSpaceStage(int64_t space_id, std::string_view stage, std::string_view error_message) = 0;
  // Sets is_private and the visibility together, nothing else (a push
  // landing meanwhile keeps its sha and card). NotFound for a missing Space.
  virtual Status SetSpaceVisibility(int64_t space_id, Visibility visibility) = 0;
  virtual Status DeleteSpace(int64_t space_id) = 0;  // cascades to builds and env
  // Gives a Space a new owner, name and subdomain (its id, builds, env, likes
  // and forks stay with it). AlreadyExists when the name or subdomain is
  // taken, InvalidArgument for invalid ones, NotFound if the Space is gone.
  virtual Status RenameSpace(int64_t space_id, std::string_view owner, std::string_view name,
                             std::string_view subdomain) = 0;

  // Builds.
  virtual Result<Build> CreateBuild(int64_t space_id, const std::string& commit_sha, int64_t now) = 0;
  virtual Status FinishBuild(int64_t build_id, BuildStatus status, const std::string& error, int64_t now) = 0;
  virtual Status SetBuildStatus(int64_t build_id, BuildStatus status) = 0;
  virtual Result<std::vector<Build>> ListBuilds(int64_t space_id, int64_t limit) = 0;  // newest first; limit <= 0: all

  // Variables and secrets: one namespace of keys per space per kind.
  virtual Status SetEnv(int64_t space_id, const EnvVar& var) = 0;  // upsert
  virtual Status DeleteEnv(int64_t space_id, std::string_view key, bool secret) = 0;  // NotFound if absent
  virtual Result<std::vector<EnvVar>> ListEnv(int64_t space_id) = 0;  // sorted by (secret, key)

  // Likes: at most one per (user, space); gone with either. Like and Unlike
  // are idempotent (liking twice keeps the first time); Like is NotFound
  // when the user or space is missing.
  virtual Status Like(int64_t user_id, int64_t space_id, int64_t now) = 0;
  virtual Status Unlike(int64_t user_id, int64_t space_id) = 0;
  virtual Result<std::vector<User>> ListLikers(int64_t space_id) = 0;               // oldest like first
  virtual Result<std::vector<LikedSpace>> ListLikedSpaces(int64_t user_id) = 0;     // newest like first
  virtual Result<int64_t> CountLikes(int64_t space_id) = 0;
};

// Calls `fn` for every Space `query` selects (its limit is the page size),
// oldest first, so Spaces created meanwhile land on later pages instead of
// shifting earlier ones. Stops at the first error of the store or of `fn`.
Status ForEachSpace(SpaceStore& store, SpaceQuery query, const std::function<Status(const Space&)>& fn);

}  // namespace spaceport::store
