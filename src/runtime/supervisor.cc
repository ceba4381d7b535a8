// Supervisor: public API, stages and the build pipeline. Instances (launch,
// health checks, switch, crashes) live in supervisor_instances.cc.
#include "runtime/supervisor.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "build/launch_spec.h"
#include "core/log.h"
#include "core/strings.h"
#include "runtime/data_volume.h"
#include "runtime/deploy_env.h"
#include "runtime/supervisor_state.h"

namespace spaceport::runtime {
namespace {

Stage StageForBuildError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return Stage::kConfigError;
    case StatusCode::kNotFound: return Stage::kNoAppFile;
    default: return Stage::kBuildError;
  }
}

void RemoveDir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    SP_LOG(kWarn) << "removing " << dir << ": " << ec.message();
  }
}

std::string LaunchFileOf(const std::string& build_dir);

// A build's dir and its launch file (the file first: a launch file never
// outlives the tree it starts).
void RemoveBuild(const std::string& dir) {
  if (dir.empty()) return;
  ::unlink(LaunchFileOf(dir).c_str());
  RemoveDir(dir);
  RemoveDir(dir + ".secrets");  // a Docker build's secret files, should a crash have left them
}

// Moves what earlier runs left in a Space's builds dir, except the build
// `keep` (its dir and launch file; empty: everything), into `trash` (a
// rename each: quick, so a build queued right after cannot be caught).
void TrashBuildsExcept(const std::string& builds_dir, const std::string& keep, const std::string& trash) {
  std::error_code ec;
  std::vector<std::filesystem::path> leftovers;
  for (const auto& entry : std::filesystem::directory_iterator(builds_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (keep.empty() || (name != keep && name != keep + ".launch.json")) leftovers.push_back(entry.path());
  }
  if (leftovers.empty()) return;
  std::filesystem::create_directories(trash, ec);
  static std::atomic<uint64_t> serial{0};
  for (const auto& path : leftovers) {
    std::error_code ignored;
    std::filesystem::rename(path, trash + "/" + std::to_string(getpid()) + "-" + std::to_string(serial++), ignored);
  }
}

// The launch file of a build: beside its dir, so that a static Space never
// serves it.
std::string LaunchFileOf(const std::string& build_dir) { return build_dir + ".launch.json"; }

// Writes the launch file whole or not at all (temp file, fsync, rename).
Status WriteLaunchFile(const std::string& build_dir, const build::LaunchSpec& spec) {
  const std::string path = LaunchFileOf(build_dir);
  const std::string tmp = path + ".tmp";
  const std::string text = build::LaunchSpecToJson(spec);
  if (text.empty()) return Status::InvalidArgument("the launch spec holds text that is not UTF-8");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("writing " + tmp + ": " + strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Internal("writing " + path + ": " + strerror(errno));
  }
  return Status::Ok();
}

// The version a build left, when its dir and launch file are both whole.
Result<build::LaunchSpec> ReadLaunchFile(const std::string& build_dir) {
  std::ifstream in(LaunchFileOf(build_dir));
  if (!in) return Status::NotFound("no launch file for " + build_dir);
  std::stringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(build::LaunchSpec spec, build::LaunchSpecFromJson(text.str()));
  std::error_code ec;
  const std::string& tree = spec.is_static ? spec.static_root : spec.cwd;
  if (tree.empty() || !std::filesystem::is_directory(tree, ec)) {
    return Status::NotFound("the tree of " + build_dir + " is gone");
  }
  return spec;
}

// scheme://host[:port] of the hub's URL: the one origin that may still frame
// an app whose card says disable_embedding.
std::string HubOrigin(const std::string& public_url) {
  size_t scheme = public_url.find("://");
  size_t path = scheme == std::string::npos ? std::string::npos : public_url.find('/', scheme + 3);
  return path == std::string::npos ? public_url : public_url.substr(0, path);
}

// The app's CSP, frame-ancestors only: disable_embedding wins (the hub
// only); an allow-list adds its origins (checked by the card parser:
// scheme://host[:port], nothing that could break out of the header); with
// neither, none (no header: embeddable anywhere).
std::string FrameAncestorsPolicy(const build::LaunchSpec& spec, const std::string& public_url) {
  if (!spec.disable_embedding && spec.embed_allow.empty()) return "";
  std::string sources = "frame-ancestors 'self' " + HubOrigin(public_url);
  if (spec.disable_embedding) return sources;
  for (const std::string& origin : spec.embed_allow) sources += " " + origin;
  return sources;
}

}  // namespace

