// Moderation: reports of Spaces and what the server's admins do about them
// (docs/directory.md, "Moderation").
//
// Anyone signed in may report a Space they can see, with a reason (spam,
// harmful, misleading, not-working, abandoned, copyright, other) and
// details; a reporter has one open report per Space and at most
// kReportsPerHour reports an hour. Open reports from kConfirmedReporters
// distinct accounts older than a week lower the Space's rank at once,
// before any admin acts. Admins work the queue: dismiss the reports, hide
// the Space from the directory (or unhide it), disable it (its app answers
// 451 with the notice; enable undoes), or suspend its owner (no sign-in or
// token works, every Space of theirs is disabled; unsuspend undoes). Every
// action is in the audit log with the admin's name and note.
//
// Thread safety: every method may be called from any thread.
// Failure: InvalidArgument for a bad reason or action, ResourceExhausted for
// a throttled reporter, AlreadyExists for a second open report, NotFound,
// and the store's errors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "directory/signals.h"
#include "store/moderation_store.h"
#include "store/space_store.h"

namespace spaceport::directory {

inline constexpr int64_t kReportsPerHour = 10;
inline constexpr int64_t kEstablishedAccountMs = 7LL * 86400 * 1000;
inline constexpr size_t kMaxReportDetails = 2000;
inline constexpr char kSuspendedNotice[] = "This Space's owner is suspended.";

const std::vector<std::string>& ReportReasons();

class Moderation {
 public:
  // `republish` is called with a Space whose disabled notice changed (the
  // edge's access table must follow at once).
  Moderation(store::ModerationStore* store, store::SpaceStore* spaces, Signals* signals, const Clock* clock,
             std::function<void(const store::Space&)> republish)
      : store_(store), spaces_(spaces), signals_(signals), clock_(clock), republish_(std::move(republish)) {}

  Result<store::SpaceReport> Report(const store::Space& space, const store::User& reporter, const std::string& reason,
                                    const std::string& details);

  // Space actions: dismiss | hide | unhide | disable | enable (report_id:
  // the report acted on, 0 for none). User actions: suspend | unsuspend.
  Result<store::ModerationEntry> ActOnSpace(const store::User& admin, const store::Space& space,
                                            const std::string& action, const std::string& note, int64_t report_id);
  Result<store::ModerationEntry> ActOnUser(const store::User& admin, const store::User& user, const std::string& action,
                                           const std::string& note);

  store::ModerationStore* store() const { return store_; }

 private:
  Status Recount(int64_t space_id);
  Status SetDisabled(const store::Space& space, const std::string& notice);
  Status SetHidden(int64_t space_id, bool hidden);

  store::ModerationStore* store_;
  store::SpaceStore* spaces_;
  Signals* signals_;
  const Clock* clock_;
  std::function<void(const store::Space&)> republish_;
};

}  // namespace spaceport::directory
