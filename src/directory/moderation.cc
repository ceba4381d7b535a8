#include "directory/moderation.h"

#include <algorithm>

namespace spaceport::directory {
namespace {

constexpr int64_t kHourMs = 3600LL * 1000;

Status AllowNotFound(const Status& s) { return s.code() == StatusCode::kNotFound ? Status::Ok() : s; }

}  // namespace

const std::vector<std::string>& ReportReasons() {
  static const std::vector<std::string> kReasons = {"spam",      "harmful",  "misleading", "not-working",
                                                    "abandoned", "copyright", "other"};
  return kReasons;
}

Status Moderation::Recount(int64_t space_id) {
  const int64_t now = clock_->UnixMillis();
  ASSIGN_OR_RETURN(int64_t reporters, store_->CountReporters(space_id, now - kEstablishedAccountMs));
  return AllowNotFound(signals_->Update(space_id, [&](store::DirectorySignals& s) { s.reports = reporters; }).status());
}

Result<store::SpaceReport> Moderation::Report(const store::Space& space, const store::User& reporter,
                                              const std::string& reason, const std::string& details) {
  const auto& reasons = ReportReasons();
  if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
    return Status::InvalidArgument(
        "reason must be one of spam, harmful, misleading, not-working, abandoned, copyright, other");
  }
  if (details.size() > kMaxReportDetails) return Status::InvalidArgument("details: at most 2000 bytes");
  const int64_t now = clock_->UnixMillis();
  ASSIGN_OR_RETURN(int64_t recent, store_->CountReportsBy(reporter.id, now - kHourMs));
  if (recent >= kReportsPerHour) return Status::ResourceExhausted("too many reports; try again in an hour");
  ASSIGN_OR_RETURN(store::SpaceReport report, store_->AddReport(space.id, reporter.id, reason, details, now));
  RETURN_IF_ERROR(Recount(space.id));
  return report;
}

Status Moderation::SetHidden(int64_t space_id, bool hidden) {
  return AllowNotFound(signals_->Update(space_id, [&](store::DirectorySignals& s) { s.hidden = hidden; }).status());
}

Status Moderation::SetDisabled(const store::Space& space, const std::string& notice) {
  RETURN_IF_ERROR(store_->SetDisabled(space.id, notice));
  RETURN_IF_ERROR(SetHidden(space.id, !notice.empty()));  // a disabled Space leaves the directory
  store::Space changed = space;
  changed.disabled = notice;
  if (republish_) republish_(changed);
  return Status::Ok();
}

Result<store::ModerationEntry> Moderation::ActOnSpace(const store::User& admin, const store::Space& space,
                                                      const std::string& action, const std::string& note,
                                                      int64_t report_id) {
  if (!admin.is_admin) return Status::PermissionDenied("moderation is for the server's admins");
  const int64_t now = clock_->UnixMillis();
  std::string resolution = "actioned";
  if (action == "dismiss") {
    resolution = "dismissed";
  } else if (action == "hide") {
    RETURN_IF_ERROR(SetHidden(space.id, true));
  } else if (action == "unhide") {
    RETURN_IF_ERROR(SetHidden(space.id, false));
  } else if (action == "disable") {
    RETURN_IF_ERROR(SetDisabled(space, note.empty() ? "This Space has been disabled by the moderators." : note));
  } else if (action == "enable") {
    RETURN_IF_ERROR(SetDisabled(space, ""));
  } else {
    return Status::InvalidArgument("action must be one of dismiss, hide, unhide, disable, enable");
  }
  if (action != "unhide" && action != "enable") {
    RETURN_IF_ERROR(store_->ResolveReports(space.id, resolution, action, now).status());
    RETURN_IF_ERROR(Recount(space.id));
  }
  return store_->Log({0, now, admin.name, action, space.full_id(), "", report_id, note});
}

Result<store::ModerationEntry> Moderation::ActOnUser(const store::User& admin, const store::User& user,
                                                     const std::string& action, const std::string& note) {
  if (!admin.is_admin) return Status::PermissionDenied("moderation is for the server's admins");
  if (action != "suspend" && action != "unsuspend") {
    return Status::InvalidArgument("action must be suspend or unsuspend");
  }
  if (action == "suspend" && user.id == admin.id) return Status::InvalidArgument("admins cannot suspend themselves");
  const bool suspend = action == "suspend";
  RETURN_IF_ERROR(store_->SetSuspended(user.id, suspend));
  store::SpaceQuery q;  // a system listing: private Spaces too
  q.author = user.name;
  q.include_all_private = true;
  q.limit = 1000;
  RETURN_IF_ERROR(store::ForEachSpace(*spaces_, q, [&](const store::Space& space) -> Status {
    if (suspend && space.disabled.empty()) return SetDisabled(space, kSuspendedNotice);
    if (!suspend && space.disabled == kSuspendedNotice) return SetDisabled(space, "");
    return Status::Ok();  // disabled on its own account: stays so
  }));
  return store_->Log({0, clock_->UnixMillis(), admin.name, action, "", user.name, 0, note});
}

}  // namespace spaceport::directory