Supervisor::Supervisor(store::Store* store, build::Builder* builder, RuntimeDriver* driver, RouteTable* routes,
                       LogStore* logs, const Clock* clock, SupervisorOptions options, Scheduler* scheduler)
    : store_(store),
      builder_(builder),
      driver_(driver),
      routes_(routes),
      logs_(logs),
      clock_(clock),
      options_(std::move(options)),
      scheduler_(scheduler) {
  if (scheduler_ == nullptr) {
    owned_scheduler_ = std::make_unique<ThreadScheduler>(clock_);
    scheduler_ = owned_scheduler_.get();
  }
  int workers = std::max(1, options_.max_concurrent_builds);
  for (int i = 0; i < workers; ++i) build_workers_.emplace_back([this] { BuildWorker(); });
  if (options_.memory_budget_bytes > 0) {
    MutexLock lock(mu_);
    ScheduleMemoryCheckLocked(options_.memory_check_interval);
  }
  if (options_.disk_check_interval > Millis(0)) {
    MutexLock lock(mu_);
    ScheduleDiskCheckLocked(options_.disk_check_interval);
  }
}

Supervisor::~Supervisor() {
  Shutdown();
  owned_scheduler_.reset();
}

void Supervisor::Shutdown() {
  std::vector<std::shared_ptr<Deployment>> to_stop;
  {
    MutexLock lock(mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (TaskId id : tasks_) scheduler_->Cancel(id);
    tasks_.clear();
    while (!queue_.empty()) DropQueuedBuildsLocked(queue_.front().space_id, "server shutting down");
    for (auto& [id, st] : spaces_) {
      for (auto& d : TakeInstancesLocked(*st)) to_stop.push_back(std::move(d));
    }
    for (auto& d : draining_) {
      if (!d->exited) to_stop.push_back(d);
    }
    draining_.clear();
  }
  build_cv_.notify_all();
  shutdown_cv_.notify_all();
  for (std::thread& t : build_workers_) t.join();
  build_workers_.clear();
  std::vector<std::thread> stoppers;
  for (auto& d : to_stop) {
    stoppers.emplace_back([this, d] { (void)driver_->Stop(d->instance, options_.stop_grace); });
  }
  for (std::thread& t : stoppers) t.join();
  helpers_.JoinAll();
  // A clean stop leaves no mounts behind (after kill -9 they stay, and the
  // next start uses them as they are).
  std::vector<std::string> ids;
  {
    MutexLock lock(mu_);
    for (const auto& [id, st] : spaces_) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    if (Status s = UnmountDataVolume(SpaceDataDir(options_.data_dir, id)); !s.ok()) {
      SP_LOG(kWarn) << s.message();
    }
  }
}

Status Supervisor::Recover() {
  // Every Space, whoever owns it (users and organizations, any visibility).
  store::SpaceQuery q;
  q.include_all_private = true;
  q.limit = 1000;
  RecoveryCounts counts;
  Status s = store::ForEachSpace(*store_, q, [this, &counts](const store::Space& space) {
    RecoverSpace(space, counts);
    return Status::Ok();
  });
  // What earlier runs left in the builds dirs is deleted in the background.
  helpers_.Spawn([trash = TrashDir()] {
    std::error_code ec;
    std::filesystem::remove_all(trash, ec);
  });
  SP_LOG(kInfo) << "recovered " << counts.started << " running, " << counts.asleep << " asleep, "
                << counts.idle << " idle or paused Spaces; " << counts.rebuilt << " to build";
  return s;
}

// One Space at server start. Its newest successful build whose launch file
// and tree survived is its version again (no build): started when the Space
// was up, left asleep (woken by its next request) when it slept. Builds a
// killed server left queued or running are closed as cancelled; the pushed
// commit is built when no build of it succeeded or failed. Without a usable
// build the Space is built as after a push.
void Supervisor::RecoverSpace(const store::Space& space, RecoveryCounts& counts) {
  const std::optional<Stage> stored = ParseStage(space.stage);
  if (stored == Stage::kPaused || space.sha.empty()) {
    MutexLock lock(mu_);
    SpaceState& st = EnsureLocked(space);
    st.paused = stored == Stage::kPaused;
    PublishRouteLocked(st);
    counts.idle++;
    return;
  }
  const int64_t now = clock_->UnixMillis();
  std::vector<store::Build> builds;
  if (auto listed = store_->ListBuilds(space.id, 50); listed.ok()) builds = std::move(listed).value();
  const store::Build* usable = nullptr;
  build::LaunchSpec spec;
  bool pushed_sha_settled = false;  // a build of space.sha succeeded or failed
  const std::string builds_dir = BuildsDir(space);
  for (store::Build& b : builds) {
    if (b.status == store::BuildStatus::kQueued || b.status == store::BuildStatus::kRunning) {
      (void)store_->FinishBuild(b.id, store::BuildStatus::kCancelled, "server restarted", now);
      b.status = store::BuildStatus::kCancelled;
    }
    if (b.commit_sha == space.sha &&
        (b.status == store::BuildStatus::kSucceeded || b.status == store::BuildStatus::kFailed)) {
      pushed_sha_settled = true;
    }
    if (usable == nullptr && b.status == store::BuildStatus::kSucceeded) {
      Result<build::LaunchSpec> read = ReadLaunchFile(builds_dir + "/" + std::to_string(b.id));
      if (read.ok()) {
        usable = &b;
        spec = std::move(read).value();
      }
    }
  }
  const std::string keep = usable == nullptr ? "" : std::to_string(usable->id);
  TrashBuildsExcept(builds_dir, keep, TrashDir());
  if (usable == nullptr) {
    OnPush(space, space.sha);
    counts.rebuilt++;
    return;
  }
  MutexLock lock(mu_);
  if (shutting_down_) return;
  SpaceState& st = EnsureLocked(space);
  auto d = std::make_shared<Deployment>();
  d->serial = next_serial_++;
  d->space_id = space.full_id();
  d->sha = usable->commit_sha;
  d->build_id = usable->id;
  d->build_dir = builds_dir + "/" + keep;
  d->spec = std::move(spec);
  d->exited = true;  // nothing runs it yet
  SetLiveLocked(st, d);
  SetRungLocked(st, Rung::kStopped);
  if (stored == Stage::kSleeping && !d->spec.is_static) {
    SetStageLocked(st, IdleStageLocked(st), "");  // SLEEPING, wakeable
    counts.asleep++;
  } else {
    auto run = std::make_shared<Deployment>();
    run->serial = next_serial_++;
    run->sha = d->sha;
    run->build_id = d->build_id;
    run->build_dir = d->build_dir;
    run->spec = d->spec;
    RunLogNote(space.full_id(), "===== Server restarted: starting the last build again =====");
    LaunchLocked(st, std::move(run));
    counts.started++;
  }
  if (!pushed_sha_settled && usable->commit_sha != space.sha) {
    EnqueueBuildLocked(st, space.sha, /*use_cache=*/true);
    counts.rebuilt++;
  }
}

Supervisor::SpaceState& Supervisor::EnsureLocked(const store::Space& space) {
  auto it = spaces_.find(space.full_id());
  if (it == spaces_.end()) {
    auto st = std::make_unique<SpaceState>();
    st->stage = ParseStage(space.stage).value_or(Stage::kNoAppFile);
    st->error = space.error_message;
    it = spaces_.emplace(space.full_id(), std::move(st)).first;
  }
  it->second->space = space;
  return *it->second;
}

Supervisor::SpaceState* Supervisor::FindLocked(const std::string& space_id) {
  auto it = spaces_.find(space_id);
  return it == spaces_.end() ? nullptr : it->second.get();
}

void Supervisor::SetLiveLocked(SpaceState& st, std::shared_ptr<Deployment> d) {
  deployed_.insert(d->space_id);
  st.live = std::move(d);
}

bool Supervisor::ServingLocked(const SpaceState& st) const {
  return !st.paused && st.live != nullptr && st.live->healthy && !st.live->exited;
}

// The stage of a Space with nothing going wrong right now.
Stage Supervisor::IdleStageLocked(const SpaceState& st) const {
  if (ServingLocked(st)) {
    if (st.builds_in_flight > 0 || st.starting != nullptr) return Stage::kRunningBuilding;
    return st.failed_build.value_or(Stage::kRunning);
  }
  if (st.builds_in_flight > 0) return Stage::kBuilding;
  return st.rung == Rung::kStopped && st.starting == nullptr ? Stage::kSleeping : Stage::kAppStarting;
}

void Supervisor::SetStageLocked(SpaceState& st, Stage stage, const std::string& given_error) {
  // A failed build's stage, standing while the older version serves, keeps its message.
  const std::string& error = given_error.empty() && st.failed_build == stage ? st.failed_build_error : given_error;
  bool changed = st.stage != stage || st.error != error;
  st.stage = stage;
  st.error = error;
  if (changed && st.space.id != 0) {
    Status s = store_->SetSpaceStage(st.space.id, std::string(StageName(stage)), error);
    if (!s.ok()) {
      SP_LOG(kWarn) << "persisting stage of " << st.space.full_id() << ": " << s.ToString();
    }
  }
  PublishRouteLocked(st);
}

void Supervisor::PublishRouteLocked(const SpaceState& st) {
  AppRoute route;
  route.space_id = st.space.full_id();
  route.subdomain = st.space.subdomain;
  route.stage = st.stage;
  route.error_message = st.error;
  route.generation = st.generation;
  if (st.live != nullptr && !st.live->spec.is_static) {
    route.activity = st.activity;
    route.wakeable = (st.rung == Rung::kStopped || st.rung == Rung::kStopping) && !st.paused;
    route.wake_timeout_ms = st.live->spec.startup_timeout.count();
  }
  if (st.live != nullptr) route.content_security_policy = FrameAncestorsPolicy(st.live->spec, options_.public_url);
  if (st.live != nullptr) route.pricing = st.live->spec.pricing;
  route.space_key = st.space.id;
  if (ServingLocked(st)) {
    if (st.live->spec.is_static) {
      route.static_root = st.live->spec.static_root;
    } else {
      route.upstream_host = "127.0.0.1";
      route.upstream_port = st.live->port;
    }
  }
  routes_->Publish(std::move(route));
}

void Supervisor::OnCreated(const store::Space& space) {
  MutexLock lock(mu_);
  SpaceState& st = EnsureLocked(space);
  PublishRouteLocked(st);
}

void Supervisor::OnPush(const store::Space& space, const std::string& sha) {
  MutexLock lock(mu_);
  if (shutting_down_) return;
  SpaceState& st = EnsureLocked(space);
  st.paused = false;
  EnqueueBuildLocked(st, sha, /*use_cache=*/true);
}

Status Supervisor::Restart(const std::string& space_id, bool factory) {
  MutexLock lock(mu_);
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr) return Status::NotFound("space " + space_id + " not found");
  if (shutting_down_) return Status::Unavailable("server shutting down");
  st->paused = false;
  st->failures = 0;
  if (st->retry_task != 0) scheduler_->Cancel(st->retry_task);
  st->retry_task = 0;
  bool have_build = st->live != nullptr && std::filesystem::exists(st->live->build_dir);
  // Re-read: a restart is how a new flavor or storage tier takes effect.
  if (auto fresh = store_->GetSpaceById(st->space.id); fresh.ok()) st->space = *fresh;
  if (factory || !have_build) {
    if (st->space.sha.empty()) return Status::FailedPrecondition("nothing was pushed to " + space_id + " yet");
    EnqueueBuildLocked(*st, st->space.sha, /*use_cache=*/!factory);
    return Status::Ok();
  }
  auto d = std::make_shared<Deployment>();
  d->serial = next_serial_++;
  d->sha = st->live->sha;
  d->build_id = st->live->build_id;
  d->build_dir = st->live->build_dir;
  d->spec = st->live->spec;
  LaunchLocked(*st, std::move(d));
  return Status::Ok();
}

