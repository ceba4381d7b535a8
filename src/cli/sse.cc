#include "cli/sse.h"

#include <nlohmann/json.hpp>

namespace spaceport::cli {

std::vector<SseEvent> SseParser::Feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  for (char c : chunk) {
    if (c == '\n' && last_was_cr_) {  // the "\n" of a "\r\n"
      last_was_cr_ = false;
      continue;
    }
    last_was_cr_ = (c == '\r');
    if (c == '\n' || c == '\r') {
      OnLine(line_, out);
      line_.clear();
    } else if (line_.size() < kMaxLine) {
      line_ += c;
    }
  }
  return out;
}

void SseParser::OnLine(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (has_data_) out.push_back({event_.empty() ? "message" : event_, data_});
    event_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line[0] == ':') return;
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) data_ += '\n';
    if (data_.size() < kMaxLine) data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_ = std::string(value);
  }
}

LogEvent ParseLogEvent(std::string_view data) {
  LogEvent ev;
  nlohmann::json j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("data") && j["data"].is_string()) {
    ev.text = j["data"].get<std::string>();
    if (auto t = j.find("timestamp"); t != j.end() && t->is_string()) ev.timestamp = t->get<std::string>();
  } else {
    ev.text = std::string(data);
  }
  while (!ev.text.empty() && (ev.text.back() == '\n' || ev.text.back() == '\r')) ev.text.pop_back();
  return ev;
}

}  // namespace spaceport::cli
