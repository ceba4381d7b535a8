// GateForm: the access-request form of a gated Space, defined by its card.
//
// The card gives a prompt and custom fields either as Spaceport's own
// `spaceport.gated: {heading, prompt, description, button, fields}` or as
// Hugging Face's top-level `extra_gated_heading`, `extra_gated_prompt`,
// `extra_gated_description`, `extra_gated_button_content` and
// `extra_gated_fields` (spaceport.gated wins where both give a part).
// ParseCard checks them (errors name the key and README line) and writes the
// normalised form into the card's data as `spaceport.gated: {heading?,
// prompt?, description?, button?, fields: [{label, type, options?, required?}]}`,
// a list so the order of the card survives the JSON (whose objects are
// sorted). The hub reads it back from the stored card JSON with
// GateFormFromCardData and checks a visitor's answers with CheckGateAnswers.
// Thread safety: pure functions over values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace spaceport::card {

inline constexpr size_t kMaxGateFields = 50;
inline constexpr size_t kMaxGateLabelBytes = 200;
inline constexpr size_t kMaxGateOptions = 200;
inline constexpr size_t kMaxGateAnswerBytes = 1000;

struct GateOption {
  std::string label;  // shown
  std::string value;  // stored (the label unless the card says otherwise)
};

struct GateField {
  std::string label;                // shown, and the key of the answer
  std::string type;                 // text | checkbox | date_picker | country | select
  std::vector<GateOption> options;  // select only, at least one
  bool required = true;             // checkboxes: must be ticked
};

struct GateForm {
  std::string heading;      // the form's title (default "Request access")
  std::string prompt;       // what the author asks of visitors
  std::string description;  // shown under the fields
  std::string button;       // the submit button's text (default "Request access")
  std::vector<GateField> fields;
  bool empty() const {
    return heading.empty() && prompt.empty() && description.empty() && button.empty() && fields.empty();
  }
};

// True for the field types a card may name.
bool IsGateFieldType(std::string_view type);

// The normalised JSON written into card data (see above).
nlohmann::json GateFormToJson(const GateForm& form);
// Reads the normalised form from card data (Card::data or the stored card
// JSON); an empty form when the card defines none. Malformed entries (never
// written by ParseCard) are skipped.
GateForm GateFormFromCardData(const nlohmann::json& card_data);

// A checkbox answer that counts as ticked: on, true, yes, 1.
bool IsTicked(std::string_view answer);

// Checks a visitor's answers (a JSON object of strings, label -> answer)
// against the form. With no fields any answers pass (within the request's
// size limit). Otherwise: every key must be a field's label, a required
// field needs a non-empty answer, a required checkbox must be ticked, a date
// is YYYY-MM-DD, a select answer is one of its option values, a country one
// of CountryNames (countries.h), an answer is at most kMaxGateAnswerBytes.
// InvalidArgument naming the field otherwise.
Status CheckGateAnswers(const GateForm& form, const nlohmann::json& answers);

}  // namespace spaceport::card