Status Supervisor::Pause(const std::string& space_id) {
  std::vector<std::shared_ptr<Deployment>> to_stop;
  {
    MutexLock lock(mu_);
    SpaceState* st = FindLocked(space_id);
    if (st == nullptr) return Status::NotFound("space " + space_id + " not found");
    st->paused = true;
    DropQueuedBuildsLocked(space_id, "space paused");
    st->latest_build++;  // a build still running is not deployed
    to_stop = TakeInstancesLocked(*st);
    SetStageLocked(*st, Stage::kPaused, "");
  }
  for (auto& d : to_stop) (void)driver_->Stop(d->instance, options_.stop_grace);
  return Status::Ok();
}

std::vector<std::shared_ptr<Supervisor::Deployment>> Supervisor::ForgetLocked(const std::string& space_id,
                                                                            const std::string& why,
                                                                            std::string* builds_dir,
                                                                            bool* was_paused) {
  std::vector<std::shared_ptr<Deployment>> to_stop;
  if (SpaceState* st = FindLocked(space_id); st != nullptr) {
    DropQueuedBuildsLocked(space_id, why);
    to_stop = TakeInstancesLocked(*st);
    for (auto it = draining_.begin(); it != draining_.end();) {
      if ((*it)->space_id != space_id) {
        ++it;
        continue;
      }
      if (!(*it)->exited) to_stop.push_back(*it);
      it = draining_.erase(it);
    }
    *builds_dir = BuildsDir(st->space);
    *was_paused = st->paused;
    spaces_.erase(space_id);  // a build still running finds no state and is dropped
    deployed_.erase(space_id);
  }
  routes_->Remove(space_id);
  return to_stop;
}

