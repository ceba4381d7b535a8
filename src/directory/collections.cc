#include "directory/collections.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace spaceport::directory {
namespace {

constexpr size_t kKeyBytes = 12;  // 24 hex digits, as HF's object ids
constexpr size_t kMaxSlugWords = 50;

Status CheckText(std::string_view what, const std::string& text, size_t max, bool one_line) {
  RETURN_IF_ERROR(CheckJsonText(what, text));
  if (text.size() > max) return Status::InvalidArgument(std::string(what) + ": at most " + std::to_string(max) + " bytes");
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && (one_line || (c != '\n' && c != '\t'))) {
      return Status::InvalidArgument(std::string(what) + ": no control characters" + (one_line ? " or line breaks" : ""));
    }
  }
  return Status::Ok();
}

Status CheckTitle(const std::string& title) {
  if (Trim(title).empty()) return Status::InvalidArgument("title: required");
  return CheckText("title", title, kMaxCollectionTitle, true);
}

Status CheckTheme(const std::string& theme) {
  const auto& themes = CollectionThemes();
  if (std::find(themes.begin(), themes.end(), theme) != themes.end()) return Status::Ok();
  std::string list;
  for (const std::string& t : themes) list += (list.empty() ? "" : ", ") + t;
  return Status::InvalidArgument("theme: one of " + list);
}

}  // namespace

const std::vector<std::string>& CollectionThemes() {
  static const std::vector<std::string> kThemes = {"orange", "blue", "green", "purple", "pink", "indigo"};
  return kThemes;
}

std::string Collections::SlugOf(const store::Collection& c) {
  std::string words;
  for (char ch : c.title) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) != 0 && u < 0x80) {
      words += static_cast<char>(std::tolower(u));
    } else if (!words.empty() && words.back() != '-') {
      words += '-';
    }
    if (words.size() >= kMaxSlugWords) break;
  }
  while (!words.empty() && words.back() == '-') words.pop_back();
  return c.owner + "/" + (words.empty() ? "" : words + "-") + c.key;
}

Result<store::Collection> Collections::Find(std::string_view owner, std::string_view slug_tail) {
  const size_t dash = slug_tail.rfind('-');
  std::string_view key = dash == std::string_view::npos ? slug_tail : slug_tail.substr(dash + 1);
  if (key.size() != 2 * kKeyBytes || !IsLowerHex(key)) return Status::NotFound("collection not found");
  ASSIGN_OR_RETURN(store::Collection c, store_->GetCollection(std::string(key)));
  if (!EqualsIgnoreCase(c.owner, owner)) return Status::NotFound("collection not found");
  return c;
}

Result<store::Collection> Collections::Create(const std::string& owner, const std::string& title,
                                              const std::string& description, bool is_private,
                                              const std::string& theme) {
  RETURN_IF_ERROR(CheckTitle(title));
  RETURN_IF_ERROR(CheckText("description", description, kMaxCollectionDescription, false));
  const std::string chosen = theme.empty() ? CollectionThemes().front() : theme;
  RETURN_IF_ERROR(CheckTheme(chosen));
  store::Collection c;
  c.key = RandomHex(kKeyBytes);
  c.owner = owner;
  c.title = std::string(Trim(title));
  c.description = description;
  c.is_private = is_private;
  c.theme = chosen;
  c.created_at = c.updated_at = clock_->UnixMillis();
  return store_->CreateCollection(c);
}

Result<store::Collection> Collections::Update(const store::Collection& old, const CollectionPatch& patch) {
  store::Collection c = old;
  if (patch.title) {
    RETURN_IF_ERROR(CheckTitle(*patch.title));
    c.title = std::string(Trim(*patch.title));
  }
  if (patch.description) {
    RETURN_IF_ERROR(CheckText("description", *patch.description, kMaxCollectionDescription, false));
    c.description = *patch.description;
  }
  if (patch.theme) {
    RETURN_IF_ERROR(CheckTheme(*patch.theme));
    c.theme = *patch.theme;
  }
  if (patch.is_private) c.is_private = *patch.is_private;
  if (patch.position) {
    if (*patch.position < 0) return Status::InvalidArgument("position: 0 or more");
    c.position = *patch.position;
  }
  c.updated_at = clock_->UnixMillis();
  return store_->UpdateCollection(c);
}

Status Collections::Delete(const store::Collection& c) { return store_->DeleteCollection(c.id); }

Result<store::CollectionItem> Collections::AddItem(const store::Collection& c, int64_t space_id,
                                                   const std::string& note) {
  RETURN_IF_ERROR(CheckText("note", note, kMaxItemNote, false));
  return store_->AddItem(c.id, RandomHex(kKeyBytes), space_id, note, clock_->UnixMillis());
}

Result<store::CollectionItem> Collections::UpdateItem(const store::Collection& c, const std::string& item_key,
                                                      const std::optional<std::string>& note,
                                                      std::optional<int64_t> position) {
  if (note) RETURN_IF_ERROR(CheckText("note", *note, kMaxItemNote, false));
  if (position && *position < 0) return Status::InvalidArgument("position: 0 or more");
  return store_->UpdateItem(c.id, item_key, note, position, clock_->UnixMillis());
}

Status Collections::DeleteItem(const store::Collection& c, const std::string& item_key) {
  return store_->DeleteItem(c.id, item_key, clock_->UnixMillis());
}

}  // namespace spaceport::directory
