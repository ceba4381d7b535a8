// BuildSpaceImage: a Docker Space's Dockerfile built into an image by the OCI
// engine (engine.h), following Hugging Face's conventions.
//
// The image is tagged `ImageRepository(space)` + ":" + the commit's first 12
// hex digits (+ "-" + 8 hex of a hash of the build args, when there are
// any); a commit whose image exists is not built again (a factory
// rebuild, use_cache false, builds it afresh without the layer cache). The
// Space's variables are build args; its secrets are offered only as build
// secrets (`RUN --mount=type=secret,id=NAME`, at /run/secrets/NAME): each is
// a file of its own, 0600, in `secrets_dir` for the length of the build and
// removed afterwards, so no secret is in a layer, the build's arguments or
// its history. The engine's output streams to `log` as it comes (up to
// `log_limit_bytes`; what passes it is dropped, with a note). After a build,
// older images of the Space beyond the newest `keep_images` are removed
// (one a container still uses stays).
//
// Failure: Internal naming the engine's last "Error:" line (a failing RUN, a
// base image that cannot be pulled); DeadlineExceeded when the build passed
// `timeout` (its RUN step is ended through a cgroup path of ours, so the
// engine cleans up after itself). `log` is called from two threads, never at
// once. Thread safety: builds of different Spaces may run at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "runtime/oci/engine.h"

namespace spaceport::runtime::oci {

struct ImageBuildRequest {
  std::string space_id;     // owner/name
  std::string commit_sha;
  std::string context_dir;  // the exported tree, with its Dockerfile
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> secrets;
  std::string secrets_dir;  // created for the build, removed after it
  bool use_cache = true;
  Millis timeout{30 * 60 * 1000};
  int64_t memory_bytes = 0;  // each RUN step's memory limit; 0: none
  int64_t log_limit_bytes = 16 << 20;
  int keep_images = 2;
  std::function<void(std::string_view)> log;
};

struct BuiltImage {
  std::string reference;  // "spaceport/alice/demo:0123456789ab"
  std::string user;       // the image's USER ("" when the Dockerfile sets none)
  bool writable_root = false;  // LABEL space.spaceport.writable-root="true": no read-only root
  bool reused = false;    // the commit's image existed: nothing was built
};

Result<BuiltImage> BuildSpaceImage(const OciEngine& engine, const ImageBuildRequest& request);

// Removes every image of the Space (it was deleted); how many went.
int RemoveSpaceImages(const OciEngine& engine, const std::string& space_id);

}  // namespace spaceport::runtime::oci
