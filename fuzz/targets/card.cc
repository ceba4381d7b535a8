// Fuzz target: a Space's README.md as pushed by anyone who may write to it
// (card::ParseCard, card/card.h), then the same bytes wrapped as front matter
// ("---\n" + input + "\n---\n") so the YAML itself is fuzzed, and
// card::ParseDuration. A parsed card is read back as the hub does (ToJson,
// GateFormFromCardData). Checks: failure is InvalidArgument, a README without
// front matter gives no sdk, and a parsed duration is positive.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "card/card.h"
#include "card/gate_form.h"
#include "fuzz_support.h"

namespace spaceport::card {
namespace {

void FuzzReadme(std::string_view readme) {
  Result<Card> card = ParseCard(readme);
  if (!card.ok()) {
    SP_FUZZ_CHECK(card.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  SP_FUZZ_CHECK(card->has_front_matter || card->sdk.empty());
  static_cast<void>(card->ToJson());
  static_cast<void>(GateFormFromCardData(card->data));
}

}  // namespace
}  // namespace spaceport::card

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  spaceport::card::FuzzReadme(text);
  spaceport::card::FuzzReadme("---\n" + std::string(text) + "\n---\n");
  std::optional<int64_t> seconds = spaceport::card::ParseDuration(text);
  SP_FUZZ_CHECK(!seconds || *seconds > 0);
  return 0;
}
