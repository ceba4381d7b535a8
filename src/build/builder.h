// Builder: turns a pushed commit of a Space into something the runtime can start.
//
// Steps: export the commit's tree to a fresh directory, parse the card
// (README.md front matter, see card/card.h), check the app file, install
// dependencies (Python venv keyed by the hash of requirements.txt and shared
// between Spaces; npm ci / npm install), run app_build_command, and produce a
// LaunchSpec following the SDK's contract (DESIGN.md section 6).
//
// Failure -> stage, by Status code:
//   InvalidArgument    -> CONFIG_ERROR (message names the key and line)
//   NotFound           -> NO_APP_FILE
//   anything else      -> BUILD_ERROR
// Progress lines go to the build log as they happen.
// Thread safety: Build may run for several Spaces at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/pricing.h"
#include "core/clock.h"
#include "core/status.h"
#include "runtime/oci/engine.h"

namespace spaceport::build {

struct LaunchSpec {
  std::string sdk;
  bool is_static = false;
  std::string static_root;               // sdk static: directory to serve
  std::vector<std::string> argv;         // "{PORT}" in an argument is replaced by the port
  std::map<std::string, std::string> env;  // SDK env (GRADIO_*, PATH of the venv...); PORT is added by the runtime
  std::string cwd;                       // app directory (the exported tree)
  int app_port = 7860;                   // from the card
  std::string health_path = "/";
  Millis startup_timeout{30 * 60 * 1000};  // startup_duration_timeout, default 30 min as on HF
  std::string card_json;                 // the parsed card, for the store
  bool sleep_freeze = true;              // spaceport.sleep.freeze
  std::optional<Millis> freeze_after;    // spaceport.sleep.freeze_after; unset: the server's default
  std::string title;
  bool disable_embedding = false;        // card: only the hub may frame the app
  std::vector<std::string> embed_allow;  // card spaceport.embed.allow: origins that may frame it too
  // Card spaceport.pricing (billing/pricing.h); null: free. Derived from
  // card_json (not stored apart in the launch file).
  std::shared_ptr<const billing::Pricing> pricing;
  // sdk docker: the image built for this commit (runtime/oci/image_build.h)
  // and its USER ("" when the Dockerfile sets none: the app runs as 1000).
  std::string image;
  std::string image_user;
  bool image_writable_root = false;  // the image's LABEL space.spaceport.writable-root="true"
};

struct BuildRequest {
  std::string space_id;      // owner/name
  std::string repo_path;     // bare git repository
  std::string commit_sha;
  std::string work_dir;      // where to export the tree (created; must not exist)
  bool use_cache = true;     // false for factory rebuilds
  std::map<std::string, std::string> variables;  // visible at build time (HF passes variables as build args)
  // sdk docker only: offered as build secrets (RUN --mount=type=secret,id=NAME),
  // never as arguments or environment of a build step.
  std::map<std::string, std::string> secrets;
  // What the build may write (its tree and the Python environment it
  // makes), from the Space's hardware and --ephemeral-disk; 0: no limit.
  int64_t disk_limit_bytes = 0;
};

class Builder {
 public:
  virtual ~Builder() = default;
  virtual Result<LaunchSpec> Build(const BuildRequest& request, const std::function<void(std::string_view)>& log) = 0;
};

class StepRunner;

struct BuilderOptions {
  std::string cache_dir;        // venvs and npm caches live here
  std::string python = "/usr/bin/python3";
  std::string pip_index_url;    // empty: pip's default
  std::string pip_find_links;   // wheelhouse directory (or URL); with no index: --no-index
  std::string npm_registry;     // empty: npm's default
  const Clock* clock = nullptr; // required
  // Where build steps run (build/step_runner.h); nullptr: plain processes.
  // Must outlive the builder.
  StepRunner* runner = nullptr;
  Millis timeout{30 * 60 * 1000};    // the whole build's wall-clock limit (--build-timeout)
  int64_t log_limit_bytes = 16 << 20;  // the build log's size cap (--build-log-limit)
  int64_t memory_limit_bytes = 0;      // an image build's RUN steps (--build-memory); 0: none
  // The OCI engine that builds sdk docker Spaces (probed by the caller);
  // null: such builds end in BUILD_ERROR saying `oci_missing`.
  std::shared_ptr<const runtime::oci::OciEngine> oci_engine;
  std::string oci_missing = "no OCI engine was probed";
};

std::unique_ptr<Builder> MakeBuilder(BuilderOptions options);

}  // namespace spaceport::build
