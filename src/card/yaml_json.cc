#include "card/yaml_json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>

#include "card/card.h"
#include "core/strings.h"

namespace spaceport::card::internal {
namespace {

constexpr size_t kDescribeMax = 60;

bool IsCoreInt(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+");
  return s.size() < 40 && std::regex_match(s, kInt);
}

bool IsCoreFloat(const std::string& s) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return s.size() < 80 && std::regex_match(s, kFloat);
}

nlohmann::json ResolveInt(const std::string& s) {
  int base = 10;
  std::string digits = s;
  if (StartsWith(s, "0x")) { base = 16; digits = s.substr(2); }
  if (StartsWith(s, "0o")) { base = 8; digits = s.substr(2); }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(digits.c_str(), &end, base);
  if (errno == ERANGE) return s;  // too big for an integer: keep the text
  return static_cast<int64_t>(v);
}

}  // namespace

int ReadmeLine(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return 0;
  return mark.line + 2;  // 0-based inside the front matter, which starts after line 1 (---)
}

std::string AtLine(const YAML::Node& node) {
  int line = ReadmeLine(node.Mark());
  if (line <= 0) return "README.md: ";
  return "README.md line " + std::to_string(line) + ": ";
}

nlohmann::json ResolveScalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return s;
  if (tag != "?" && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:float" &&
      tag != "tag:yaml.org,2002:bool") {
    return s;  // an application tag: keep the text
  }
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (IsCoreInt(s)) return ResolveInt(s);
  if (IsCoreFloat(s)) {
    double d = std::strtod(s.c_str(), nullptr);
    if (std::isfinite(d)) return d;
  }
  return s;
}

Result<nlohmann::json> YamlToJson(const YAML::Node& node, int depth, ConvertBudget& budget) {
  if (--budget.values_left < 0) {
    return Status::InvalidArgument(AtLine(node) + "the card has more than " + std::to_string(kMaxValues) +
                                   " values once aliases are expanded");
  }
  if (depth > kMaxDepth) {
    return Status::InvalidArgument(AtLine(node) + "the card nests deeper than " +
                                   std::to_string(kMaxDepth) + " levels");
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nlohmann::json(nullptr);
    case YAML::NodeType::Scalar:
      return ResolveScalar(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) {
        ASSIGN_OR_RETURN(nlohmann::json v, YamlToJson(item, depth + 1, budget));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return Status::InvalidArgument(AtLine(kv.first) + "a key must be a plain string, got " +
                                         Describe(kv.first));
        }
        ASSIGN_OR_RETURN(nlohmann::json v, YamlToJson(kv.second, depth + 1, budget));
        out[kv.first.Scalar()] = std::move(v);
      }
      return out;
    }
  }
  return nlohmann::json(nullptr);
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  std::string s = node.Scalar();
  if (s.size() > kDescribeMax) s = s.substr(0, kDescribeMax) + "...";
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += c == '\n' ? "\\n" : "?";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace spaceport::card::internal
