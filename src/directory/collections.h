// Collections: curated lists of Spaces in Hugging Face's shape
// (docs/directory.md, "Collections"). A collection belongs to a user or an
// organization; its slug is "owner/<title in lower case>-<key>", where the
// 24-hex-digit key never changes (a retitled collection keeps answering
// under its old slug, as on HF). This class checks what is written
// (title, description, theme, note) and keeps the time; who may see or
// change a collection is the hub's business (hub/api/collections_api.cc).
//
// Thread safety: every method may be called from any thread.
// Failure: InvalidArgument for a bad field, NotFound for an unknown slug,
// and the store's errors (AlreadyExists, ResourceExhausted, NotFound).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/collection_store.h"

namespace spaceport::directory {

inline constexpr size_t kMaxCollectionTitle = 60;
inline constexpr size_t kMaxCollectionDescription = 150;
inline constexpr size_t kMaxItemNote = 500;

// HF's collection themes; the first is the default.
const std::vector<std::string>& CollectionThemes();

struct CollectionPatch {
  std::optional<std::string> title, description, theme;
  std::optional<bool> is_private;
  std::optional<int64_t> position;
};

class Collections {
 public:
  Collections(store::CollectionStore* store, const Clock* clock) : store_(store), clock_(clock) {}

  static std::string SlugOf(const store::Collection& c);
  // The collection of a slug's two parts ("owner", "title-KEY"): the key
  // decides; an owner that does not match is NotFound.
  Result<store::Collection> Find(std::string_view owner, std::string_view slug_tail);

  Result<store::Collection> Create(const std::string& owner, const std::string& title, const std::string& description,
                                   bool is_private, const std::string& theme);
  Result<store::Collection> Update(const store::Collection& c, const CollectionPatch& patch);
  Status Delete(const store::Collection& c);

  Result<store::CollectionItem> AddItem(const store::Collection& c, int64_t space_id, const std::string& note);
  Result<store::CollectionItem> UpdateItem(const store::Collection& c, const std::string& item_key,
                                           const std::optional<std::string>& note, std::optional<int64_t> position);
  Status DeleteItem(const store::Collection& c, const std::string& item_key);

  store::CollectionStore* store() const { return store_; }

 private:
  store::CollectionStore* store_;
  const Clock* clock_;
};

}  // namespace spaceport::directory
