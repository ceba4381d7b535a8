// The store's entities that every area of it shares: users and their
// tokens, and Spaces (store/store.h has the areas).
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

namespace spaceport::store {

struct User {
  int64_t id = 0;
  std::string name;  // [a-zA-Z0-9][a-zA-Z0-9-_.]{0,38}; unique, case-insensitive
  bool is_admin = false;
  int64_t created_at = 0;  // unix millis
  bool suspended = false;  // by a moderator: signs in nowhere (read-only here: the moderation area sets it)
};

enum class TokenScope { kRead, kWrite };
std::string_view TokenScopeName(TokenScope s);  // "read" | "write"

struct Token {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  TokenScope scope = TokenScope::kWrite;
  int64_t created_at = 0;
  int64_t last_used_at = 0;  // 0: never
  std::string token_hash;    // as stored (sha256 hex), for a constant-time re-check
};

// public: anyone sees the page, the app and the source. protected: the page
// and the app are public, the source (files, git, logs) is for members only.
// private: members only; 404 to everyone else, absent from listings.
enum class Visibility { kPublic, kProtected, kPrivate };
std::string_view VisibilityName(Visibility v);  // "public" | "protected" | "private"
std::optional<Visibility> ParseVisibility(std::string_view name);

struct Space {
  int64_t id = 0;
  std::string owner;       // user (later: organization) name
  std::string name;        // repo name
  std::string subdomain;   // "{owner}-{name}" lower-cased, [a-z0-9-]; unique
                           // (CreateSpace derives it when empty)
  std::string sdk;         // static | gradio | streamlit | docker | process
  bool is_private = false;  // mirrors visibility == kPrivate; when the two disagree, is_private wins
  Visibility visibility = Visibility::kPublic;  // set both with SetVisibility()
  std::string hardware = "cpu-basic";
  std::string storage;     // persistent storage tier (HF's small | medium | large); "": the host's default size
  int64_t sleep_time_seconds = 172800;  // HF's default gcTimeout for free hardware
  std::string sha;         // current head of main, "" before the first push
  std::string card_json;   // parsed card front matter as JSON, "{}" before the first push
  std::string stage = "NO_APP_FILE";
  std::string error_message;
  int64_t created_at = 0;
  int64_t last_modified = 0;
  int64_t likes = 0;  // read-only: how many users like it (Like/Unlike change it)
  // Disabled by a moderator: the notice its app answers with (451); "": not
  // disabled. Read-only here (the moderation area sets it).
  std::string disabled;
  int64_t duplicated_from = 0;  // id of the Space this one was duplicated from; 0: none
                                // (set by CreateSpace only; 0 again once that Space is deleted)

  std::string full_id() const { return owner + "/" + name; }
  // What the store keeps: private when is_private, else public or protected.
  Visibility effective_visibility() const {
    if (is_private) return Visibility::kPrivate;
    return visibility == Visibility::kProtected ? Visibility::kProtected : Visibility::kPublic;
  }
  void SetVisibility(Visibility v) {
    visibility = v;
    is_private = v == Visibility::kPrivate;
  }
};

}  // namespace spaceport::store