Status Supervisor::Remove(const std::string& space_id) {
  std::vector<std::shared_ptr<Deployment>> to_stop;
  std::string builds_dir;
  bool was_paused = false;
  {
    MutexLock lock(mu_);
    to_stop = ForgetLocked(space_id, "space deleted", &builds_dir, &was_paused);
  }
  for (auto& d : to_stop) (void)driver_->Stop(d->instance, options_.stop_grace);
  if (Status s = driver_->Discard(space_id); !s.ok()) {
    SP_LOG(kWarn) << "deleting " << space_id << ": " << s.message();
  }
  logs_->Forget(space_id);
  RemoveDir(builds_dir);
  if (!builds_dir.empty()) {
    if (Status s = RemoveDataVolume(SpaceDataDir(options_.data_dir, space_id)); !s.ok()) {
      SP_LOG(kWarn) << "deleting " << space_id << ": " << s.message();
    }
  }
  return Status::Ok();
}

Status Supervisor::RestartForStorage(const std::string& space_id, bool delete_data) {
  std::vector<std::shared_ptr<Deployment>> to_stop;
  {
    MutexLock lock(mu_);
    SpaceState* st = FindLocked(space_id);
    if (st == nullptr) return Status::NotFound("space " + space_id + " not found");
    if (shutting_down_) return Status::Unavailable("server shutting down");
    to_stop = TakeInstancesLocked(*st);
    for (const auto& d : draining_) {
      if (d->space_id == space_id && !d->exited) to_stop.push_back(d);
    }
  }
  // Every sandbox that has /data mounted ends first: a volume grows (or
  // goes) only when nothing uses it.
  for (auto& d : to_stop) (void)driver_->Stop(d->instance, options_.stop_grace);
  if (delete_data) {
    MutexLock lock(mu_);  // no start (which mounts /data) meanwhile
    RETURN_IF_ERROR(RemoveDataVolume(SpaceDataDir(options_.data_dir, space_id)));
  }
  Status restarted = Restart(space_id, false);
  if (restarted.code() == StatusCode::kFailedPrecondition) return Status::Ok();  // nothing pushed: nothing runs
  return restarted;
}

