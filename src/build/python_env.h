// Internal to the build module: Python environments shared between Spaces.
//
// A venv lives in cache_dir/venvs/<sha256 of python (path, version) + pre-requirements
// + requirements + extra requirement> and is shared by every Space whose
// requirements hash the same. Requirements that name something other than
// index packages (a path, a URL, an editable install) make the venv the
// Space's own: the hash then includes the Space, since the same text names
// different code in two Spaces.
// It is built in a temporary directory next to it and renamed into place when
// pip succeeded, so a half-built venv is never visible and a failed one is
// not kept. Sandboxed, the steps see the temporary directory at the final
// path (no paths to rewrite afterwards) and nothing else of the cache; the
// published venv belongs to root and nobody may write it, so no later build
// or app can change an entry another Space uses. Builds of the same hash are
// serialised by flock on cache_dir/venvs/<hash>.lock; different hashes build
// in parallel.
// Failure: Internal (BUILD_ERROR) with pip's exit code; pip's output went to
// the log as it ran.
// Thread safety: EnsureVenv may run concurrently, in threads or processes.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "build/step_runner.h"
#include "core/status.h"

namespace spaceport::build::internal {

using LogFn = std::function<void(std::string_view)>;
// Runs one build step (the builder adds its environment, deadline and log
// budget); `what` names it in the error.
using RunStepFn = std::function<Status(const std::string& what, BuildStep step)>;

struct VenvRequest {
  std::string cache_dir;
  std::string python;          // base interpreter
  std::string python_version;  // as the interpreter reports it; with `python`, part of the hash
  std::string app_dir;         // pip runs here (requirements may name relative paths)
  std::string pre_requirements;  // contents; empty when the file is absent
  std::string requirements;      // contents; empty when absent
  bool has_pre_requirements = false;
  bool has_requirements = false;
  std::string extra_requirement;  // e.g. "gradio==4.44.0" for an sdk missing from requirements
  std::string pip_index_url;
  std::string pip_find_links;
  bool use_cache = true;
  bool sandboxed = false;  // steps see only what they are given (see above)
  std::string space_id;    // for a venv of the Space's own
};

struct Venv {
  std::string dir;
  std::string python;  // dir/bin/python
  std::string hash;
  bool cached = false;
};

std::string VenvHash(const VenvRequest& request);
Result<Venv> EnsureVenv(const VenvRequest& request, const RunStepFn& run, const LogFn& log);

// True when a requirements file names `package` (case and -/_ insensitive).
bool RequirementsMention(std::string_view requirements, std::string_view package);

// True when a requirements file names anything but packages of an index:
// a local path, a URL, an editable install, or another file to include.
bool RequirementsNameLocalCode(std::string_view requirements);

}  // namespace spaceport::build::internal
