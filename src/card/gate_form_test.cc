// The gating form of the card: parsing (spaceport.gated and HF's
// extra_gated_*), the normalised JSON the hub reads back, and the checks of a
// visitor's answers.
#include "card/gate_form.h"

#include <gtest/gtest.h>

#include "card/card.h"

namespace spaceport::card {
namespace {

using Json = nlohmann::json;

constexpr char kHfCard[] = R"(---
sdk: gradio
extra_gated_prompt: Tell us who you are.
extra_gated_fields:
  Company: text
  Country: country
  Birthday: date_picker
  Use:
    type: select
    options:
      - Research
      - label: Something else
        value: other
  I agree to the terms: checkbox
---
)";

std::vector<std::string> Labels(const GateForm& form) {
  std::vector<std::string> out;
  for (const GateField& f : form.fields) out.push_back(f.label + ":" + f.type);
  return out;
}

TEST(GateFormTest, HfKeysGiveTheFormInCardOrder) {
  auto c = ParseCard(kHfCard);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->gate.prompt, "Tell us who you are.");
  EXPECT_EQ(Labels(c->gate), (std::vector<std::string>{"Company:text", "Country:country", "Birthday:date_picker",
                                                       "Use:select", "I agree to the terms:checkbox"}));
  const GateField& use = c->gate.fields[3];
  ASSERT_EQ(use.options.size(), 2u);
  EXPECT_EQ(use.options[0].value, "Research");
  EXPECT_EQ(use.options[1].label, "Something else");
  EXPECT_EQ(use.options[1].value, "other");
  // The stored card JSON carries the same form, order kept, HF's keys kept as given.
  Json stored = Json::parse(c->ToJson());
  EXPECT_TRUE(stored.contains("extra_gated_fields"));
  GateForm back = GateFormFromCardData(stored);
  EXPECT_EQ(Labels(back), Labels(c->gate));
  EXPECT_EQ(back.prompt, c->gate.prompt);
  EXPECT_EQ(back.fields[3].options[1].value, "other");
}

TEST(GateFormTest, SpaceportGatedWinsOverHfKeysInAnyOrder) {
  auto c = ParseCard(R"(---
spaceport:
  gated:
    prompt: Ours
    fields:
      Team: text
      Nickname: {type: text, required: false}
extra_gated_prompt: Theirs
extra_gated_fields:
  Company: text
---
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->gate.prompt, "Ours");
  EXPECT_EQ(Labels(c->gate), (std::vector<std::string>{"Team:text", "Nickname:text"}));
  EXPECT_FALSE(c->gate.fields[1].required);
  EXPECT_FALSE(GateFormFromCardData(Json::parse(c->ToJson())).fields[1].required);

  // Only the prompt from spaceport.gated: the fields still come from HF's key.
  auto mixed = ParseCard("---\nextra_gated_fields:\n  Company: text\nspaceport:\n  gated:\n    prompt: Hi\n---\n");
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(mixed->gate.prompt, "Hi");
  EXPECT_EQ(Labels(mixed->gate), (std::vector<std::string>{"Company:text"}));
}

TEST(GateFormTest, HeadingDescriptionAndButtonComeFromEitherKeySet) {
  auto hf = ParseCard(R"(---
extra_gated_heading: Acknowledge the license
extra_gated_description: Requests are reviewed within a day.
extra_gated_button_content: Agree and ask
extra_gated_fields:
  Company: text
---
)");
  ASSERT_TRUE(hf.ok()) << hf.status().ToString();
  EXPECT_EQ(hf->gate.heading, "Acknowledge the license");
  EXPECT_EQ(hf->gate.description, "Requests are reviewed within a day.");
  EXPECT_EQ(hf->gate.button, "Agree and ask");
  GateForm back = GateFormFromCardData(Json::parse(hf->ToJson()));
  EXPECT_EQ(back.heading, hf->gate.heading);
  EXPECT_EQ(back.description, hf->gate.description);
  EXPECT_EQ(back.button, hf->gate.button);

  auto ours = ParseCard(
      "---\nextra_gated_heading: Theirs\nextra_gated_button_content: Theirs too\n"
      "spaceport:\n  gated:\n    button: Ours\n---\n");
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  EXPECT_EQ(ours->gate.button, "Ours") << "spaceport.gated wins for the parts it gives";
  EXPECT_EQ(ours->gate.heading, "Theirs") << "and HF's keys fill the others";
  EXPECT_FALSE(ours->gate.empty());
}

