// The countries a gated Space's `country` field offers (gate_form.h): the
// ISO 3166-1 countries and territories by short English name, in the order
// the form lists them. An answer must be one of them exactly.
// Thread safety: constant data.
#pragma once

#include <span>
#include <string_view>

namespace spaceport::card {

std::span<const std::string_view> CountryNames();
bool IsCountryName(std::string_view name);

}  // namespace spaceport::card
