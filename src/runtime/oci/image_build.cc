#include "runtime/oci/image_build.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/strings.h"
#include "core/subprocess.h"
#include "runtime/oci/cgroup_tree.h"

namespace spaceport::runtime::oci {
namespace {

constexpr Millis kQuickTimeout{60 * 1000};
// After the time limit ended the RUN step, the engine's own clean-up.
constexpr Millis kCleanUpGrace{60 * 1000};

Result<CommandResult> Engine(const OciEngine& engine, std::vector<std::string> args) {
  CommandOptions o;
  o.argv = engine.Command(std::move(args));
  o.timeout = kQuickTimeout;
  return RunCommand(o);
}

// The image's USER and whether it asks for a writable root.
void ReadImageConfig(const OciEngine& engine, BuiltImage& image) {
  Result<CommandResult> r = Engine(engine, {"image", "inspect", "--format",
                                            "{{.Config.User}}\n{{index .Config.Labels \"space.spaceport.writable-root\"}}",
                                            image.reference});
  if (!r.ok() || !r->ok()) return;
  std::vector<std::string> lines = Split(r->stdout_data, '\n');
  image.user = lines.empty() ? "" : std::string(Trim(lines[0]));
  image.writable_root = lines.size() > 1 && Trim(lines[1]) == "true";
}

// Writes each secret to a file of its own; the build names them by id.
Result<std::vector<std::string>> WriteSecrets(const ImageBuildRequest& request) {
  std::vector<std::string> args;
  if (request.secrets.empty()) return args;
  std::error_code ec;
  std::filesystem::remove_all(request.secrets_dir, ec);
  if (mkdir(request.secrets_dir.c_str(), 0700) != 0) {
    return Status::Internal("cannot make the build's secrets directory " + request.secrets_dir);
  }
  int n = 0;
  for (const auto& [name, value] : request.secrets) {
    const std::string path = request.secrets_dir + "/" + std::to_string(n++);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Internal("cannot write a build secret to " + path);
    bool written = write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    close(fd);
    if (!written) return Status::Internal("cannot write a build secret to " + path);
    args.insert(args.end(), {"--secret", "id=" + name + ",src=" + path});
  }
  return args;
}

// The tagged images of `repository`, newest first (as the engine lists them).
std::vector<std::string> RepositoryImages(const OciEngine& engine, const std::string& repository) {
  std::vector<std::string> refs;
  Result<CommandResult> listed =
      Engine(engine, {"images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=" + repository});
  if (!listed.ok() || !listed->ok()) return refs;
  for (const std::string& line : Split(listed->stdout_data, '\n')) {
    std::string ref(Trim(line));
    if (ref.empty() || EndsWith(ref, ":<none>")) continue;
    refs.push_back(StartsWith(ref, "localhost/") ? ref.substr(10) : ref);
  }
  return refs;
}

void PruneOlderImages(const OciEngine& engine, const std::string& repository, const std::string& built, int keep,
                      const std::function<void(std::string_view)>& log) {
  int kept = 1;  // the image just built
  for (const std::string& ref : RepositoryImages(engine, repository)) {
    if (ref == built) continue;
    if (kept < keep) {
      ++kept;
      continue;
    }
    Result<CommandResult> removed = Engine(engine, {"rmi", ref});
    if (removed.ok() && removed->ok()) log("Removed the older image " + ref + "\n");
  }
}



// The engine's last line that starts with "Error:" (its own message), else
// the output's last non-empty line.
std::string LastEngineError(std::string_view output) {
  std::string last_error, last_line;
  for (const std::string& line : Split(output, '\n')) {
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    last_line = std::string(t);
    if (StartsWith(t, "Error:") || StartsWith(t, "error ")) last_error = last_line;
  }
  return last_error.empty() ? last_line : last_error;
}

// The engine's build, streaming to `log` within its size limit. RUN steps
// run in a cgroup at a path of ours: at the time limit their processes are
// killed, the step fails and the engine cleans up after itself (killing the
// engine instead would leave the step and its working container behind).
struct BuildRun {
  Result<CommandResult> result = Status::Internal("not run");
  bool timed_out = false;
};

BuildRun RunBuild(const OciEngine& engine, std::vector<std::string> args, const ImageBuildRequest& request,
                  const std::function<void(std::string_view)>& log) {
  const std::string group = OwnMemoryCgroupPath() + "/spaceport-oci-builds/" + RandomHex(8);
  args.insert(args.end() - 1, {"--cgroup-parent", group});
  CommandOptions o;
  o.argv = engine.Command(std::move(args));
  o.cwd = request.context_dir;
  o.timeout = request.timeout + kCleanUpGrace;
  o.merge_stderr = true;
  o.max_output = 64 << 10;  // kept for the error line; all of it streams to the log
  int64_t logged = 0;
  bool truncated = false;
  o.on_output = [&](std::string_view chunk) {
    if (logged + static_cast<int64_t>(chunk.size()) > request.log_limit_bytes) {
      if (!truncated) log("\n[the build log passed its size limit: the rest is not kept]\n");
      truncated = true;
      return;
    }
    logged += static_cast<int64_t>(chunk.size());
    log(chunk);
  };
  BuildRun run;
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (cv.wait_for(lock, request.timeout, [&] { return finished; })) return;
    run.timed_out = true;
    lock.unlock();
    log("\n[the build passed its time limit: stopping it]\n");
    lock.lock();
    while (!finished) {  // steps start one after another: end each until the engine quits
      lock.unlock();
      (void)KillCgroupTree(group, Millis(100));
      lock.lock();
      cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished; });
    }
  });
  run.result = RunCommand(o);
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  watchdog.join();
  RemoveCgroupTree(group);
  if (!run.result.ok() && run.result.status().code() == StatusCode::kDeadlineExceeded) run.timed_out = true;
  return run;
}