Status Supervisor::Rename(const std::string& old_id, const store::Space& renamed) {
  std::vector<std::shared_ptr<Deployment>> to_stop;
  std::string builds_dir;
  bool was_paused = false;
  {
    MutexLock lock(mu_);
    if (shutting_down_) return Status::Unavailable("server shutting down");
    if (FindLocked(old_id) == nullptr) return Status::NotFound("space " + old_id + " not found");
    to_stop = ForgetLocked(old_id, "space renamed", &builds_dir, &was_paused);
  }
  // Stopped before /data moves, so the app never writes to a moving dir.
  for (auto& d : to_stop) (void)driver_->Stop(d->instance, options_.stop_grace);
  logs_->Forget(old_id);
  RemoveDir(builds_dir);
  Status moved =
      MoveDataVolume(SpaceDataDir(options_.data_dir, old_id), SpaceDataDir(options_.data_dir, renamed.full_id()));
  if (!moved.ok()) {
    SP_LOG(kWarn) << "renaming " << old_id << ": " << moved.message();
  }
  MutexLock lock(mu_);
  if (shutting_down_) return Status::Ok();
  SpaceState& st = EnsureLocked(renamed);
  st.paused = was_paused;
  if (!was_paused && !renamed.sha.empty()) {
    EnqueueBuildLocked(st, renamed.sha, /*use_cache=*/true);
  } else {
    PublishRouteLocked(st);
  }
  return Status::Ok();
}

