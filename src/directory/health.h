// Prober: the directory's health probes (docs/directory.md, "Health").
// After each deploy, and then every `interval`, a probe sends the Space
// the request its card declares (spaceport.probe; GET / by default) and
// checks the answer; Signals records it, which sets the verified badge and
// may mark the Space abandoned. A sleeping Space is woken by a probe at
// most once per `wake_interval` (waking is not free): in between its last
// result stands. Private, protected and disabled Spaces are not probed (the
// directory shows them to no stranger).
//
// The Prober owns no thread: the server calls Tick on a timer. How a probe
// reaches the app and what the runtime says of a Space come in as
// functions (the server sends probes through its own edge, marked so that
// access rules, prices and visitor counts leave them alone).
// Thread safety: AfterDeploy from any thread; Tick from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "card/card.h"
#include "core/clock.h"
#include "core/status.h"
#include "directory/signals.h"
#include "store/space_store.h"

namespace spaceport::directory {

struct ProbeAnswer {
  int status = 0;     // 0: no answer
  std::string body;   // the first bytes at least
  std::string error;  // why there is no answer
};

// What the runtime says of a Space now.
struct ProbeTarget {
  std::string stage;  // RUNNING, BUILDING, RUNTIME_ERROR, ...
  std::string sha;    // the commit serving (or failing)
  bool serving = false;
  bool asleep = false;  // a request would wake it
};

inline constexpr int64_t kProbeNowEveryMs = 60 * 1000;

struct ProberDeps {
  std::function<Result<ProbeTarget>(const store::Space&)> target;
  std::function<ProbeAnswer(const store::Space&, const card::ProbeSpec&)> send;
};

struct ProberOptions {
  Millis interval{6 * 3600 * 1000};
  Millis wake_interval{7LL * 24 * 3600 * 1000};
  int batch = 20;  // probes per Tick at most
};

class Prober {
 public:
  Prober(Signals* signals, store::SpaceStore* store, ProberDeps deps, const Clock* clock, ProberOptions options = {})
      : signals_(signals), store_(store), deps_(std::move(deps)), clock_(clock), options_(options) {}

  // A push of `sha` will deploy: probe once it serves (or fails).
  void AfterDeploy(int64_t space_id, const std::string& sha);
  // Runs the probes due (finished deploys first); how many were recorded.
  int Tick();
  // Probes the Space now (whatever its schedule); whether one was recorded.
  // At most once per kProbeNowEveryMs per Space: ResourceExhausted sooner.
  Result<bool> ProbeNow(int64_t space_id);

  // Whether an answer passes the probe.
  static bool Passes(const card::ProbeSpec& spec, const ProbeAnswer& answer, std::string* why);

 private:
  Result<bool> Probe(const store::Space& space, bool after_deploy);
  Status Schedule(int64_t space_id, int64_t at);

  Signals* signals_;
  store::SpaceStore* store_;
  ProberDeps deps_;
  const Clock* clock_;
  ProberOptions options_;
  std::mutex mu_;
  std::map<int64_t, std::pair<std::string, int64_t>> deploys_;  // space -> (sha, since)
  std::map<int64_t, int64_t> asked_;  // space -> when ProbeNow last ran
};

}  // namespace spaceport::directory
