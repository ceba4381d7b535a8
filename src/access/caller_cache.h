// CallerCache: who an API credential belongs to, remembered for the edge.
//
// The edge sees `Authorization` headers on app requests and must not ask the
// database on each one. Peek answers from memory (hits, and also "invalid"
// answers, so a flood of bad tokens costs nothing); on a miss the edge runs
// Lookup on a worker thread, which asks the Authenticator (one store read)
// and remembers the answer for `ttl`. Store failures are not remembered.
// Revoking a token calls Forget/ForgetAll so it stops working at once.
//
// Thread safety: all methods are safe from any thread; one mutex guards the
// map and is never held across the store call.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/mutex.h"
#include "access/tokens.h"
#include "core/clock.h"
#include "core/status.h"

namespace spaceport::access {

// The caller of an app request, as the edge knows it.
struct Caller {
  int64_t user_id = 0;
  std::string name;
};

class CallerCache {
 public:
  // An answer: a caller, or Unauthenticated for a bad credential.
  using Answer = Result<Caller>;

  CallerCache(const Authenticator* authenticator, const Clock* clock, Millis ttl = Millis(30000),
              size_t max_entries = 100000)
      : authenticator_(authenticator), clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

  // The remembered answer for this Authorization header value, if fresh.
  std::optional<Answer> Peek(std::string_view authorization) const;
  // Asks the store (blocking) and remembers the answer unless the store failed.
  Answer Lookup(std::string_view authorization);
  void ForgetAll();

 private:
  struct Entry {
    Answer answer;
    SteadyTime expires;
  };

  const Authenticator* const authenticator_;
  const Clock* const clock_;
  const Millis ttl_;
  const size_t max_entries_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ SP_GUARDED_BY(mu_);  // by HashToken(header value)
};

}  // namespace spaceport::access
