#include "store/validation.h"

namespace spaceport::store {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [A-Za-z0-9][A-Za-z0-9._-]{0,max_len-1}
bool IsRepoStyleName(std::string_view name, size_t max_len) {
  if (name.empty() || name.size() > max_len || !IsAlnum(name[0])) return false;
  for (char c : name) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

bool IsValidUserName(std::string_view name) { return IsRepoStyleName(name, 39); }

bool IsValidSpaceName(std::string_view name) {
  if (!IsRepoStyleName(name, 96)) return false;
  if (name.find("--") != std::string_view::npos || name.find("..") != std::string_view::npos) return false;
  return name.back() != '.' && name.back() != '-';
}

bool IsValidEnvKey(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  if (!(key[0] == '_' || (IsAlnum(key[0]) && !(key[0] >= '0' && key[0] <= '9')))) return false;
  for (char c : key) {
    if (!IsAlnum(c) && c != '_') return false;
  }
  return true;
}

bool IsValidSubdomain(std::string_view subdomain) {
  if (subdomain.empty() || subdomain.size() > 63) return false;
  if (!IsLowerAlnum(subdomain.front()) || !IsLowerAlnum(subdomain.back())) return false;
  for (char c : subdomain) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

std::string DefaultSubdomain(std::string_view owner, std::string_view name) {
  std::string out;
  out.reserve(owner.size() + 1 + name.size());
  auto append = [&out](std::string_view part) {
    for (char c : part) {
      char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      out.push_back(IsLowerAlnum(lower) ? lower : '-');
    }
  };
  append(owner);
  out.push_back('-');
  append(name);
  while (!out.empty() && out.back() == '-') out.pop_back();  // "demo_" -> "owner-demo"
  return out;
}

Result<std::string> MakeSubdomain(std::string_view owner, std::string_view name) {
  std::string sub = DefaultSubdomain(owner, name);
  if (!IsValidSubdomain(sub)) {
    return Status::InvalidArgument("'" + std::string(owner) + "/" + std::string(name) + "' cannot be an app host name ('" +
                                   sub + "' must be a DNS label of at most 63 characters)");
  }
  return sub;
}

Status ValidateSearch(std::string_view search) {
  if (search.size() > kMaxSearchBytes) {
    return Status::InvalidArgument("search text is longer than " + std::to_string(kMaxSearchBytes) + " bytes");
  }
  if (search.find('\0') != std::string_view::npos) return Status::InvalidArgument("search text contains a NUL byte");
  return Status::Ok();
}

}  // namespace spaceport::store
