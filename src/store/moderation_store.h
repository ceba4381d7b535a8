// ModerationStore: reports of Spaces and what moderators did about them
// (directory/moderation.h, docs/directory.md "Moderation"): the reports,
// the moderators' audit log, a Space's disabled notice and a user's
// suspension, on the store's own database.
//
// Thread safety: every method may be called from any thread. Failure:
// NotFound for an unknown Space, user or report; AlreadyExists for a second
// open report of one reporter on one Space; Unavailable/Internal for the
// database.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace spaceport::store {

struct SpaceReport {
  int64_t id = 0;
  int64_t space_id = 0;
  std::string space;     // owner/name now
  int64_t reporter_id = 0;  // 0: the account is gone
  std::string reporter;
  int64_t reporter_created_at = 0;
  std::string reason;
  std::string details;
  std::string status = "open";  // open | dismissed | actioned
  int64_t created_at = 0;
  int64_t resolved_at = 0;
  std::string resolution;  // the action that resolved it
};

struct ModerationEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::string actor;   // the moderator's name
  std::string action;  // dismiss | hide | unhide | disable | enable | suspend | unsuspend
  std::string space;   // owner/name ("" for user actions)
  std::string user;    // the user acted on ("" for Space actions)
  int64_t report_id = 0;
  std::string note;
};

class ModerationStore {
 public:
  virtual ~ModerationStore() = default;

  virtual Result<SpaceReport> AddReport(int64_t space_id, int64_t reporter_id, const std::string& reason,
                                        const std::string& details, int64_t now) = 0;
  virtual Result<SpaceReport> GetReport(int64_t id) = 0;
  // Reports with `status` ("": any), newest first, below id `before` (0:
  // from the newest), at most `limit`.
  virtual Result<std::vector<SpaceReport>> ListReports(const std::string& status, int64_t before, int64_t limit) = 0;
  // Reports `reporter_id` made since `since` (the reporters' throttle).
  virtual Result<int64_t> CountReportsBy(int64_t reporter_id, int64_t since) = 0;
  // Distinct reporters with an open report on the Space whose accounts were
  // made before `account_before`.
  virtual Result<int64_t> CountReporters(int64_t space_id, int64_t account_before) = 0;
  // Resolves every open report of the Space; how many.
  virtual Result<int64_t> ResolveReports(int64_t space_id, const std::string& status, const std::string& resolution,
                                         int64_t now) = 0;

  // The Space's disabled notice ("": enabled) and a user's suspension.
  virtual Status SetDisabled(int64_t space_id, const std::string& notice) = 0;
  virtual Status SetSuspended(int64_t user_id, bool suspended) = 0;

  virtual Result<ModerationEntry> Log(const ModerationEntry& entry) = 0;
  // Newest first, below id `before` (0: from the newest).
  virtual Result<std::vector<ModerationEntry>> ListLog(int64_t before, int64_t limit) = 0;
};

struct StoreOptions;

// The moderation area of the store at options.url (as Store::Open); like
// the directory it needs the store's own database file. store.cc.
Result<std::unique_ptr<ModerationStore>> OpenModerationStore(const StoreOptions& options);
Result<std::unique_ptr<ModerationStore>> OpenSqliteModerationStore(const std::string& path);

}  // namespace spaceport::store
