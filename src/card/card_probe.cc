// spaceport.probe (docs/card.md): the request the directory's health probe
// sends the app, and what the answer must hold.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "card/card.h"
#include "card/card_keys.h"
#include "core/strings.h"

namespace spaceport::card {

Result<ProbeSpec> ProbeSpecFromJson(const nlohmann::json& probe) {
  ProbeSpec spec;
  if (probe.is_null()) return spec;
  if (probe.is_string()) probe.get_to(spec.path);  // `probe: /health` is short for {path: /health}
  else if (!probe.is_object()) return Status::InvalidArgument("a path or a mapping with path, method, body, expect_status, expect_text");
  auto text = [&](const char* key, std::string* out, size_t max) -> Status {
    auto it = probe.find(key);
    if (it == probe.end() || it->is_null()) return Status::Ok();
    if (!it->is_string() && !it->is_number()) return Status::InvalidArgument(std::string(key) + ": a string");
    *out = it->is_string() ? it->get<std::string>() : it->dump();
    if (out->size() > max) return Status::InvalidArgument(std::string(key) + ": at most " + std::to_string(max) + " bytes");
    return Status::Ok();
  };
  if (probe.is_object()) {
    for (auto it = probe.begin(); it != probe.end(); ++it) {
      static const char* kKeys[] = {"path", "method", "body", "expect_status", "expect_text"};
      if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return it.key() == k; }) ==
          std::end(kKeys)) {
        return Status::InvalidArgument("unknown key '" + it.key() + "' (path, method, body, expect_status, expect_text)");
      }
    }
    RETURN_IF_ERROR(text("path", &spec.path, 2000));
    RETURN_IF_ERROR(text("method", &spec.method, 16));
    RETURN_IF_ERROR(text("body", &spec.body, 64 * 1024));
    RETURN_IF_ERROR(text("expect_text", &spec.expect_text, 1000));
    if (auto it = probe.find("expect_status"); it != probe.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 100 || it->get<int64_t>() > 599) {
        return Status::InvalidArgument("expect_status: an HTTP status 100-599");
      }
      spec.expect_status = it->get<int>();
    }
  }
  if (spec.path.empty() || spec.path[0] != '/') return Status::InvalidArgument("path: a path starting with /");
  for (char c : spec.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Status::InvalidArgument("path: no spaces or control characters");
  }
  std::transform(spec.method.begin(), spec.method.end(), spec.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  static const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS"};
  if (std::find_if(std::begin(kMethods), std::end(kMethods), [&](const char* m) { return spec.method == m; }) ==
      std::end(kMethods)) {
    return Status::InvalidArgument("method: GET, HEAD, POST, PUT, PATCH or OPTIONS");
  }
  return spec;
}

namespace internal {

Status ReadSpaceportProbe(const YAML::Node& spaceport, Card& card) {
  const YAML::Node probe = spaceport["probe"];
  if (!probe || probe.IsNull()) return Status::Ok();
  auto it = card.spaceport.find("probe");
  Result<ProbeSpec> spec = ProbeSpecFromJson(it == card.spaceport.end() ? nlohmann::json() : *it);
  if (!spec.ok()) return Fail(probe, "spaceport.probe", spec.status().message());
  card.probe = std::move(spec).value();
  return Status::Ok();
}

}  // namespace internal
}  // namespace spaceport::card
