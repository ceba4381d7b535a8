#include "card/gate_form.h"

#include <algorithm>
#include <array>

#include "card/countries.h"
#include "core/strings.h"

namespace spaceport::card {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 5> kFieldTypes = {"text", "checkbox", "date_picker", "country", "select"};

std::string Quoted(const std::string& label) { return "field '" + label + "'"; }

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// YYYY-MM-DD, a real calendar day.
bool IsIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  std::optional<int64_t> y = ParseInt(s.substr(0, 4)), m = ParseInt(s.substr(5, 2)), d = ParseInt(s.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1) return false;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[*m - 1] + (*m == 2 && IsLeap(*y) ? 1 : 0);
  return *d <= days;
}

std::string OptionValues(const GateField& field) {
  std::vector<std::string> values;
  for (const GateOption& o : field.options) values.push_back(o.value);
  return Join(values, ", ");
}

Status CheckAnswer(const GateField& field, std::string_view answer) {
  if (answer.size() > kMaxGateAnswerBytes) {
    return Status::InvalidArgument(Quoted(field.label) + " is too long (at most " +
                                   std::to_string(kMaxGateAnswerBytes) + " bytes)");
  }
  if (field.type == "checkbox") {
    if (IsTicked(answer)) return Status::Ok();
    static constexpr std::array<std::string_view, 5> kUnticked = {"", "off", "false", "no", "0"};
    if (std::find(kUnticked.begin(), kUnticked.end(), ToLower(answer)) == kUnticked.end()) {
      return Status::InvalidArgument(Quoted(field.label) + " is a checkbox: expected on or off");
    }
    if (field.required) return Status::InvalidArgument(Quoted(field.label) + " must be ticked");
    return Status::Ok();
  }
  if (answer.empty()) {
    return field.required ? Status::InvalidArgument(Quoted(field.label) + " is required") : Status::Ok();
  }
  if (field.type == "date_picker" && !IsIsoDate(answer)) {
    return Status::InvalidArgument(Quoted(field.label) + " must be a date like 2024-05-31");
  }
  if (field.type == "country" && !IsCountryName(answer)) {
    return Status::InvalidArgument(Quoted(field.label) + " must be a country from the list (like France or Japan)");
  }
  if (field.type == "select") {
    bool known =
        std::any_of(field.options.begin(), field.options.end(), [&](const GateOption& o) { return o.value == answer; });
    if (!known) return Status::InvalidArgument(Quoted(field.label) + " must be one of: " + OptionValues(field));
  }
  return Status::Ok();
}

std::string StringAt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool IsGateFieldType(std::string_view type) {
  return std::find(kFieldTypes.begin(), kFieldTypes.end(), type) != kFieldTypes.end();
}

bool IsTicked(std::string_view answer) {
  std::string a = ToLower(Trim(answer));
  return a == "on" || a == "true" || a == "yes" || a == "1";
}

Json GateFormToJson(const GateForm& form) {
  Json fields = Json::array();
  for (const GateField& f : form.fields) {
    Json field = {{"label", f.label}, {"type", f.type}};
    if (!f.options.empty()) {
      Json options = Json::array();
      for (const GateOption& o : f.options) options.push_back({{"label", o.label}, {"value", o.value}});
      field["options"] = std::move(options);
    }
    if (!f.required) field["required"] = false;
    fields.push_back(std::move(field));
  }
  Json out = {{"fields", std::move(fields)}};
  if (!form.heading.empty()) out["heading"] = form.heading;
  if (!form.prompt.empty()) out["prompt"] = form.prompt;
  if (!form.description.empty()) out["description"] = form.description;
  if (!form.button.empty()) out["button"] = form.button;
  return out;
}

GateForm GateFormFromCardData(const Json& card_data) {
  GateForm form;
  if (!card_data.is_object()) return form;
  auto sp = card_data.find("spaceport");
  if (sp == card_data.end() || !sp->is_object()) return form;
  auto gated = sp->find("gated");
  if (gated == sp->end() || !gated->is_object()) return form;
  form.heading = StringAt(*gated, "heading");
  form.prompt = StringAt(*gated, "prompt");
  form.description = StringAt(*gated, "description");
  form.button = StringAt(*gated, "button");
  auto fields = gated->find("fields");
  if (fields == gated->end() || !fields->is_array()) return form;
  for (const Json& f : *fields) {
    if (!f.is_object()) continue;
    GateField field{StringAt(f, "label"), StringAt(f, "type"), {}, true};
    if (field.label.empty() || !IsGateFieldType(field.type)) continue;
    if (auto req = f.find("required"); req != f.end() && req->is_boolean()) field.required = req->get<bool>();
    if (auto opts = f.find("options"); opts != f.end() && opts->is_array()) {
      for (const Json& o : *opts) {
        if (o.is_object()) field.options.push_back({StringAt(o, "label"), StringAt(o, "value")});
      }
    }
    if (field.type == "select" && field.options.empty()) continue;
    form.fields.push_back(std::move(field));
  }
  return form;
}

Status CheckGateAnswers(const GateForm& form, const Json& answers) {
  if (!answers.is_object()) return Status::InvalidArgument("the answers must be an object of strings");
  if (form.fields.empty()) return Status::Ok();
  for (const auto& item : answers.items()) {
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    bool known =
        std::any_of(form.fields.begin(), form.fields.end(), [&](const GateField& f) { return f.label == key; });
    if (!known) return Status::InvalidArgument("unknown field '" + key + "': this Space does not ask for it");
    if (!value.is_string()) return Status::InvalidArgument(Quoted(key) + " must be a string");
  }
  for (const GateField& field : form.fields) {
    auto it = answers.find(field.label);
    std::string answer = it == answers.end() ? "" : std::string(Trim(it->get_ref<const std::string&>()));
    RETURN_IF_ERROR(CheckAnswer(field, answer));
  }
  return Status::Ok();
}

}  // namespace spaceport::card
