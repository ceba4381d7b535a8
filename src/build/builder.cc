#include "build/builder.h"

#include <cstdio>
#include <optional>

#include "build/fs_util.h"
#include "build/launch_spec.h"
#include "build/python_env.h"
#include "build/step_runner.h"
#include "card/card.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "runtime/oci/image_build.h"

namespace spaceport::build {
namespace {

using internal::LogFn;

constexpr size_t kMaxReadmeBytes = 1 << 20;
constexpr size_t kMaxRequirementsBytes = 1 << 20;
constexpr Millis kGitTimeout{5 * 60 * 1000};
constexpr Millis kProbeTimeout{20 * 1000};

struct BuildContext {
  const BuildRequest& request;
  const LogFn& log;
  const BuilderOptions& options;
  StepRunner& runner;
  const Clock& clock;
  SteadyTime deadline;
  int64_t log_used = 0;  // bytes the steps wrote to the build log
  card::Card card;
  std::string app_dir;
  std::string python;          // base interpreter for this Space
  std::optional<internal::Venv> venv;
  bool has_node_modules = false;

  BuildContext(const BuildRequest& r, const LogFn& l, const BuilderOptions& o, StepRunner& run, const Clock& c,
               SteadyTime d)
      : request(r), log(l), options(o), runner(run), clock(c), deadline(d), python(o.python) {}

