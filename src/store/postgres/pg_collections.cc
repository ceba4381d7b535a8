// The PostgreSQL backend of store::CollectionStore (schema step 4).
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/collection_store.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace spaceport::store::postgres {
namespace {

constexpr int kPoolSize = 2;

constexpr char kCollectionColumns[] =
    "c.id, c.key, c.owner, c.title, c.description, c.private, c.theme, c.position, c.created_at, c.updated_at,"
    " (SELECT COUNT(*) FROM collection_items i WHERE i.collection_id = c.id) FROM collections c";
constexpr char kItemColumns[] = "id, key, collection_id, space_id, position, note, added_at FROM collection_items";

Collection ReadCollection(const PgResult& r, int row) {
  return {r.Int(row, 0),  r.Text(row, 1), r.Text(row, 2), r.Text(row, 3), r.Text(row, 4), r.Bool(row, 5),
          r.Text(row, 6), r.Int(row, 7),  r.Int(row, 8),  r.Int(row, 9),  r.Int(row, 10)};
}

CollectionItem ReadItem(const PgResult& r, int row) {
  return {r.Int(row, 0), r.Text(row, 1), r.Int(row, 2), r.Int(row, 3), r.Int(row, 4), r.Text(row, 5), r.Int(row, 6)};
}

Result<Collection> GetById(PgConn& conn, int64_t id) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kCollectionColumns + " WHERE c.id = $1",
                                         PgParams().Add(id)));
  if (r.rows() == 0) return Status::NotFound("collection not found");
  return ReadCollection(r, 0);
}

Result<CollectionItem> GetItem(PgConn& conn, const std::string& where, const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kItemColumns + " WHERE " + where, params));
  if (r.rows() == 0) return Status::NotFound("item not found in the collection");
  return ReadItem(r, 0);
}

Status CheckTitleFree(PgConn& conn, const std::string& owner, const std::string& title, int64_t except_id) {
  ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT 1 FROM collections WHERE lower(owner) = lower($1)"
                                         " AND lower(title) = lower($2) AND id <> $3",
                                         PgParams().Add(owner).Add(title).Add(except_id)));
  if (r.rows() > 0) return Status::AlreadyExists(owner + " has a collection titled '" + title + "' already");
  return Status::Ok();
}

// Moves `id` to `position` (clamped) among the rows `ids_sql` lists in
// order, and writes the positions that changed.
Status Reorder(PgConn& conn, const std::string& table, const std::string& ids_sql, const PgParams& ids_params,
               int64_t id, int64_t position) {
  ASSIGN_OR_RETURN(PgResult ids, conn.Exec(ids_sql, ids_params));
  std::vector<int64_t> order = ReadRows<int64_t>(ids, [&](int row) { return ids.Int(row, 0); });
  order.erase(std::remove(order.begin(), order.end(), id), order.end());
  const int64_t at = std::clamp<int64_t>(position, 0, static_cast<int64_t>(order.size()));
  order.insert(order.begin() + at, id);
  for (size_t i = 0; i < order.size(); ++i) {
    RETURN_IF_ERROR(conn.Exec("UPDATE " + table + " SET position = $1 WHERE id = $2 AND position <> $1",
                              PgParams().Add(static_cast<int64_t>(i)).Add(order[i]))
                        .status());
  }
  return Status::Ok();
}

Status Touch(PgConn& conn, int64_t collection_id, int64_t now) {
  return conn.Exec("UPDATE collections SET updated_at = $1 WHERE id = $2", PgParams().Add(now).Add(collection_id))
      .status();
}