Result<RuntimeInfo> Supervisor::Info(const std::string& space_id) {
  MutexLock lock(mu_);
  SpaceState* st = FindLocked(space_id);
  if (st == nullptr) return Status::NotFound("space " + space_id + " not found");
  RuntimeInfo info;
  info.stage = st->stage;
  info.error_message = st->error;
  info.hardware = st->space.hardware;
  info.requested_hardware = st->space.hardware;
  info.gc_timeout_seconds = st->space.sleep_time_seconds;
  info.serving = ServingLocked(*st);
  info.replicas = info.serving && !st->live->spec.is_static ? 1 : 0;
  info.sha = st->live != nullptr ? st->live->sha : "";
  if (st->live != nullptr && !st->live->spec.is_static) {
    info.rung = ServingLocked(*st) || st->rung != Rung::kRunning ? std::string(RungName(st->rung)) : "stopped";
  }
  info.last_wake_ms = st->last_wake_ms;
  return info;
}

std::string Supervisor::TrashDir() const { return options_.data_dir + "/builds/.trash"; }

std::string Supervisor::BuildsDir(const store::Space& space) const {
  return options_.data_dir + "/builds/" + space.owner + "/" + space.name;
}

// Every instance of the Space, marked as stopped by us; the caller stops them
// outside the lock.
std::vector<std::shared_ptr<Supervisor::Deployment>> Supervisor::TakeInstancesLocked(SpaceState& st) {
  std::vector<std::shared_ptr<Deployment>> out;
  if (st.retry_task != 0) scheduler_->Cancel(st.retry_task);
  st.retry_task = 0;
  CancelTaskLocked(st.sleep_task);
  FinishWakesLocked(st, Status::Unavailable("Space " + st.space.full_id() + " was stopped"));
  SetRungLocked(st, Rung::kRunning);
  for (const auto& d : {st.live, st.starting}) {
    if (d == nullptr || d->instance == 0 || d->exited || d->stopping) continue;
    d->stopping = true;
    out.push_back(d);
  }
  st.starting = nullptr;
  return out;
}

// ---- Builds ----

void Supervisor::EnqueueBuildLocked(SpaceState& st, const std::string& sha, bool use_cache) {
  const std::string id = st.space.full_id();
  DropQueuedBuildsLocked(id, "superseded by a newer push");
  BuildJob job;
  job.space_id = id;
  job.sha = sha;
  job.use_cache = use_cache;
  job.token = ++st.latest_build;
  st.failed_build.reset();
  st.failed_build_error.clear();
  if (auto b = store_->CreateBuild(st.space.id, sha, clock_->UnixMillis()); b.ok()) {
    job.build_id = b->id;
  } else {
    SP_LOG(kWarn) << "recording build of " << id << ": " << b.status().ToString();
  }
  queue_.push_back(std::move(job));
  st.builds_in_flight++;
  logs_->Reset(id, LogKind::kBuild);
  SetStageLocked(st, ServingLocked(st) ? Stage::kRunningBuilding : Stage::kBuilding, "");
  build_cv_.notify_one();
}

void Supervisor::DropQueuedBuildsLocked(const std::string& space_id, const std::string& why) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->space_id != space_id) {
      ++it;
      continue;
    }
    if (it->build_id != 0) {
      (void)store_->FinishBuild(it->build_id, store::BuildStatus::kCancelled, why, clock_->UnixMillis());
    }
    if (SpaceState* st = FindLocked(space_id); st != nullptr) st->builds_in_flight--;
    it = queue_.erase(it);
  }
}