  void Step(const std::string& line) const { log("==> " + line + "\n"); }
  std::string Short(const std::string& sha) const { return sha.substr(0, 12); }
};

std::string ExitText(const CommandResult& r) {
  return r.exit_code >= 0 ? "exit code " + std::to_string(r.exit_code) : "signal " + std::to_string(r.term_signal);
}

std::string SecondsText(Millis d) {
  int64_t s = d.count() / 1000;
  return s % 60 == 0 && s >= 60 ? std::to_string(s / 60) + " min" : std::to_string(s) + " s";
}

// The Status a step that did not succeed ends the build with. The limits
// name themselves, so that the BUILD_ERROR says which one was hit.
Status StepFailure(const BuildContext& ctx, const std::string& what, const StepResult& r) {
  switch (r.limit) {
    case StepLimit::kTime:
      return Status::DeadlineExceeded(what + " was stopped: the build passed its time limit of " +
                                      SecondsText(ctx.options.timeout) + " (--build-timeout)");
    case StepLimit::kLog:
      return Status::ResourceExhausted(what + " was stopped: the build log passed its size limit of " +
                                       SizeText(ctx.options.log_limit_bytes) + " (--build-log-limit)");
    case StepLimit::kMemory:
      return Status::ResourceExhausted(what + " was stopped: the build hit its memory limit (" + r.limit_detail +
                                       ", --build-memory)");
    case StepLimit::kProcesses:
      return Status::ResourceExhausted(what + " was stopped: the build hit its process limit (" + r.limit_detail +
                                       ", --build-pids)");
    case StepLimit::kDisk:
      return Status::ResourceExhausted(what + " was stopped: the build's files passed its disk limit of " +
                                       SizeText(ctx.request.disk_limit_bytes) +
                                       " (the hardware's ephemeral disk, --ephemeral-disk)");
    case StepLimit::kNone:
      break;
  }
  std::string how = r.exit_code >= 0 ? "exit code " + std::to_string(r.exit_code)
                                     : "signal " + std::to_string(r.term_signal);
  return Status::Internal(what + " failed with " + how);
}

// The environment every step starts from: no variable of the server's own.
std::map<std::string, std::string> BaseEnv(const BuildContext& ctx) {
  std::map<std::string, std::string> env = ctx.request.variables;
  env["HOME"] = "/tmp";
  env["TMPDIR"] = "/tmp";
  env.try_emplace("LANG", "C.UTF-8");
  env["PATH"] = kSystemPath;
  return env;
}

// Runs one step through the runner with the build's deadline and what is
// left of its log budget; its output streams to the log.
Status RunStep(BuildContext& ctx, const std::string& what, BuildStep step) {
  std::map<std::string, std::string> env = BaseEnv(ctx);
  if (step.network) {
    for (auto& [k, v] : ctx.runner.NetworkEnv()) env[k] = v;
  }
  for (auto& [k, v] : step.env) env[k] = v;
  step.env = std::move(env);
  if (step.cwd.empty()) step.cwd = ctx.app_dir;
  step.deadline = ctx.deadline;
  step.log_budget = std::max<int64_t>(1, ctx.options.log_limit_bytes - ctx.log_used);
  step.disk_limit = ctx.request.disk_limit_bytes;
  if (step.measured.empty()) step.measured = {ctx.app_dir};
  step.on_output = [&ctx](std::string_view chunk) { ctx.log(chunk); };
  ASSIGN_OR_RETURN(StepResult r, ctx.runner.Run(step));
  ctx.log_used += r.output_bytes;
  if (!r.ok()) return StepFailure(ctx, what, r);
  return Status::Ok();
}

std::string SpaceName(const std::string& space_id) {
  size_t slash = space_id.rfind('/');
  return slash == std::string::npos ? space_id : space_id.substr(slash + 1);
}

// The PATH build steps and the app see: venv, then node_modules/.bin, then the system.
std::string ToolPath(const BuildContext& ctx) {
  std::string path;
  if (ctx.venv) path += ctx.venv->dir + "/bin:";
  if (ctx.has_node_modules) path += ctx.app_dir + "/node_modules/.bin:";
  return path + kSystemPath;
}

Status ExportTree(BuildContext& ctx) {
  const BuildRequest& r = ctx.request;
  if (r.work_dir.empty() || r.repo_path.empty() || r.commit_sha.empty() || StartsWith(r.commit_sha, "-")) {
    return Status::Internal("build request needs a repository, a commit and a work directory");
  }
  if (internal::PathExists(r.work_dir)) return Status::Internal("work directory " + r.work_dir + " already exists");
  ctx.Step("Exporting commit " + ctx.Short(r.commit_sha));
  RETURN_IF_ERROR(internal::MakeDirs(r.work_dir));
  const std::string tar = r.work_dir + ".export.tar";
  CommandOptions git;
  git.argv = {"git", "--git-dir", r.repo_path, "archive", "--format=tar", "-o", tar, r.commit_sha};
  git.timeout = kGitTimeout;
  ASSIGN_OR_RETURN(CommandResult archived, RunCommand(git));
  if (!archived.ok()) {
    std::remove(tar.c_str());
    return Status::Internal("exporting commit " + ctx.Short(r.commit_sha) + " failed: " + archived.stderr_data);
  }
  // Unpacked by the build's own user: the tree is the Space's, not the server's.
  ctx.app_dir = r.work_dir;
  BuildStep untar;
  untar.argv = {"tar", "-x", "--no-same-owner", "--no-same-permissions", "-f", tar, "-C", r.work_dir};
  untar.writable = {{r.work_dir, r.work_dir}};
  untar.read_only = {tar};
  Status extracted = RunStep(ctx, "unpacking the commit", std::move(untar));
  std::remove(tar.c_str());
  return extracted;
}

Status ReadCard(BuildContext& ctx) {
  ASSIGN_OR_RETURN(std::optional<std::string> readme, internal::ReadTreeFile(ctx.app_dir, "README.md", kMaxReadmeBytes));
  if (!readme) {
    return Status::InvalidArgument("no README.md with a card (add a README.md starting with ---, sdk: ..., ---)");
  }
  ASSIGN_OR_RETURN(ctx.card, card::ParseCard(*readme));
  if (ctx.card.sdk.empty()) return Status::InvalidArgument(kNoSdkMessage);
  ctx.Step("Read the card: sdk " + ctx.card.sdk +
           (ctx.card.sdk_version.empty() ? "" : " " + ctx.card.sdk_version));
  return Status::Ok();
}

// Checks that need no installing: fail fast on a wrong card or a missing file.
Status CheckApp(BuildContext& ctx) {
  const card::Card& c = ctx.card;
  if (c.sdk == "process" && c.app_command.empty()) {
    return LaunchSpecFor(c, ctx.app_dir, "").status();  // the app_command CONFIG_ERROR
  }
  if (c.sdk == "gradio" || c.sdk == "streamlit") {
    const std::string file = AppFileFor(c);
    if (!internal::IsFileInTree(ctx.app_dir, file)) return Status::NotFound(file + " not found in the repository");
  }
  if (c.sdk == "docker") {
    if (!internal::IsFileInTree(ctx.app_dir, "Dockerfile")) {
      return Status::NotFound("Dockerfile not found in the repository");
    }
    if (ctx.options.oci_engine == nullptr) {
      return Status::Internal("sdk docker needs an OCI engine (podman), and none works on this host: " +
                              ctx.options.oci_missing);
    }
  }
  return Status::Ok();
}

Result<std::string> ProbePythonVersion(const std::string& python) {
  CommandOptions o;
  o.argv = {python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"};
  o.timeout = kProbeTimeout;
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(o));
  if (!r.ok()) return Status::Internal("python " + python + " does not run (" + ExitText(r) + ")");
  return std::string(Trim(r.stdout_data));
}

// The interpreter for the card's python_version: the configured one when it
// matches, else pythonX.Y from PATH, else the configured one with a warning.
Result<std::string> ResolvePython(BuildContext& ctx, const std::string& configured) {
  ASSIGN_OR_RETURN(std::string version, ProbePythonVersion(configured));
  const std::string& want = ctx.card.python_version;
  ctx.python = configured;
  if (want.empty() || version == want || StartsWith(version, want + ".")) return version;
  Result<std::string> other = ProbePythonVersion("python" + want);
  if (other.ok()) {
    ctx.python = "python" + want;
    return *other;
  }
  ctx.log("warning: python_version " + want + " is not installed on this host; using Python " + version + "\n");
  return version;
}

Status InstallPython(BuildContext& ctx, const BuilderOptions& options) {
  const std::string& sdk = ctx.card.sdk;
  if (sdk != "gradio" && sdk != "streamlit" && sdk != "process") return Status::Ok();
  internal::VenvRequest vr;
  ASSIGN_OR_RETURN(std::optional<std::string> req,
                   internal::ReadTreeFile(ctx.app_dir, "requirements.txt", kMaxRequirementsBytes));
  ASSIGN_OR_RETURN(std::optional<std::string> pre,
                   internal::ReadTreeFile(ctx.app_dir, "pre-requirements.txt", kMaxRequirementsBytes));
  if (sdk != "process" && !(req && internal::RequirementsMention(*req, sdk))) {
    vr.extra_requirement = sdk + (ctx.card.sdk_version.empty() ? "" : "==" + ctx.card.sdk_version);
  }
  if (!req && !pre && vr.extra_requirement.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(vr.python_version, ResolvePython(ctx, options.python));
  vr.cache_dir = options.cache_dir;
  vr.python = ctx.python;
  vr.app_dir = ctx.app_dir;
  vr.has_requirements = req.has_value();
  vr.requirements = req.value_or("");
  vr.has_pre_requirements = pre.has_value();
  vr.pre_requirements = pre.value_or("");
  vr.pip_index_url = options.pip_index_url;
  vr.pip_find_links = options.pip_find_links;
  vr.use_cache = ctx.request.use_cache;
  vr.sandboxed = ctx.runner.sandboxed();
  vr.space_id = ctx.request.space_id;
  internal::RunStepFn run = [&ctx](const std::string& what, BuildStep step) {
    return RunStep(ctx, what, std::move(step));
  };
  ASSIGN_OR_RETURN(ctx.venv, internal::EnsureVenv(vr, run, ctx.log));
  return Status::Ok();
}

// The npm cache is the Space's own (a shared one could be poisoned by an
// install script of another Space); a factory rebuild gets an empty one.
std::string NpmCacheDir(const BuildContext& ctx) {
  const std::string root = ctx.options.cache_dir + "/npm";
  if (!ctx.request.use_cache) return root + "/factory-" + RandomHex(6);
  return root + "/" + Sha256Hex(ctx.request.space_id).substr(0, 24);
}

Status InstallNode(BuildContext& ctx) {
  if (!internal::IsFileInTree(ctx.app_dir, "package.json")) return Status::Ok();
  bool locked = internal::IsFileInTree(ctx.app_dir, "package-lock.json");
  const std::string verb = locked ? "ci" : "install";
  ctx.Step("Installing Node dependencies (npm " + verb + ")");
  const std::string npm_cache = NpmCacheDir(ctx);
  RETURN_IF_ERROR(internal::MakeDirs(npm_cache));
  BuildStep step;
  step.argv = {"npm", verb, "--no-audit", "--no-fund"};
  step.env["npm_config_cache"] = npm_cache;
  step.env["npm_config_update_notifier"] = "false";
  if (!ctx.options.npm_registry.empty()) step.env["npm_config_registry"] = ctx.options.npm_registry;
  step.writable = {{ctx.app_dir, ctx.app_dir}, {npm_cache, npm_cache}};
  step.network = true;
  Status ran = RunStep(ctx, "npm " + verb, std::move(step));
  if (!ctx.request.use_cache) internal::RemoveTree(npm_cache);
  RETURN_IF_ERROR(ran);
  ctx.has_node_modules = true;
  return Status::Ok();
}

Status RunBuildCommand(BuildContext& ctx) {
  const std::string& cmd = ctx.card.app_build_command;
  if (cmd.empty()) return Status::Ok();
  ctx.Step("Running app_build_command: " + cmd);
  BuildStep step;
  step.argv = {"sh", "-c", cmd};
  step.env["PATH"] = ToolPath(ctx);
  if (ctx.venv) {
    step.env["VIRTUAL_ENV"] = ctx.venv->dir;
    step.read_only.push_back(ctx.venv->dir);  // shared: never writable here
  }
  step.writable = {{ctx.app_dir, ctx.app_dir}};
  step.network = true;
  return RunStep(ctx, "app_build_command", std::move(step));
}

Status BuildImage(BuildContext& ctx, LaunchSpec& spec) {
  const runtime::oci::OciEngine& engine = *ctx.options.oci_engine;
  ctx.Step("Building the Docker image with " + engine.binary);
  runtime::oci::ImageBuildRequest r;
  r.space_id = ctx.request.space_id;
  r.commit_sha = ctx.request.commit_sha;
  r.context_dir = ctx.app_dir;
  r.build_args = ctx.request.variables;
  r.secrets = ctx.request.secrets;
  r.secrets_dir = ctx.request.work_dir + ".secrets";
  r.use_cache = ctx.request.use_cache;
  r.timeout = std::max(Millis(1), std::chrono::duration_cast<Millis>(ctx.deadline - ctx.clock.Now()));
  r.memory_bytes = ctx.options.memory_limit_bytes;
  r.log_limit_bytes = std::max<int64_t>(1, ctx.options.log_limit_bytes - ctx.log_used);
  r.log = [&ctx](std::string_view chunk) { ctx.log(chunk); };
  Result<runtime::oci::BuiltImage> built = runtime::oci::BuildSpaceImage(engine, r);
  if (!built.ok()) {
    if (built.status().code() == StatusCode::kDeadlineExceeded) {
      return Status::DeadlineExceeded("the image build was stopped: the build passed its time limit of " +
                                      SecondsText(ctx.options.timeout) + " (--build-timeout)");
    }
    return built.status();
  }
  ctx.Step("Image " + built->reference + (built->reused ? " (built before)" : " built"));
  spec.image = built->reference;
  spec.image_user = built->user;
  spec.image_writable_root = built->writable_root;
  return Status::Ok();
}

Result<LaunchSpec> Finish(BuildContext& ctx) {
  if (ctx.card.sdk == "static") {
    const std::string file = AppFileFor(ctx.card);
    if (!internal::IsFileInTree(ctx.app_dir, file)) return Status::NotFound(file + " not found in the repository");
  }
  std::string python = ctx.venv ? ctx.venv->python : ctx.python;
  ASSIGN_OR_RETURN(LaunchSpec spec, LaunchSpecFor(ctx.card, ctx.app_dir, python, ctx.venv ? ctx.venv->dir : ""));
  if (spec.title.empty()) spec.title = SpaceName(ctx.request.space_id);
  if (!spec.is_static && ctx.has_node_modules) spec.env["PATH"] = ToolPath(ctx);
  if (ctx.card.sdk == "docker") RETURN_IF_ERROR(BuildImage(ctx, spec));
  return spec;
}

class NativeBuilder : public Builder {
 public:
  explicit NativeBuilder(BuilderOptions options) : options_(std::move(options)) {
    if (options_.clock == nullptr) {
      own_clock_ = MakeRealClock();
      options_.clock = own_clock_.get();
    }
    if (options_.runner == nullptr) {
      own_runner_ = MakeHostStepRunner(options_.clock);
      options_.runner = own_runner_.get();
    }
  }

  Result<LaunchSpec> Build(const BuildRequest& request, const std::function<void(std::string_view)>& log) override {
    Result<LaunchSpec> result = Status::Internal("build failed");
    try {
      result = BuildSteps(request, log);
    } catch (const std::exception& e) {
      result = Status::Internal(std::string("build failed: ") + e.what());
    }
    if (!result.ok()) log("==> Build failed: " + result.status().message() + "\n");
    return result;
  }

 private:
  Result<LaunchSpec> BuildSteps(const BuildRequest& request, const LogFn& log) {
    const SteadyTime start = options_.clock->Now();
    BuildContext ctx(request, log, options_, *options_.runner, *options_.clock, start + options_.timeout);
    RETURN_IF_ERROR(ExportTree(ctx));
    RETURN_IF_ERROR(ReadCard(ctx));
    RETURN_IF_ERROR(CheckApp(ctx));
    if (ctx.card.sdk != "docker") {  // a Dockerfile installs what its image needs itself
      if (internal::IsFileInTree(ctx.app_dir, "packages.txt")) {
        log("warning: packages.txt is ignored: the native runtime cannot install system packages "
            "(use sdk: docker with an OCI engine)\n");
      }
      RETURN_IF_ERROR(InstallPython(ctx, options_));
      RETURN_IF_ERROR(InstallNode(ctx));
      RETURN_IF_ERROR(RunBuildCommand(ctx));
    }
    ASSIGN_OR_RETURN(LaunchSpec spec, Finish(ctx));
    auto ms = std::chrono::duration_cast<Millis>(options_.clock->Now() - start).count();
    ctx.Step("Build done in " + std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s");
    return spec;
  }

  std::unique_ptr<Clock> own_clock_;
  std::unique_ptr<StepRunner> own_runner_;
  BuilderOptions options_;
};

}  // namespace

std::unique_ptr<Builder> MakeBuilder(BuilderOptions options) {
  return std::make_unique<NativeBuilder>(std::move(options));
}

}  // namespace spaceport::build
