// Fuzz target: the body of POST /spaces/{o}/{n}.git/info/lfs/objects/batch.
// Its parsing is inline in HandleBatch and BatchObject (hub/lfs_routes.cc,
// anonymous namespace, interleaved with Space lookups and the LFS store), so
// this replays it step by step with the public pieces: Call::ReadJsonObject,
// OptString("operation"), the "objects" list, each item's oid and size read as
// BatchObject reads them, repo::IsValidLfsOid and DumpJson. Checks: an item
// counted valid has a 64-character lower-case hex oid (lfs_store.h).
// To split out so this target calls the real thing (pure, in hub/lfs_batch.h):
//   Result<LfsBatchRequest> ParseLfsBatchRequest(const Json& body);
//   struct LfsBatchRequest { bool upload; std::vector<LfsBatchItem> objects; };
//   struct LfsBatchItem { std::string oid; int64_t size; bool valid; };
// holding the operation check, the "objects" list and kMaxBatchObjects checks,
// and BatchObject's oid/size extraction; HandleBatch then only does lookups.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/strings.h"
#include "fuzz_support.h"
#include "http/handler.h"
#include "hub/call.h"
#include "repo/lfs_store.h"

namespace spaceport::hub {
namespace {

// As in lfs_routes.cc.
constexpr size_t kBatchBodyLimit = 4u << 20;
constexpr size_t kMaxBatchObjects = 1000;

class BytesReader : public http::BodyReader {
 public:
  explicit BytesReader(std::string_view bytes) : rest_(bytes) {}
  Result<size_t> Read(char* buf, size_t cap) override {
    size_t n = std::min(cap, rest_.size());
    if (n > 0) std::memcpy(buf, rest_.data(), n);
    rest_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view rest_;
};

// ReadJsonObject never writes; Call only needs a writer to exist.
class NullWriter : public http::ResponseWriter {
 public:
  Status Start(int, const http::Headers&) override { return Status::Ok(); }
  Status Write(std::string_view) override { return Status::Ok(); }
  Status Finish() override { return Status::Ok(); }
  bool started() const override { return false; }
  bool ClientGone() override { return false; }
};

void FuzzBatchBody(std::string_view bytes) {
  http::Request request;
  BytesReader reader(bytes);
  NullWriter writer;
  Call call(request, reader, writer, /*auth=*/nullptr);
  Result<Json> body = call.ReadJsonObject(kBatchBodyLimit);
  if (!body.ok()) return;
  Result<std::optional<std::string>> operation = OptString(*body, "operation");
  if (!operation.ok()) return;
  auto objects = body->find("objects");
  if (objects == body->end() || !objects->is_array() || objects->size() > kMaxBatchObjects) return;
  Json out = Json::array();
  for (const Json& item : *objects) {
    Json oid_json = item.is_object() ? item.value("oid", Json()) : Json();
    Json size_json = item.is_object() ? item.value("size", Json()) : Json();
    std::string oid = oid_json.is_string() ? oid_json.get<std::string>() : "";
    int64_t size = size_json.is_number_integer() ? size_json.get<int64_t>() : -1;
    bool valid = repo::IsValidLfsOid(oid) && size >= 0;
    SP_FUZZ_CHECK(!valid || (oid.size() == 64 && IsLowerHex(oid)));
    out.push_back(Json{{"oid", oid}, {"size", size}, {"valid", valid}});
  }
  static_cast<void>(DumpJson({{"operation", operation->value_or("")}, {"objects", out}}));
}

}  // namespace
}  // namespace spaceport::hub

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spaceport::hub::FuzzBatchBody(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
