// The SQLite backend of store::CollectionStore (schema v16, migrations.cc),
// on a connection of its own to the store's file.
#include <algorithm>
#include <mutex>

#include "store/collection_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_rows.h"

namespace spaceport::store::sqlite {
namespace {

constexpr char kCollectionColumns[] =
    "c.id, c.key, c.owner, c.title, c.description, c.private, c.theme, c.position, c.created_at, c.updated_at,"
    " (SELECT COUNT(*) FROM collection_items i WHERE i.collection_id = c.id) FROM collections c";
constexpr char kItemColumns[] =
    "id, key, collection_id, space_id, position, note, added_at FROM collection_items";

Collection ReadCollection(const Stmt& st) {
  return {st.Int(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int(5) != 0,
          st.Text(6), st.Int(7), st.Int(8), st.Int(9), st.Int(10)};
}

CollectionItem ReadItem(const Stmt& st) {
  return {st.Int(0), st.Text(1), st.Int(2), st.Int(3), st.Int(4), st.Text(5), st.Int(6)};
}

class SqliteCollectionStore : public CollectionStore {
 public:
  explicit SqliteCollectionStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<Collection> CreateCollection(const Collection& c) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<Collection> {
      RETURN_IF_ERROR(CheckTitleFree(c.owner, c.title, 0));
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "INSERT INTO collections (key, owner, title, description, private, theme, position, created_at, updated_at)"
          " VALUES (?, ?, ?, ?, ?, ?,"
          " (SELECT COUNT(*) FROM collections WHERE owner = ?2 COLLATE NOCASE), ?, ?)"));
      st->Bind(1, c.key).Bind(2, c.owner).Bind(3, c.title).Bind(4, c.description);
      st->Bind(5, static_cast<int64_t>(c.is_private)).Bind(6, c.theme).Bind(7, c.created_at).Bind(8, c.updated_at);
      RETURN_IF_ERROR(st->Run());
      return GetByIdLocked(db_->LastInsertId());
    });
  }

  Result<Collection> GetCollection(const std::string& key) override {
    return InTransaction(*db_, mu_, false, [&]() -> Result<Collection> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kCollectionColumns + " WHERE c.key = ?"));
      st->Bind(1, key);
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) return Status::NotFound("collection not found");
      return ReadCollection(*st);
    });
  }

  Result<Collection> UpdateCollection(const Collection& c) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<Collection> {
      ASSIGN_OR_RETURN(Collection old, GetByIdLocked(c.id));
      RETURN_IF_ERROR(CheckTitleFree(old.owner, c.title, c.id));
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "UPDATE collections SET title = ?, description = ?, private = ?, theme = ?, updated_at = ? WHERE id = ?"));
      st->Bind(1, c.title).Bind(2, c.description).Bind(3, static_cast<int64_t>(c.is_private)).Bind(4, c.theme);
      RETURN_IF_ERROR(st->Bind(5, c.updated_at).Bind(6, c.id).Run());
      if (c.position != old.position) {
        ASSIGN_OR_RETURN(auto ids, db_->Prepare(
            "SELECT id FROM collections WHERE owner = ? COLLATE NOCASE ORDER BY position, id"));
        ids->Bind(1, old.owner);
        ASSIGN_OR_RETURN(std::vector<int64_t> order, ReadRows<int64_t>(*ids, [&] { return ids->Int(0); }));
        RETURN_IF_ERROR(Reorder("collections", order, c.id, c.position));
      }
      return GetByIdLocked(c.id);
    });
  }

  Status DeleteCollection(int64_t id) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(Collection old, GetByIdLocked(id));
      ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM collections WHERE id = ?"));
      RETURN_IF_ERROR(del->Bind(1, id).Run());
      // The owner's later collections move up one.
      ASSIGN_OR_RETURN(auto shift, db_->Prepare(
          "UPDATE collections SET position = position - 1 WHERE owner = ? COLLATE NOCASE AND position > ?"));
      return shift->Bind(1, old.owner).Bind(2, old.position).Run();
    });
  }

  Result<std::vector<Collection>> ListCollections(const CollectionQuery& q) override {
    return InTransaction(*db_, mu_, false, [&]() -> Result<std::vector<Collection>> {
      // ?1 text, ?2 limit, ?3 offset, then the owners, the Spaces and the private owners.
      int next = 4;
      auto placeholders = [&](size_t n) {
        std::string list;
        for (size_t i = 0; i < n; ++i) list += (i == 0 ? "?" : ", ?") + std::to_string(next++);
        return list;
      };
      std::string sql = std::string("SELECT ") + kCollectionColumns +
                        " WHERE (?1 = '' OR instr(lower(c.title), lower(?1)) > 0"
                        "        OR instr(lower(c.description), lower(?1)) > 0)";
      if (!q.owners.empty()) sql += " AND c.owner COLLATE NOCASE IN (" + placeholders(q.owners.size()) + ")";
      if (!q.space_ids.empty()) {
        sql += " AND EXISTS (SELECT 1 FROM collection_items i WHERE i.collection_id = c.id AND i.space_id IN (" +
               placeholders(q.space_ids.size()) + "))";
      }
      sql += " AND (c.private = 0";
      if (!q.private_of.empty()) sql += " OR c.owner COLLATE NOCASE IN (" + placeholders(q.private_of.size()) + ")";
      sql += ") ORDER BY c.updated_at DESC, c.id DESC LIMIT ?2 OFFSET ?3";
      ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
      st->Bind(1, q.text).Bind(2, q.limit).Bind(3, q.offset);
      int at = 4;
      for (const std::string& owner : q.owners) st->Bind(at++, owner);
      for (int64_t id : q.space_ids) st->Bind(at++, id);
      for (const std::string& owner : q.private_of) st->Bind(at++, owner);
      return ReadRows<Collection>(*st, [&] { return ReadCollection(*st); });
    });
  }

  Result<CollectionItem> AddItem(int64_t collection_id, const std::string& key, int64_t space_id,
                                 const std::string& note, int64_t now) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<CollectionItem> {
      ASSIGN_OR_RETURN(Collection c, GetByIdLocked(collection_id));
      if (c.items >= kMaxCollectionItems) {
        return Status::ResourceExhausted("a collection holds at most " + std::to_string(kMaxCollectionItems) +
                                         " items");
      }
      ASSIGN_OR_RETURN(auto st, db_->Prepare(
          "INSERT INTO collection_items (key, collection_id, space_id, position, note, added_at)"
          " VALUES (?, ?, ?, ?, ?, ?)"));
      st->Bind(1, key).Bind(2, collection_id).Bind(3, space_id).Bind(4, c.items).Bind(5, note).Bind(6, now);
      Status s = st->Run();
      if (s.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("the Space is in the collection already");
      if (s.code() == StatusCode::kNotFound) return Status::NotFound("Space not found");
      RETURN_IF_ERROR(s);
      const int64_t id = db_->LastInsertId();
      RETURN_IF_ERROR(Touch(collection_id, now));
      return GetItemLocked("id = ?", id, "");
    });
  }

  Result<CollectionItem> UpdateItem(int64_t collection_id, const std::string& key,
                                    const std::optional<std::string>& note, std::optional<int64_t> position,
                                    int64_t now) override {
    return InTransaction(*db_, mu_, true, [&]() -> Result<CollectionItem> {
      ASSIGN_OR_RETURN(CollectionItem item, GetItemLocked("collection_id = ? AND key = ?", collection_id, key));
      if (note) {
        ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE collection_items SET note = ? WHERE id = ?"));
        RETURN_IF_ERROR(st->Bind(1, *note).Bind(2, item.id).Run());
      }
      if (position && *position != item.position) {
        ASSIGN_OR_RETURN(auto ids, db_->Prepare(
            "SELECT id FROM collection_items WHERE collection_id = ? ORDER BY position, id"));
        ids->Bind(1, collection_id);
        ASSIGN_OR_RETURN(std::vector<int64_t> order, ReadRows<int64_t>(*ids, [&] { return ids->Int(0); }));
        RETURN_IF_ERROR(Reorder("collection_items", order, item.id, *position));
      }
      RETURN_IF_ERROR(Touch(collection_id, now));
      return GetItemLocked("id = ?", item.id, "");
    });
  }

  Status DeleteItem(int64_t collection_id, const std::string& key, int64_t now) override {
    return InTransaction(*db_, mu_, true, [&]() -> Status {
      ASSIGN_OR_RETURN(CollectionItem item, GetItemLocked("collection_id = ? AND key = ?", collection_id, key));
      ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM collection_items WHERE id = ?"));
      RETURN_IF_ERROR(del->Bind(1, item.id).Run());
      ASSIGN_OR_RETURN(auto shift, db_->Prepare(
          "UPDATE collection_items SET position = position - 1 WHERE collection_id = ? AND position > ?"));
      RETURN_IF_ERROR(shift->Bind(1, collection_id).Bind(2, item.position).Run());
      return Touch(collection_id, now);
    });
  }

  Result<std::vector<CollectionItem>> ListItems(int64_t collection_id, int64_t limit) override {
    return InTransaction(*db_, mu_, false, [&]() -> Result<std::vector<CollectionItem>> {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kItemColumns +
                                             " WHERE collection_id = ? ORDER BY position, id LIMIT ?"));
      st->Bind(1, collection_id).Bind(2, limit);
      return ReadRows<CollectionItem>(*st, [&] { return ReadItem(*st); });
    });
  }

 private:
  Result<Collection> GetByIdLocked(int64_t id) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kCollectionColumns + " WHERE c.id = ?"));
    st->Bind(1, id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("collection not found");
    return ReadCollection(*st);
  }

  // `where` binds an id, or a collection id and a key when `key` is set.
  Result<CollectionItem> GetItemLocked(const std::string& where, int64_t id, const std::string& key) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string("SELECT ") + kItemColumns + " WHERE " + where));
    st->Bind(1, id);
    if (!key.empty()) st->Bind(2, key);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::NotFound("item not found in the collection");
    return ReadItem(*st);
  }

  Status CheckTitleFree(const std::string& owner, const std::string& title, int64_t except_id) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
        "SELECT key FROM collections WHERE owner = ? COLLATE NOCASE AND title = ? COLLATE NOCASE AND id != ?"));
    st->Bind(1, owner).Bind(2, title).Bind(3, except_id);
    ASSIGN_OR_RETURN(bool taken, st->Step());
    if (taken) return Status::AlreadyExists(owner + " has a collection titled '" + title + "' already");
    return Status::Ok();
  }

  // Moves `id` to `position` (clamped) in `order` and writes the positions that changed.
  Status Reorder(const std::string& table, std::vector<int64_t> order, int64_t id, int64_t position) {
    order.erase(std::remove(order.begin(), order.end(), id), order.end());
    const int64_t at = std::clamp<int64_t>(position, 0, static_cast<int64_t>(order.size()));
    order.insert(order.begin() + at, id);
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE " + table + " SET position = ? WHERE id = ? AND position != ?1"));
    for (size_t i = 0; i < order.size(); ++i) {
      st->Reset();
      RETURN_IF_ERROR(st->Bind(1, static_cast<int64_t>(i)).Bind(2, order[i]).Run());
    }
    return Status::Ok();
  }

  Status Touch(int64_t collection_id, int64_t now) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE collections SET updated_at = ? WHERE id = ?"));
    return st->Bind(1, now).Bind(2, collection_id).Run();
  }

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace
}  // namespace spaceport::store::sqlite

namespace spaceport::store {

Result<std::unique_ptr<CollectionStore>> OpenSqliteCollectionStore(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDb> db, sqlite::OpenMigrated(path, "the collections area"));
  return std::unique_ptr<CollectionStore>(new sqlite::SqliteCollectionStore(std::move(db)));
}

}  // namespace spaceport::store
