#include "hub/web_gate.h"

#include <vector>

#include "card/countries.h"
#include "core/strings.h"
#include "hub/gate.h"
#include "hub/html.h"
#include "hub/web_forms.h"

namespace spaceport::hub {
namespace {

using store::AccessRequestStatus;

std::string SpacePath(const store::Space& s) { return "/spaces/" + s.owner + "/" + s.name; }

std::string Prompt(const card::GateForm& form) {
  std::string text = form.prompt.empty() ? "The author asks visitors to request access to this Space." : form.prompt;
  return "<p id=\"gate-prompt\" style=\"white-space:pre-line\">" + HtmlEscape(text) + "</p>";
}

std::string FieldInput(const card::GateField& f, size_t index) {
  const std::string name = HtmlEscape(f.label);
  const std::string attrs =
      " id=\"gate-field-" + std::to_string(index) + "\" name=\"" + name + "\"" + (f.required ? " required" : "");
  if (f.type == "checkbox") {
    return "<label><input type=\"checkbox\" value=\"on\"" + attrs + "> " + name + "</label>";
  }
  if (f.type == "select" || f.type == "country") {
    std::string html = "<label>" + name + " <select" + attrs +
                       (f.type == "country" ? " autocomplete=\"country-name\"" : "") +
                       "><option value=\"\">Choose…</option>";
    if (f.type == "country") {
      for (std::string_view c : card::CountryNames()) html += "<option>" + HtmlEscape(c) + "</option>";
    }
    for (const card::GateOption& o : f.options) {
      html += "<option value=\"" + HtmlEscape(o.value) + "\">" + HtmlEscape(o.label) + "</option>";
    }
    return html + "</select></label>";
  }
  std::string type = f.type == "date_picker" ? "date" : "text";
  return "<label>" + name + " <input type=\"" + type + "\" maxlength=\"" + std::to_string(card::kMaxGateAnswerBytes) +
         "\"" + attrs + "></label>";
}

std::string FormHeading(const card::GateForm& form) {
  return "<h2 id=\"gate-heading\">" + (form.heading.empty() ? "Request access" : HtmlEscape(form.heading)) + "</h2>";
}

std::string RequestForm(const store::Space& s, const access::Principal& who, const std::string& mode) {
  card::GateForm form = GateFormOf(s);
  std::string html =
      "<section class=\"panel\" id=\"gate\" data-state=\"none\">" + FormHeading(form) + Prompt(form) +
      "<p class=\"muted\">" +
      (mode == "auto" ? "Access is granted as soon as you send this form." : "The author reviews each request.") +
      "</p><form class=\"stack\" method=\"post\" id=\"gate-form\" action=\"" + HtmlEscape(SpacePath(s)) +
      "/ask-access\">" + CsrfField(who);
  for (size_t i = 0; i < form.fields.size(); ++i) html += FieldInput(form.fields[i], i);
  if (!form.description.empty()) {
    html += "<p id=\"gate-description\" class=\"muted\" style=\"white-space:pre-line\">" +
            HtmlEscape(form.description) + "</p>";
  }
  return html + "<button class=\"button\" type=\"submit\" id=\"request-access\">" +
         (form.button.empty() ? "Request access" : HtmlEscape(form.button)) + "</button></form></section>";
}

std::string StatePanel(const store::AccessRequest& r) {
  if (r.status == AccessRequestStatus::kPending) {
    return "<section class=\"panel\" id=\"gate\" data-state=\"pending\"><h2>Access requested</h2><p id=\"gate-state\">"
           "Your request is pending: the author will review it.</p></section>";
  }
  std::string html =
      "<section class=\"panel\" id=\"gate\" data-state=\"rejected\"><h2>Access refused</h2>"
      "<p id=\"gate-state\">The author rejected your request to use this Space.</p>";
  if (!r.rejection_reason.empty()) {
    html += "<p id=\"gate-reason\">Reason: " + HtmlEscape(r.rejection_reason) + "</p>";
  }
  return html + "</section>";
}

std::string SignInPanel(const store::Space& s) {
  card::GateForm form = GateFormOf(s);
  return "<section class=\"panel\" id=\"gate\" data-state=\"anonymous\">" + FormHeading(form) + Prompt(form) +
         "<p><a class=\"button\" id=\"gate-sign-in\" href=\"/login?next=" + HtmlEscape(UrlEncode(SpacePath(s))) +
         "\">Sign in to request access</a></p></section>";
}

// ---- The owner's review page ----

std::string ReviewPath(const store::Space& s) { return SpacePath(s) + "/settings/access"; }

// The answers in the card's field order, then any others.
std::string AnswersHtml(const card::GateForm& form, const std::string& fields_json) {
  Json answers = ParseStoredJson(fields_json);
  if (!answers.is_object() || answers.empty()) return "<span class=\"muted\">no answers</span>";
  std::string html = "<dl class=\"answers\">";
  auto add = [&](const std::string& label, const Json& value) {
    html += "<dt>" + HtmlEscape(label) + "</dt><dd>" +
            HtmlEscape(value.is_string() ? value.get<std::string>() : DumpJson(value)) + "</dd>";
  };
  for (const card::GateField& f : form.fields) {
    if (auto it = answers.find(f.label); it != answers.end()) add(f.label, *it);
  }
  for (const auto& [label, value] : answers.items()) {
    bool in_form = false;
    for (const card::GateField& f : form.fields) in_form = in_form || f.label == label;
    if (!in_form) add(label, value);
  }
  return html + "</dl>";
}

std::string DecisionForm(const store::Space& s, const access::Principal& who, const store::AccessRequest& r,
                         AccessRequestStatus to) {
  std::string html = "<form class=\"inline decide\" method=\"post\" action=\"" + HtmlEscape(ReviewPath(s)) +
                     "/decide\">" + CsrfField(who) + "<input type=\"hidden\" name=\"user\" value=\"" +
                     HtmlEscape(r.user_name) + "\"><input type=\"hidden\" name=\"status\" value=\"" +
                     std::string(store::AccessRequestStatusName(to)) + "\">";
  if (to == AccessRequestStatus::kRejected) {
    html += "<input name=\"reason\" class=\"reason\" placeholder=\"Reason (optional)\" maxlength=\"" +
            std::to_string(kMaxRejectionReasonBytes) + "\"> <button type=\"submit\" class=\"reject\">Reject</button>";
  } else {
    html += "<button type=\"submit\" class=\"accept\">Accept</button>";
  }
  return html + "</form>";
}

const char* Heading(AccessRequestStatus status) {
  switch (status) {
    case AccessRequestStatus::kPending:
      return "Pending";
    case AccessRequestStatus::kAccepted:
      return "Accepted";
    case AccessRequestStatus::kRejected:
      return "Rejected";
  }
  return "";
}

std::string RequestsTable(const store::Space& s, const access::Principal& who, const card::GateForm& form,
                          AccessRequestStatus status, const std::vector<store::AccessRequest>& list) {
  std::string name(store::AccessRequestStatusName(status));
  std::string html = "<section class=\"panel\"><h2>" + std::string(Heading(status)) + " (" +
                     std::to_string(list.size()) + ")</h2><table class=\"list\" id=\"" + name +
                     "\"><tr><th>User</th><th>Asked</th><th>Answers</th><th></th></tr>";
  for (const store::AccessRequest& r : list) {
    html += "<tr data-user=\"" + HtmlEscape(r.user_name) + "\"><td class=\"user\">" + HtmlEscape(r.user_name) +
            "</td><td>" + FormatIsoTime(r.created_at) + "</td><td>" + AnswersHtml(form, r.fields_json);
    if (!r.rejection_reason.empty()) html += "<p class=\"muted\">Reason: " + HtmlEscape(r.rejection_reason) + "</p>";
    html += "</td><td>";
    if (status != AccessRequestStatus::kAccepted) html += DecisionForm(s, who, r, AccessRequestStatus::kAccepted);
    if (status != AccessRequestStatus::kRejected) html += " " + DecisionForm(s, who, r, AccessRequestStatus::kRejected);
    html += "</td></tr>";
  }
  return html + "</table></section>";
}

std::string GateModeForm(const store::Space& s, const access::Principal& who, const std::string& mode) {
  std::string html = "<section class=\"panel\"><h2>Gating</h2><p id=\"gate-mode-now\">" +
                     std::string(mode.empty()     ? "Not gated: everyone who can see this Space may use its app."
                                 : mode == "auto" ? "Gated (auto): every request is accepted at once."
                                                  : "Gated (manual): you accept or reject each request.") +
                     "</p><form class=\"stack\" method=\"post\" action=\"" + HtmlEscape(ReviewPath(s)) + "/gate\">" +
                     CsrfField(who) + "<label>Gating <select name=\"mode\" id=\"gate-mode\">";
  for (const auto& [value, label] :
       {std::pair{"off", "off"}, {"auto", "auto: accept every request"}, {"manual", "manual: review each request"}}) {
    bool on = mode == value || (mode.empty() && std::string_view(value) == "off");
    html += "<option value=\"" + std::string(value) + "\"" + (on ? " selected" : "") + ">" + label + "</option>";
  }
  return html +
         "</select></label><button class=\"button\" type=\"submit\" id=\"save-gate\">Save</button></form></section>";
}

std::string VisibilityForm(const store::Space& s, const access::Principal& who) {
  const store::Visibility now = s.effective_visibility();
  std::string html =
      "<section class=\"panel\"><h2>Visibility</h2><p id=\"visibility-now\">" +
      std::string(now == store::Visibility::kPrivate     ? "Private: only you and the owning organization's members see it."
                  : now == store::Visibility::kProtected ? "Protected: the page and the app are public, the files are not."
                                                         : "Public: anyone sees the page, the app and the files.") +
      "</p><form class=\"stack\" method=\"post\" action=\"" + HtmlEscape(ReviewPath(s)) + "/visibility\">" +
      CsrfField(who) + "<label>Visibility <select name=\"visibility\" id=\"visibility\">";
  for (store::Visibility v : {store::Visibility::kPublic, store::Visibility::kProtected, store::Visibility::kPrivate}) {
    const std::string name(store::VisibilityName(v));
    html += "<option value=\"" + name + "\"" + (v == now ? " selected" : "") + ">" + name + "</option>";
  }
  return html + "</select></label><button class=\"button\" type=\"submit\" id=\"save-visibility\">Save</button>"
                "</form></section>";
}

Status HandleReviewPage(HubCore& hub, Call& call) {
  std::optional<access::Principal> who = PageViewer(call);
  if (!who) return RedirectTo(call, "/login?next=" + UrlEncode(call.request.path));
  ASSIGN_OR_RETURN(OwnedSpace owned, hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), false));
  const store::Space& s = owned.space;
  ASSIGN_OR_RETURN(std::string mode, hub.deps().store->GetGate(s.id));
  card::GateForm form = GateFormOf(s);
  std::string body = "<main><h1>Access requests</h1><p><a href=\"" + HtmlEscape(SpacePath(s)) + "\">" +
                     HtmlEscape(s.full_id()) + "</a></p>" + VisibilityForm(s, *who) + GateModeForm(s, *who, mode);
  for (AccessRequestStatus status :
       {AccessRequestStatus::kPending, AccessRequestStatus::kAccepted, AccessRequestStatus::kRejected}) {
    ASSIGN_OR_RETURN(std::vector<store::AccessRequest> list, hub.deps().store->ListAccessRequests(s.id, status));
    body += RequestsTable(s, *who, form, status, list);
  }
  return call.SendHtml(200, RenderPage("Access requests · " + s.full_id(), body + "</main>", AccountNav(who)));
}

