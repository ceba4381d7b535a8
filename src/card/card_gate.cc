// The gating form of the card (gate_form.h): Spaceport's
// `spaceport.gated: {heading, prompt, description, button, fields}` and HF's
// `extra_gated_heading` / `_prompt` / `_description` / `_button_content` /
// `_fields`, checked with the README line of the bad value.
#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "card/card_keys.h"
#include "card/yaml_json.h"
#include "core/strings.h"

namespace spaceport::card::internal {
namespace {

constexpr size_t kMaxPromptBytes = 4096;
constexpr std::string_view kTypes = "text, checkbox, date_picker, country or {type: select, options: [...]}";

// A mapping's entry, absent when missing or null.
std::optional<YAML::Node> Entry(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return std::nullopt;
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) return std::nullopt;
  return v;
}

bool IsLabel(const YAML::Node& v) {
  if (!v.IsScalar()) return false;
  const std::string& s = v.Scalar();
  return !Trim(s).empty() && s.size() <= kMaxGateLabelBytes &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Status ReadPrompt(const YAML::Node& v, std::string_view key, std::string& out) {
  if (!v.IsScalar() || v.Scalar().size() > kMaxPromptBytes) return Fail(v, key, "a string of at most 4096 bytes");
  out = v.Scalar();
  return Status::Ok();
}

// A heading or a button's text: one line of 1 to 200 characters.
Status ReadTitle(const YAML::Node& v, std::string_view key, std::string& out) {
  if (!IsLabel(v)) return Fail(v, key, "one line of 1 to 200 characters");
  out = v.Scalar();
  return Status::Ok();
}

// The form's texts: Spaceport's key under spaceport.gated, HF's top-level
// key, and whether it is a title (heading, button: one line) or text (up to
// 4096 bytes).
struct TextPart {
  const char* own_key;
  const char* hf_key;
  bool title;
  std::string GateForm::*field;
};
constexpr std::array<TextPart, 4> kTextParts = {{
    {"heading", "extra_gated_heading", true, &GateForm::heading},
    {"prompt", "extra_gated_prompt", false, &GateForm::prompt},
    {"description", "extra_gated_description", false, &GateForm::description},
    {"button", "extra_gated_button_content", true, &GateForm::button},
}};

Status ReadText(const TextPart& part, const YAML::Node& v, std::string_view key, GateForm& form) {
  return part.title ? ReadTitle(v, key, form.*part.field) : ReadPrompt(v, key, form.*part.field);
}

// A select's option: a string, or {label, value} as on the Hub.
Result<GateOption> ReadOption(const YAML::Node& v, const std::string& key) {
  const std::string_view expected = "an option: a string or {label, value}";
  if (IsLabel(v)) return GateOption{v.Scalar(), v.Scalar()};
  std::optional<YAML::Node> label = Entry(v, "label");
  if (!label || !IsLabel(*label)) return Fail(v, key, expected);
  std::optional<YAML::Node> value = Entry(v, "value");
  if (value && !IsLabel(*value)) return Fail(*value, key, expected);
  return GateOption{label->Scalar(), value ? value->Scalar() : label->Scalar()};
}

Status ReadOptions(const YAML::Node& v, const std::string& key, GateField& field) {
  if (!v.IsSequence() || v.size() == 0 || v.size() > kMaxGateOptions) {
    return Fail(v, key, "a list of 1 to 200 options");
  }
  for (const auto& item : v) {
    ASSIGN_OR_RETURN(GateOption option, ReadOption(item, key));
    field.options.push_back(std::move(option));
  }
  return Status::Ok();
}

// {type: ..., options: [...], required: BOOL}
Status ReadFieldMap(const YAML::Node& spec, const std::string& key, GateField& field) {
  for (const auto& kv : spec) {
    std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (name != "type" && name != "options" && name != "required")
      return Fail(kv.first, key, "type, options or required");
  }
  std::optional<YAML::Node> type = Entry(spec, "type");
  if (!type || !type->IsScalar() || !IsGateFieldType(type->Scalar())) {
    return Fail(type ? *type : spec, key + ".type", kTypes);
  }
  field.type = type->Scalar();
  if (std::optional<YAML::Node> required = Entry(spec, "required")) {
    nlohmann::json b = required->IsScalar() ? ResolveScalar(*required) : nlohmann::json();
    if (!b.is_boolean()) return Fail(*required, key + ".required", "true or false");
    field.required = b.get<bool>();
  }
  std::optional<YAML::Node> options = Entry(spec, "options");
  if (field.type != "select") {
    if (options) return Fail(*options, key + ".options", "no options (only a select has them)");
    return Status::Ok();
  }
  if (!options) return Fail(spec, key + ".options", "a list of 1 to 200 options");
  return ReadOptions(*options, key + ".options", field);
}

Result<GateField> ReadField(const YAML::Node& label, const YAML::Node& spec, std::string_view base) {
  if (!IsLabel(label)) return Fail(label, base, "field labels of 1 to 200 characters");
  if (label.Scalar() == "csrf") return Fail(label, base, "a label other than csrf (used by the form)");
  GateField field{label.Scalar(), "", {}, true};
  const std::string key = std::string(base) + "." + field.label;
  if (spec.IsMap()) {
    RETURN_IF_ERROR(ReadFieldMap(spec, key, field));
  } else if (spec.IsScalar() && IsGateFieldType(spec.Scalar()) && spec.Scalar() != "select") {
    field.type = spec.Scalar();
  } else {
    return Fail(spec, key, kTypes);
  }
  return field;
}

Status ReadFields(const YAML::Node& v, std::string_view key, std::vector<GateField>& out) {
  if (!v.IsMap()) return Fail(v, key, "a mapping of labels to field types");
  if (v.size() > kMaxGateFields) return Fail(v, key, "at most 50 fields");
  std::set<std::string> seen;
  for (const auto& kv : v) {
    ASSIGN_OR_RETURN(GateField field, ReadField(kv.first, kv.second, key));
    if (!seen.insert(field.label).second) {
      return Status::InvalidArgument(AtLine(kv.first) + std::string(key) + "." + field.label +
                                     ": the label appears twice");
    }
    out.push_back(std::move(field));
  }
  return Status::Ok();
}

struct OwnGate {
  GateForm form;
  std::set<std::string> given;  // the keys spaceport.gated names
};

Result<OwnGate> ReadSpaceportGated(const YAML::Node& gated) {
  OwnGate own;
  const std::string_view keys = "heading, prompt, description, button or fields";
  if (!gated.IsMap()) return Fail(gated, "spaceport.gated", "a mapping of " + std::string(keys));
  for (const auto& kv : gated) {
    std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    bool known = name == "fields" || std::any_of(kTextParts.begin(), kTextParts.end(),
                                                 [&](const TextPart& p) { return name == p.own_key; });
    if (!known) return Fail(kv.first, "spaceport.gated", keys);
  }
  for (const TextPart& part : kTextParts) {
    if (std::optional<YAML::Node> v = Entry(gated, part.own_key)) {
      RETURN_IF_ERROR(ReadText(part, *v, std::string("spaceport.gated.") + part.own_key, own.form));
      own.given.insert(part.own_key);
    }
  }
  if (std::optional<YAML::Node> fields = Entry(gated, "fields")) {
    RETURN_IF_ERROR(ReadFields(*fields, "spaceport.gated.fields", own.form.fields));
    own.given.insert("fields");
  }
  return own;
}

}  // namespace

Status ApplyGateKeys(const YAML::Node& root, Card& card) {
  GateForm hf;
  for (const TextPart& part : kTextParts) {
    if (std::optional<YAML::Node> v = Entry(root, part.hf_key)) RETURN_IF_ERROR(ReadText(part, *v, part.hf_key, hf));
  }
  if (std::optional<YAML::Node> fields = Entry(root, "extra_gated_fields")) {
    RETURN_IF_ERROR(ReadFields(*fields, "extra_gated_fields", hf.fields));
  }
  OwnGate own;
  std::optional<YAML::Node> spaceport = Entry(root, "spaceport");
  std::optional<YAML::Node> gated = spaceport ? Entry(*spaceport, "gated") : std::nullopt;
  if (gated) {
    ASSIGN_OR_RETURN(own, ReadSpaceportGated(*gated));
  }
  for (const TextPart& part : kTextParts) {
    card.gate.*part.field = own.given.contains(part.own_key) ? own.form.*part.field : hf.*part.field;
  }
  card.gate.fields = own.given.contains("fields") ? own.form.fields : hf.fields;
  if (card.gate.empty() && !gated) return Status::Ok();
  card.data["spaceport"]["gated"] = GateFormToJson(card.gate);
  card.spaceport = card.data["spaceport"];
  return Status::Ok();
}

}  // namespace spaceport::card::internal