void Supervisor::BuildWorker() {
  while (true) {
    BuildJob job;
    {
      MutexLock lock(mu_);
      lock.Wait(build_cv_, [this]() SP_REQUIRES(mu_) { return shutting_down_ || !queue_.empty(); });
      if (shutting_down_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    RunBuild(job);
  }
}

void Supervisor::RunBuild(const BuildJob& job) {
  build::BuildRequest req;
  std::string work_dir;
  {
    MutexLock lock(mu_);
    SpaceState* st = FindLocked(job.space_id);
    if (st == nullptr) return;
    const store::Space& space = st->space;
    std::string repos = options_.repos_dir.empty() ? options_.data_dir + "/repos" : options_.repos_dir;
    req.repo_path = repos + "/" + space.owner + "/" + space.name + ".git";
    work_dir = BuildsDir(space) + "/" + std::to_string(job.build_id != 0 ? job.build_id : job.token);
    if (job.build_id != 0) (void)store_->SetBuildStatus(job.build_id, store::BuildStatus::kRunning);
    req.disk_limit_bytes = EphemeralBytesFor(space.hardware, options_.ephemeral_disk_cap_bytes);
    if (auto vars = store_->ListEnv(space.id); vars.ok()) {
      for (const store::EnvVar& v : *vars) {
        (v.secret ? req.secrets : req.variables)[v.key] = v.value;
      }
    }
  }
  req.space_id = job.space_id;
  req.commit_sha = job.sha;
  req.work_dir = work_dir;
  req.use_cache = job.use_cache;
  RemoveBuild(work_dir);  // a leftover of an earlier server run
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(work_dir).parent_path(), ec);
  auto log = [this, &job](std::string_view chunk) { logs_->Append(job.space_id, LogKind::kBuild, chunk); };
  Result<build::LaunchSpec> result = builder_->Build(req, log);
  logs_->Flush(job.space_id, LogKind::kBuild);
  if (result.ok() && job.build_id != 0) {
    // Before the version is deployed: a restart then starts it without building.
    if (Status s = WriteLaunchFile(work_dir, *result); !s.ok()) {
      SP_LOG(kWarn) << "keeping the build of " << job.space_id << " for restarts: " << s.ToString();
    }
  }
  MutexLock lock(mu_);
  OnBuildDoneLocked(job, std::move(result), work_dir);
}

void Supervisor::OnBuildDoneLocked(const BuildJob& job, Result<build::LaunchSpec> result,
                                   const std::string& work_dir) {
  const int64_t now = clock_->UnixMillis();
  SpaceState* st = FindLocked(job.space_id);
  if (st == nullptr || shutting_down_) {
    RemoveBuild(work_dir);
    return;
  }
  st->builds_in_flight--;
  const bool superseded = job.token != st->latest_build;
  if (!result.ok()) {
    const Status& s = result.status();
    if (job.build_id != 0) (void)store_->FinishBuild(job.build_id, store::BuildStatus::kFailed, s.message(), now);
    logs_->Append(job.space_id, LogKind::kBuild, "===== Build error: " + s.message() + " =====\n");
    RemoveBuild(work_dir);
    if (superseded || st->paused) return;
    if (ServingLocked(*st)) {
      st->failed_build = StageForBuildError(s);
      st->failed_build_error = s.message() + " (the previous version keeps serving)";
      SetStageLocked(*st, IdleStageLocked(*st), "");
    } else {
      SetStageLocked(*st, StageForBuildError(s), s.message());
    }
    return;
  }
  if (superseded || st->paused) {
    if (job.build_id != 0) {
      (void)store_->FinishBuild(job.build_id, store::BuildStatus::kCancelled, "superseded", now);
    }
    RemoveBuild(work_dir);
    return;
  }
  if (job.build_id != 0) (void)store_->FinishBuild(job.build_id, store::BuildStatus::kSucceeded, "", now);
  PersistBuiltLocked(*st, job, *result);
  auto d = std::make_shared<Deployment>();
  d->serial = next_serial_++;
  d->sha = job.sha;
  d->build_id = job.build_id;
  d->build_dir = work_dir;
  d->spec = std::move(result).value();
  d->from_build = true;
  LaunchLocked(*st, std::move(d));
}

void Supervisor::PersistBuiltLocked(SpaceState& st, const BuildJob& job, const build::LaunchSpec& spec) {
  // Re-read: the hub may have changed hardware or visibility meanwhile.
  if (auto fresh = store_->GetSpaceById(st.space.id); fresh.ok()) st.space = *fresh;
  st.space.sha = job.sha;
  st.space.card_json = spec.card_json.empty() ? "{}" : spec.card_json;
  if (!spec.sdk.empty()) st.space.sdk = spec.sdk;
  st.space.last_modified = clock_->UnixMillis();
  Status s = store_->UpdateSpace(st.space);
  if (!s.ok()) {
    SP_LOG(kWarn) << "persisting build of " << job.space_id << ": " << s.ToString();
  }
}

}  // namespace spaceport::runtime
