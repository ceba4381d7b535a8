// CollectionStore: curated lists of Spaces, in Hugging Face's shape
// (directory/collections.h, docs/directory.md "Collections"): a collection
// belongs to a user or an organization, has a title unique within its
// owner, a description, a theme and a place among its owner's collections,
// and is public or private; its items are Spaces in an order, each with a
// note. The store keeps them; who may see or change them is the caller's
// business.
//
// Thread safety: every method may be called from any thread. Failure:
// NotFound for an unknown collection, item or Space; AlreadyExists for a
// second collection of one owner with the same title (case-insensitive) or
// a Space twice in one collection; ResourceExhausted past kMaxCollectionItems;
// Unavailable/Internal for the database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace spaceport::store {

inline constexpr int64_t kMaxCollectionItems = 1000;

struct Collection {
  int64_t id = 0;
  std::string key;    // the slug's tail: 24 hex digits, unique, never changes
  std::string owner;  // a user or organization name
  std::string title;
  std::string description;
  bool is_private = false;
  std::string theme;
  int64_t position = 0;  // among the owner's collections, from 0
  int64_t created_at = 0;
  int64_t updated_at = 0;  // the collection or its items last changed
  int64_t items = 0;       // read-only: how many items it has
};

struct CollectionItem {
  int64_t id = 0;
  std::string key;  // 24 hex digits, unique (HF's item _id)
  int64_t collection_id = 0;
  int64_t space_id = 0;
  int64_t position = 0;  // from 0, in order
  std::string note;
  int64_t added_at = 0;
};

struct CollectionQuery {
  std::vector<std::string> owners;  // empty: any owner; else one of these
  std::vector<int64_t> space_ids;   // empty: any; else holding one of these Spaces
  std::string text;  // "": any; else a case-insensitive substring of the title or description
  std::vector<std::string> private_of;  // owners whose private collections the caller may see
  int64_t limit = 50;
  int64_t offset = 0;
};

class CollectionStore {
 public:
  virtual ~CollectionStore() = default;

  // Appended after the owner's other collections (`position` is ignored).
  virtual Result<Collection> CreateCollection(const Collection& collection) = 0;
  virtual Result<Collection> GetCollection(const std::string& key) = 0;
  // Title, description, privacy, theme and updated_at of collection.id; a
  // changed position moves it among its owner's collections (the others
  // keep their order).
  virtual Result<Collection> UpdateCollection(const Collection& collection) = 0;
  virtual Status DeleteCollection(int64_t id) = 0;
  // Newest change first; private ones only of the owners in `private_of`.
  virtual Result<std::vector<Collection>> ListCollections(const CollectionQuery& query) = 0;

  // Appended at the end.
  virtual Result<CollectionItem> AddItem(int64_t collection_id, const std::string& key, int64_t space_id,
                                         const std::string& note, int64_t now) = 0;
  // A note and/or a new position (clamped to the last; the others keep their order).
  virtual Result<CollectionItem> UpdateItem(int64_t collection_id, const std::string& key,
                                            const std::optional<std::string>& note,
                                            std::optional<int64_t> position, int64_t now) = 0;
  virtual Status DeleteItem(int64_t collection_id, const std::string& key, int64_t now) = 0;
  // In position order, at most `limit`.
  virtual Result<std::vector<CollectionItem>> ListItems(int64_t collection_id, int64_t limit) = 0;
};

struct StoreOptions;

// The collections area of the store at options.url (as Store::Open); like
// the directory it needs the store's own database file. store.cc.
Result<std::unique_ptr<CollectionStore>> OpenCollectionStore(const StoreOptions& options);
Result<std::unique_ptr<CollectionStore>> OpenSqliteCollectionStore(const std::string& path);

}  // namespace spaceport::store
