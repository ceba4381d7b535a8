// Reports and the moderation queue in the API (directory/moderation.h,
// docs/api.md): anyone signed in reports a Space they can see; the server's
// admins list the reports, act on Spaces and users, and read the audit log.
#include <optional>

#include "core/clock.h"
#include "core/strings.h"
#include "directory/moderation.h"
#include "hub/hub_core.h"

namespace spaceport::hub {
namespace {

constexpr int64_t kMaxPage = 200;

Result<directory::Moderation*> RequireModeration(HubCore& hub) {
  if (hub.deps().moderation == nullptr) return Status::FailedPrecondition("this server has no moderation");
  return hub.deps().moderation;
}

Result<access::Principal> RequireAdmin(Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  if (!who.user.is_admin) return Status::PermissionDenied("moderation is for the server's admins");
  return who;
}

std::string TextField(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

Json ReportJson(const store::SpaceReport& r) {
  return {{"id", r.id},
          {"space", r.space},
          {"reporter", r.reporter.empty() ? Json(nullptr) : Json(r.reporter)},
          {"reason", r.reason},
          {"details", r.details},
          {"status", r.status},
          {"createdAt", FormatIsoTime(r.created_at)},
          {"resolvedAt", r.resolved_at != 0 ? Json(FormatIsoTime(r.resolved_at)) : Json(nullptr)},
          {"resolution", r.resolution.empty() ? Json(nullptr) : Json(r.resolution)}};
}

Json EntryJson(const store::ModerationEntry& e) {
  return {{"id", e.id},
          {"at", FormatIsoTime(e.at)},
          {"actor", e.actor},
          {"action", e.action},
          {"space", e.space.empty() ? Json(nullptr) : Json(e.space)},
          {"user", e.user.empty() ? Json(nullptr) : Json(e.user)},
          {"report", e.report_id != 0 ? Json(e.report_id) : Json(nullptr)},
          {"note", e.note}};
}

Status HandleReport(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(directory::Moderation * moderation, RequireModeration(hub));
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(16 * 1024));
  ASSIGN_OR_RETURN(store::SpaceReport report,
                   moderation->Report(space, who.user, TextField(body, "reason"), TextField(body, "details")));
  return call.SendJson(200, ReportJson(report));
}

Status HandleListReports(HubCore& hub, Call& call) {
  RETURN_IF_ERROR(RequireAdmin(call).status());
  ASSIGN_OR_RETURN(directory::Moderation * moderation, RequireModeration(hub));
  std::string status = call.Query("status").value_or("open");
  if (status == "all") status = "";
  if (status != "" && status != "open" && status != "dismissed" && status != "actioned") {
    return Status::InvalidArgument("status: open, dismissed, actioned or all");
  }
  ASSIGN_OR_RETURN(int64_t before, call.IntQuery("before", 0, 0));
  ASSIGN_OR_RETURN(int64_t limit, call.IntQuery("limit", 50, 0, kMaxPage));
  ASSIGN_OR_RETURN(std::vector<store::SpaceReport> reports, moderation->store()->ListReports(status, before, limit));
  Json list = Json::array();
  for (const store::SpaceReport& r : reports) list.push_back(ReportJson(r));
  return call.SendJson(200, list);
}

Status HandleActOnSpace(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, RequireAdmin(call));
  ASSIGN_OR_RETURN(directory::Moderation * moderation, RequireModeration(hub));
  ASSIGN_OR_RETURN(store::Space space, hub.FindSpace(call.Param("owner"), call.Param("name")));
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(16 * 1024));
  int64_t report = 0;
  if (auto it = body.find("report"); it != body.end() && it->is_number_integer()) report = it->get<int64_t>();
  ASSIGN_OR_RETURN(store::ModerationEntry entry,
                   moderation->ActOnSpace(who.user, space, TextField(body, "action"), TextField(body, "note"), report));
  return call.SendJson(200, EntryJson(entry));
}

Status HandleActOnUser(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(access::Principal who, RequireAdmin(call));
  ASSIGN_OR_RETURN(directory::Moderation * moderation, RequireModeration(hub));
  Result<store::User> user = hub.deps().store->GetUserByName(call.Param("user"));
  if (user.status().code() == StatusCode::kNotFound) return Status::NotFound("user not found");
  RETURN_IF_ERROR(user.status());
  ASSIGN_OR_RETURN(Json body, call.ReadJsonObject(16 * 1024));
  ASSIGN_OR_RETURN(store::ModerationEntry entry,
                   moderation->ActOnUser(who.user, *user, TextField(body, "action"), TextField(body, "note")));
  return call.SendJson(200, EntryJson(entry));
}

Status HandleLog(HubCore& hub, Call& call) {
  RETURN_IF_ERROR(RequireAdmin(call).status());
  ASSIGN_OR_RETURN(directory::Moderation * moderation, RequireModeration(hub));
  ASSIGN_OR_RETURN(int64_t before, call.IntQuery("before", 0, 0));
  ASSIGN_OR_RETURN(int64_t limit, call.IntQuery("limit", 50, 0, kMaxPage));
  ASSIGN_OR_RETURN(std::vector<store::ModerationEntry> log, moderation->store()->ListLog(before, limit));
  Json list = Json::array();
  for (const store::ModerationEntry& e : log) list.push_back(EntryJson(e));
  return call.SendJson(200, list);
}

}  // namespace

void RegisterModerationApi(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  router.Add("POST", "/api/spaces/:owner/:name/report", [h](Call& c) { return HandleReport(*h, c); });
  router.Add("GET", "/api/moderation/reports", [h](Call& c) { return HandleListReports(*h, c); });
  router.Add("POST", "/api/moderation/spaces/:owner/:name", [h](Call& c) { return HandleActOnSpace(*h, c); });
  router.Add("POST", "/api/moderation/users/:user", [h](Call& c) { return HandleActOnUser(*h, c); });
  router.Add("GET", "/api/moderation/log", [h](Call& c) { return HandleLog(*h, c); });
}

}  // namespace spaceport::hub