// A session form from this site by someone with the write level on the Space.
Result<OwnedSpace> OwnerForm(HubCore& hub, Call& call, const Form& form) {
  RETURN_IF_ERROR(CheckSessionForm(hub, call, form).status());
  return hub.OwnedSpaceFor(call, call.Param("owner"), call.Param("name"), true);
}

Status HandleDecide(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(OwnedSpace owned, OwnerForm(hub, call, form));
  std::optional<AccessRequestStatus> status = store::ParseAccessRequestStatus(form.Get("status"));
  if (!status) return Status::InvalidArgument("status must be pending, accepted or rejected");
  if (form.Get("user").empty()) return Status::InvalidArgument("user is required");
  RETURN_IF_ERROR(DecideAccess(hub, owned.space, form.Get("user"), *status, form.Get("reason")));
  return RedirectTo(call, ReviewPath(owned.space));
}

Status HandleVisibility(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(OwnedSpace owned, OwnerForm(hub, call, form));
  std::optional<store::Visibility> v = store::ParseVisibility(form.Get("visibility"));
  if (!v) return Status::InvalidArgument("visibility must be public, protected or private");
  RETURN_IF_ERROR(SetSpaceVisibility(hub, owned.space, *v));
  return RedirectTo(call, ReviewPath(owned.space));
}