class PgCollectionStore : public CollectionStore {
 public:
  explicit PgCollectionStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  Result<Collection> CreateCollection(const Collection& c) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<Collection> {
      RETURN_IF_ERROR(CheckTitleFree(conn, c.owner, c.title, 0));
      ASSIGN_OR_RETURN(PgResult r, conn.Exec("INSERT INTO collections (key, owner, title, description, private, theme,"
                                             " position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6,"
                                             " (SELECT COUNT(*) FROM collections WHERE lower(owner) = lower($2)),"
                                             " $7, $8) RETURNING id",
                                             PgParams()
                                                 .Add(c.key)
                                                 .Add(c.owner)
                                                 .Add(c.title)
                                                 .Add(c.description)
                                                 .Add(c.is_private)
                                                 .Add(c.theme)
                                                 .Add(c.created_at)
                                                 .Add(c.updated_at)));
      return GetById(conn, r.Int(0, 0));
    });
  }

  Result<Collection> GetCollection(const std::string& key) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<Collection> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kCollectionColumns + " WHERE c.key = $1",
                                             PgParams().Add(key)));
      if (r.rows() == 0) return Status::NotFound("collection not found");
      return ReadCollection(r, 0);
    });
  }

  Result<Collection> UpdateCollection(const Collection& c) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<Collection> {
      ASSIGN_OR_RETURN(Collection old, GetById(conn, c.id));
      RETURN_IF_ERROR(CheckTitleFree(conn, old.owner, c.title, c.id));
      RETURN_IF_ERROR(conn.Exec("UPDATE collections SET title = $1, description = $2, private = $3, theme = $4,"
                                " updated_at = $5 WHERE id = $6",
                                PgParams().Add(c.title).Add(c.description).Add(c.is_private).Add(c.theme).Add(
                                    c.updated_at).Add(c.id))
                          .status());
      if (c.position != old.position) {
        RETURN_IF_ERROR(Reorder(conn, "collections",
                                "SELECT id FROM collections WHERE lower(owner) = lower($1) ORDER BY position, id",
                                PgParams().Add(old.owner), c.id, c.position));
      }
      return GetById(conn, c.id);
    });
  }

  Status DeleteCollection(int64_t id) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Status {
      ASSIGN_OR_RETURN(Collection old, GetById(conn, id));
      RETURN_IF_ERROR(conn.Exec("DELETE FROM collections WHERE id = $1", PgParams().Add(id)).status());
      // The owner's later collections move up one.
      return conn
          .Exec("UPDATE collections SET position = position - 1 WHERE lower(owner) = lower($1) AND position > $2",
                PgParams().Add(old.owner).Add(old.position))
          .status();
    });
  }

  Result<std::vector<Collection>> ListCollections(const CollectionQuery& q) override {
    nlohmann::json owners = q.owners, spaces = q.space_ids, private_of = q.private_of;
    std::string sql = std::string("SELECT ") + kCollectionColumns +
                      " WHERE ($1 = '' OR strpos(lower(c.title), lower($1)) > 0"
                      "        OR strpos(lower(c.description), lower($1)) > 0)";
    if (!q.owners.empty()) sql += " AND lower(c.owner) IN (SELECT lower(jsonb_array_elements_text($4::jsonb)))";
    if (!q.space_ids.empty()) {
      sql += " AND EXISTS (SELECT 1 FROM collection_items i WHERE i.collection_id = c.id AND i.space_id IN"
             " (SELECT jsonb_array_elements_text($5::jsonb)::bigint))";
    }
    sql += " AND (NOT c.private";
    if (!q.private_of.empty()) sql += " OR lower(c.owner) IN (SELECT lower(jsonb_array_elements_text($6::jsonb)))";
    // Every parameter is named in the statement, so PostgreSQL knows each one's type.
    sql += ") AND $4::text IS NOT NULL AND $5::text IS NOT NULL AND $6::text IS NOT NULL"
           " ORDER BY c.updated_at DESC, c.id DESC LIMIT $2 OFFSET $3";
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<Collection>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, PgParams()
                                                      .Add(q.text)
                                                      .Add(q.limit)
                                                      .Add(q.offset)
                                                      .Add(owners.dump())
                                                      .Add(spaces.dump())
                                                      .Add(private_of.dump())));
      return ReadRows<Collection>(r, [&](int row) { return ReadCollection(r, row); });
    });
  }

  Result<CollectionItem> AddItem(int64_t collection_id, const std::string& key, int64_t space_id,
                                 const std::string& note, int64_t now) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<CollectionItem> {
      ASSIGN_OR_RETURN(Collection c, GetById(conn, collection_id));
      if (c.items >= kMaxCollectionItems) {
        return Status::ResourceExhausted("a collection holds at most " + std::to_string(kMaxCollectionItems) +
                                         " items");
      }
      Result<PgResult> r = conn.Exec("INSERT INTO collection_items (key, collection_id, space_id, position, note,"
                                     " added_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                                     PgParams().Add(key).Add(collection_id).Add(space_id).Add(c.items).Add(note).Add(now));
      if (r.status().code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists("the Space is in the collection already");
      }
      if (r.status().code() == StatusCode::kNotFound) return Status::NotFound("Space not found");
      RETURN_IF_ERROR(r.status());
      const int64_t id = r->Int(0, 0);
      RETURN_IF_ERROR(Touch(conn, collection_id, now));
      return GetItem(conn, "id = $1", PgParams().Add(id));
    });
  }

  Result<CollectionItem> UpdateItem(int64_t collection_id, const std::string& key,
                                    const std::optional<std::string>& note, std::optional<int64_t> position,
                                    int64_t now) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Result<CollectionItem> {
      ASSIGN_OR_RETURN(CollectionItem item, GetItem(conn, "collection_id = $1 AND key = $2",
                                                    PgParams().Add(collection_id).Add(key)));
      if (note) {
        RETURN_IF_ERROR(conn.Exec("UPDATE collection_items SET note = $1 WHERE id = $2",
                                  PgParams().Add(*note).Add(item.id))
                            .status());
      }
      if (position && *position != item.position) {
        RETURN_IF_ERROR(Reorder(conn, "collection_items",
                                "SELECT id FROM collection_items WHERE collection_id = $1 ORDER BY position, id",
                                PgParams().Add(collection_id), item.id, *position));
      }
      RETURN_IF_ERROR(Touch(conn, collection_id, now));
      return GetItem(conn, "id = $1", PgParams().Add(item.id));
    });
  }

  Status DeleteItem(int64_t collection_id, const std::string& key, int64_t now) override {
    return InTxn(*pool_, TxnKind::kWrite, [&](PgConn& conn) -> Status {
      ASSIGN_OR_RETURN(CollectionItem item, GetItem(conn, "collection_id = $1 AND key = $2",
                                                    PgParams().Add(collection_id).Add(key)));
      RETURN_IF_ERROR(conn.Exec("DELETE FROM collection_items WHERE id = $1", PgParams().Add(item.id)).status());
      RETURN_IF_ERROR(conn.Exec("UPDATE collection_items SET position = position - 1 WHERE collection_id = $1"
                                " AND position > $2",
                                PgParams().Add(collection_id).Add(item.position))
                          .status());
      return Touch(conn, collection_id, now);
    });
  }

  Result<std::vector<CollectionItem>> ListItems(int64_t collection_id, int64_t limit) override {
    return InTxn(*pool_, TxnKind::kRead, [&](PgConn& conn) -> Result<std::vector<CollectionItem>> {
      ASSIGN_OR_RETURN(PgResult r, conn.Exec(std::string("SELECT ") + kItemColumns +
                                                 " WHERE collection_id = $1 ORDER BY position, id LIMIT $2",
                                             PgParams().Add(collection_id).Add(limit)));
      return ReadRows<CollectionItem>(r, [&](int row) { return ReadItem(r, row); });
    });
  }

 private:
  std::unique_ptr<PgPool> pool_;
};

}  // namespace

Result<std::unique_ptr<CollectionStore>> OpenPostgresCollectionStore(const std::string& url, const WriteFence* fence) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool, OpenMigratedPool(url, kPoolSize, "the collections area", fence));
  return std::unique_ptr<CollectionStore>(new PgCollectionStore(std::move(pool)));
}

}  // namespace spaceport::store::postgres