TEST(GateFormTest, NoGateKeysLeaveTheCardAlone) {
  auto c = ParseCard("---\nsdk: static\nspaceport:\n  sleep:\n    freeze: false\n---\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->gate.empty());
  EXPECT_FALSE(c->spaceport.contains("gated"));
  EXPECT_TRUE(GateFormFromCardData(Json::parse(c->ToJson())).empty());
}

TEST(GateFormTest, BadGateKeysNameTheKeyAndLine) {
  struct Case {
    std::string yaml;
    int line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"extra_gated_fields: [a, b]\n", 2, "extra_gated_fields: expected a mapping of labels to field types"},
      {"extra_gated_fields:\n  Company: textarea\n", 3, "extra_gated_fields.Company: expected text, checkbox"},
      {"extra_gated_fields:\n  Use: select\n", 3, "extra_gated_fields.Use: expected text, checkbox"},
      {"extra_gated_fields:\n  Use:\n    type: select\n", 4, "extra_gated_fields.Use.options: expected a list"},
      {"extra_gated_fields:\n  Use:\n    type: select\n    options: []\n", 5, "extra_gated_fields.Use.options"},
      {"extra_gated_fields:\n  Use:\n    type: text\n    options: [a]\n", 5,
       "extra_gated_fields.Use.options: expected no options"},
      {"extra_gated_fields:\n  Use:\n    type: select\n    options:\n      - [x]\n", 6,
       "extra_gated_fields.Use.options: expected an option"},
      {"extra_gated_fields:\n  Use:\n    kind: text\n", 4,
       "extra_gated_fields.Use: expected type, options or required"},
      {"extra_gated_fields:\n  Use:\n    type: text\n    required: maybe\n", 5,
       "extra_gated_fields.Use.required: expected true or false"},
      {"extra_gated_fields:\n  csrf: text\n", 3, "expected a label other than csrf"},
      {"extra_gated_fields:\n  \"\": text\n", 3, "expected field labels"},
      {"extra_gated_prompt: [x]\n", 2, "extra_gated_prompt: expected a string"},
      {"spaceport:\n  gated: yes\n", 3, "spaceport.gated: expected a mapping"},
      {"spaceport:\n  gated:\n    feilds: {}\n", 4,
       "spaceport.gated: expected heading, prompt, description, button or fields"},
      {"extra_gated_heading: \"\"\n", 2, "extra_gated_heading: expected one line of 1 to 200 characters"},
      {"extra_gated_button_content: [x]\n", 2, "extra_gated_button_content: expected one line"},
      {"extra_gated_description: {a: b}\n", 2, "extra_gated_description: expected a string"},
      {"spaceport:\n  gated:\n    button: \"a\\nb\"\n", 4, "spaceport.gated.button: expected one line"},
      {"spaceport:\n  gated:\n    fields:\n      Agree: tickbox\n", 5, "spaceport.gated.fields.Agree: expected"},
  };
  for (const Case& c : cases) {
    auto card = ParseCard("---\n" + c.yaml + "---\n");
    ASSERT_FALSE(card.ok()) << c.yaml;
    const std::string& msg = card.status().message();
    EXPECT_NE(msg.find("README.md line " + std::to_string(c.line) + ": "), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.message), std::string::npos) << msg;
  }
  std::string many = "extra_gated_fields:\n";
  for (int i = 0; i < 51; ++i) many += "  F" + std::to_string(i) + ": text\n";
  auto too_many = ParseCard("---\n" + many + "---\n");
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("at most 50 fields"), std::string::npos);
}

class GateAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = ParseCard(kHfCard);
    ASSERT_TRUE(c.ok());
    form_ = c->gate;
  }
  Json Good() const {
    return {{"Company", "ACME"},
            {"Country", "France"},
            {"Birthday", "2000-02-29"},
            {"Use", "other"},
            {"I agree to the terms", "on"}};
  }
  std::string Error(const Json& answers) const { return CheckGateAnswers(form_, answers).message(); }
  GateForm form_;
};

TEST_F(GateAnswersTest, CompleteAnswersPass) { EXPECT_TRUE(CheckGateAnswers(form_, Good()).ok()); }

TEST_F(GateAnswersTest, EachBadAnswerNamesItsField) {
  Json a = Good();
  a.erase("Company");
  EXPECT_EQ(Error(a), "field 'Company' is required");
  a = Good();
  a["Company"] = "   ";
  EXPECT_EQ(Error(a), "field 'Company' is required");
  a = Good();
  a.erase("I agree to the terms");
  EXPECT_EQ(Error(a), "field 'I agree to the terms' must be ticked");
  a["I agree to the terms"] = "off";
  EXPECT_EQ(Error(a), "field 'I agree to the terms' must be ticked");
  a["I agree to the terms"] = "perhaps";
  EXPECT_EQ(Error(a), "field 'I agree to the terms' is a checkbox: expected on or off");
  a = Good();
  a["Birthday"] = "2001-02-29";
  EXPECT_EQ(Error(a), "field 'Birthday' must be a date like 2024-05-31");
  a["Birthday"] = "31/05/2024";
  EXPECT_EQ(Error(a), "field 'Birthday' must be a date like 2024-05-31");
  a = Good();
  a["Country"] = "Atlantis";
  EXPECT_EQ(Error(a), "field 'Country' must be a country from the list (like France or Japan)");
  a["Country"] = "france";
  EXPECT_EQ(Error(a), "field 'Country' must be a country from the list (like France or Japan)") << "exactly as listed";
  a["Country"] = "Côte d'Ivoire";
  EXPECT_TRUE(CheckGateAnswers(form_, a).ok()) << "names beyond ASCII";
  a = Good();
  a["Use"] = "Something else";  // the label, not the value
  EXPECT_EQ(Error(a), "field 'Use' must be one of: Research, other");
  a = Good();
  a["Company"] = std::string(kMaxGateAnswerBytes + 1, 'x');
  EXPECT_NE(Error(a).find("field 'Company' is too long"), std::string::npos);
  a = Good();
  a["Favourite colour"] = "blue";
  EXPECT_EQ(Error(a), "unknown field 'Favourite colour': this Space does not ask for it");
  a = Good();
  a["Company"] = 42;
  EXPECT_EQ(Error(a), "field 'Company' must be a string");
}

TEST_F(GateAnswersTest, OptionalFieldsMayBeLeftOut) {
  auto c = ParseCard(
      "---\nextra_gated_fields:\n  Nick: {type: text, required: false}\n"
      "  News: {type: checkbox, required: false}\n---\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(CheckGateAnswers(c->gate, Json::object()).ok());
  EXPECT_TRUE(CheckGateAnswers(c->gate, {{"News", "off"}}).ok());
}

TEST_F(GateAnswersTest, WithoutFieldsAnyAnswersPass) {
  EXPECT_TRUE(CheckGateAnswers(GateForm{}, {{"anything", "goes"}}).ok());
  EXPECT_FALSE(CheckGateAnswers(GateForm{}, Json::array()).ok());
}

}  // namespace
}  // namespace spaceport::card