Status HandleGateMode(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(OwnedSpace owned, OwnerForm(hub, call, form));
  std::string mode = form.Get("mode");
  if (mode != "off" && mode != "auto" && mode != "manual") {
    return Status::InvalidArgument("gating must be off, auto or manual");
  }
  RETURN_IF_ERROR(SetGateMode(hub, owned.space, mode == "off" ? "" : mode));
  return RedirectTo(call, ReviewPath(owned.space));
}

// ---- The visitor's form ----

Status HandleAskAccessForm(HubCore& hub, Call& call) {
  ASSIGN_OR_RETURN(Form form, ReadForm(call));
  ASSIGN_OR_RETURN(access::Principal who, CheckSessionForm(hub, call, form));
  ASSIGN_OR_RETURN(store::Space space, hub.VisibleSpace(call, call.Param("owner"), call.Param("name")));
  RETURN_IF_ERROR(AskAccess(hub, space, who, FormAnswers(form.body)).status());
  return RedirectTo(call, SpacePath(space));
}

}  // namespace

GatePanel GatePanelFor(HubCore& hub, const store::Space& space, const std::optional<access::Principal>& who) {
  GatePanel panel{hub.GateOf(space), true, ""};
  access::AccessLevel level = hub.LevelOn(who, space);
  if (panel.mode.empty()) {
    if (level >= access::AccessLevel::kWrite) {
      panel.html = "<p id=\"access-settings\"><a href=\"" + HtmlEscape(ReviewPath(space)) +
                   "\">Visibility and gating</a></p>";
    }
    return panel;
  }
  if (level >= access::AccessLevel::kWrite) {
    // What waits for the owner's decision, counted where they will see it.
    auto pending = hub.deps().store->ListAccessRequests(space.id, AccessRequestStatus::kPending);
    std::string waiting = pending.ok() && !pending->empty() ? " <strong id=\"gate-pending\">(" +
                                                                  std::to_string(pending->size()) + " waiting)</strong>"
                                                            : "";
    panel.html = "<p id=\"gate-review\">Gated (" + panel.mode + "): <a href=\"" + HtmlEscape(ReviewPath(space)) +
                 "\">review access requests</a>" + waiting + "</p>";
    return panel;
  }
  if (level >= access::AccessLevel::kRead) return panel;  // members pass the gate
  panel.show_app = false;
  if (!who) {
    panel.html = SignInPanel(space);
    return panel;
  }
  Result<std::optional<store::AccessRequest>> own = OwnAccessRequest(hub, space, who->user.id);
  if (!own.ok()) {
    panel.html = "<section class=\"panel error-box\" id=\"gate\">Your access request could not be read: " +
                 HtmlEscape(own.status().message()) + "</section>";
  } else if (!own->has_value()) {
    panel.html = RequestForm(space, *who, panel.mode);
  } else if ((*own)->status == AccessRequestStatus::kAccepted) {
    panel.show_app = true;
  } else {
    panel.html = StatePanel(**own);
  }
  return panel;
}

void RegisterGateWeb(Router& router, HubCore& hub) {
  HubCore* h = &hub;
  auto add = [&](const char* method, const std::string& pattern, Status (*fn)(HubCore&, Call&)) {
    router.Add(
        method, pattern, [h, fn](Call& c) { return fn(*h, c); }, ErrorFormat::kHtml);
  };
  const std::string base = "/spaces/:owner/:name";
  add("POST", base + "/ask-access", HandleAskAccessForm);
  add("GET", base + "/settings/access", HandleReviewPage);
  add("POST", base + "/settings/access/decide", HandleDecide);
  add("POST", base + "/settings/access/gate", HandleGateMode);
  add("POST", base + "/settings/access/visibility", HandleVisibility);
}

}  // namespace spaceport::hub
