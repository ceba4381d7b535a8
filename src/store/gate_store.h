// GateStore: gated Spaces' access requests and embed links (the SQLite
// backend: store/sqlite/sqlite_access_requests.cc, sqlite_embed_links.cc).
//
// Thread safety: every method may be called from any thread concurrently.
// Failure: NotFound for missing rows, AlreadyExists for unique-key clashes,
// InvalidArgument for values the schema refuses, Unavailable/Internal for the
// database itself. A failed write changes nothing (each method is one
// transaction). Not on the edge's per-request path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace spaceport::store {

// Gated Spaces: a visitor asks for access (with the card's custom fields)
// and the owner decides; HF's access-request shape.
enum class AccessRequestStatus { kPending, kAccepted, kRejected };
std::string_view AccessRequestStatusName(AccessRequestStatus s);  // "pending" | "accepted" | "rejected"
std::optional<AccessRequestStatus> ParseAccessRequestStatus(std::string_view s);

struct AccessRequest {
  int64_t space_id = 0;
  int64_t user_id = 0;
  std::string user_name;
  AccessRequestStatus status = AccessRequestStatus::kPending;
  std::string fields_json = "{}";  // the visitor's answers to the custom fields
  std::string rejection_reason;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// An embed link: a signed, expiring URL that opens one Space's app (private
// or gated too) in an iframe without sign-in. The store keeps only the hash
// of the link's secret; a revoked link keeps its row (revoked = true). Links
// hang on the Space's id: gone with the Space, kept when it is moved.
struct EmbedLink {
  std::string id;           // chosen by the caller ("el_" + hex); unique
  int64_t space_id = 0;
  std::string name;         // the owner's label, may be empty
  int64_t created_by = 0;   // user id
  std::string secret_hash;  // sha256 hex of the link's secret
  int64_t created_at = 0;   // unix millis
  int64_t expires_at = 0;   // unix millis
  bool revoked = false;
};

class GateStore {
 public:
  virtual ~GateStore() = default;

  // Gating: mode "" (not gated), "auto" (requests accepted at once) or
  // "manual" (the owner decides). Gone with the Space.
  virtual Status SetGate(int64_t space_id, std::string_view mode) = 0;
  virtual Result<std::string> GetGate(int64_t space_id) = 0;
  // One request per (space, user): AlreadyExists when there is one (so a
  // rejection is final unless the owner changes it with DecideAccess).
  virtual Result<AccessRequest> RequestAccess(int64_t space_id, int64_t user_id, const std::string& fields_json,
                                              AccessRequestStatus initial, int64_t now) = 0;
  // Sets the status of a user's request, creating it when the owner grants
  // access to someone who never asked. NotFound for a missing user or space.
  virtual Status DecideAccess(int64_t space_id, int64_t user_id, AccessRequestStatus status,
                              const std::string& rejection_reason, int64_t now) = 0;
  virtual Result<std::vector<AccessRequest>> ListAccessRequests(int64_t space_id, AccessRequestStatus status) = 0;
  // One visitor's request (the Space page shows its state). NotFound when none.
  virtual Result<AccessRequest> GetAccessRequest(int64_t space_id, int64_t user_id) = 0;

  // Embed links. CreateEmbedLink: AlreadyExists for a taken id, NotFound for
  // a missing Space or user, InvalidArgument for an empty id or hash.
  // ListEmbedLinks: every link of the Space (revoked and expired ones too),
  // newest first. RevokeEmbedLink: NotFound unless the Space has that link;
  // revoking a revoked link changes nothing.
  virtual Result<EmbedLink> CreateEmbedLink(const EmbedLink& link) = 0;
  virtual Result<std::vector<EmbedLink>> ListEmbedLinks(int64_t space_id) = 0;
  virtual Status RevokeEmbedLink(int64_t space_id, std::string_view link_id) = 0;
};

}  // namespace spaceport::store