// The tag: the commit, and a hash of the build args when there are any (a
// changed variable makes a different image of the same commit).
std::string ImageTag(const ImageBuildRequest& request) {
  std::string tag = request.commit_sha.substr(0, 12);
  if (request.build_args.empty()) return tag;
  std::string args;
  for (const auto& [k, v] : request.build_args) args += k + '\0' + v + '\0';
  return tag + "-" + Sha256Hex(args).substr(0, 8);
}

}  // namespace

Result<BuiltImage> BuildSpaceImage(const OciEngine& engine, const ImageBuildRequest& request) {
  // Two threads write to it: the engine's output and the time limit's note.
  std::mutex log_mu;
  const auto log = [&request, &log_mu](std::string_view chunk) {
    std::lock_guard lock(log_mu);
    if (request.log) request.log(chunk);
  };
  if (request.commit_sha.size() < 12) return Status::Internal("an image build needs the commit's id");
  BuiltImage image;
  const std::string repository = ImageRepository(request.space_id);
  image.reference = repository + ":" + ImageTag(request);
  if (request.use_cache) {
    Result<CommandResult> exists = Engine(engine, {"image", "exists", image.reference});
    if (exists.ok() && exists->ok()) {
      log("Image " + image.reference + " is already built for this commit: not building it again\n");
      image.reused = true;
      ReadImageConfig(engine, image);
      return image;
    }
  }
  std::vector<std::string> args = {"build", "--tag", image.reference, "--file",
                                   request.context_dir + "/Dockerfile", "--label",
                                   "space.spaceport.space=" + request.space_id, "--label",
                                   "space.spaceport.commit=" + request.commit_sha};
  if (!request.use_cache) args.push_back("--no-cache");
  if (request.memory_bytes > 0) args.insert(args.end(), {"--memory", std::to_string(request.memory_bytes)});
  for (const auto& [k, v] : request.build_args) args.insert(args.end(), {"--build-arg", k + "=" + v});
  Result<std::vector<std::string>> secret_args = WriteSecrets(request);
  std::error_code ec;
  if (!secret_args.ok()) {
    std::filesystem::remove_all(request.secrets_dir, ec);
    return secret_args.status();
  }
  args.insert(args.end(), secret_args->begin(), secret_args->end());
  args.push_back(request.context_dir);
  // A rebuild of the commit leaves its former image untagged: removed below.
  std::string former;
  if (!request.use_cache) {
    Result<CommandResult> id = Engine(engine, {"image", "inspect", "--format", "{{.Id}}", image.reference});
    if (id.ok() && id->ok()) former = std::string(Trim(id->stdout_data));
  }
  BuildRun run = RunBuild(engine, std::move(args), request, log);
  std::filesystem::remove_all(request.secrets_dir, ec);
  if (run.timed_out) return Status::DeadlineExceeded("the image build was stopped: it passed the build's time limit");
  if (!run.result.ok()) return run.result.status();
  if (!run.result->ok()) {
    std::string why = LastEngineError(run.result->stdout_data);
    return Status::Internal(engine.binary + " build failed" + (why.empty() ? "" : ": " + why));
  }
  ReadImageConfig(engine, image);
  if (!former.empty()) (void)Engine(engine, {"rmi", former});  // refused while tagged or in use
  PruneOlderImages(engine, repository, image.reference, request.keep_images, log);
  return image;
}

int RemoveSpaceImages(const OciEngine& engine, const std::string& space_id) {
  int removed = 0;
  for (const std::string& ref : RepositoryImages(engine, ImageRepository(space_id))) {
    Result<CommandResult> r = Engine(engine, {"rmi", ref});
    removed += r.ok() && r->ok() ? 1 : 0;
  }
  return removed;
}

}  // namespace spaceport::runtime::oci
