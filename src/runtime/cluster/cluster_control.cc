#include "runtime/cluster/cluster_control.h"

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/strings.h"

namespace spaceport::runtime {

// ---- ClusterControl ----

Status ClusterControl::Announce(const std::string& op, const std::string& space_id, const std::string& arg) {
  nlohmann::json call = {{"op", op}, {"space", space_id}, {"arg", arg}};
  Result<int64_t> seq = feed_->Publish("control", call.dump());
  if (!seq.ok()) return Status::Unavailable("telling the runtime node: " + seq.status().message());
  return Status::Ok();
}

void ClusterControl::OnCreated(const store::Space& space) {
  if (lease_->held()) return local_->OnCreated(space);
  front_->Forward(space);
  (void)Announce("created", std::to_string(space.id), "");
}

void ClusterControl::OnPush(const store::Space& space, const std::string& sha) {
  if (lease_->held()) return local_->OnPush(space, sha);
  if (Status s = Announce("push", std::to_string(space.id), sha); !s.ok()) {
    SP_LOG(kWarn) << s.message();
  }
}

Status ClusterControl::Restart(const std::string& space_id, bool factory) {
  if (lease_->held()) return local_->Restart(space_id, factory);
  return Announce(factory ? "factory-restart" : "restart", space_id, "");
}

Status ClusterControl::Pause(const std::string& space_id) {
  if (lease_->held()) return local_->Pause(space_id);
  return Announce("pause", space_id, "");
}

Status ClusterControl::Remove(const std::string& space_id) {
  if (lease_->held()) return local_->Remove(space_id);
  front_->Forget(space_id);
  return Announce("remove", space_id, "");
}

Status ClusterControl::Rename(const std::string& old_id, const store::Space& renamed) {
  if (lease_->held()) return local_->Rename(old_id, renamed);
  front_->Forget(old_id);
  front_->Forward(renamed);
  return Announce("rename", std::to_string(renamed.id), old_id);
}

Result<RuntimeInfo> ClusterControl::Info(const std::string& space_id) {
  if (lease_->held()) return local_->Info(space_id);
  return Status::Unavailable("the apps run on node " + lease_->current().holder);
}

Status ClusterControl::RestartForStorage(const std::string& space_id, bool delete_data) {
  if (lease_->held()) return local_->RestartForStorage(space_id, delete_data);
  return Announce("storage-restart", space_id, delete_data ? "delete" : "");
}

void ClusterControl::OnSleepTimeChanged(const std::string& space_id, int64_t seconds) {
  if (lease_->held()) return local_->OnSleepTimeChanged(space_id, seconds);
  (void)Announce("sleep-time", space_id, std::to_string(seconds));
}

void ClusterControl::ApplyRemote(const store::Change& change) {
  if (!lease_->held()) return;
  nlohmann::json call = nlohmann::json::parse(change.key, nullptr, false);
  if (!call.is_object()) return;
  const std::string op = call.value("op", ""), id = call.value("space", ""), arg = call.value("arg", "");
  // Ops on a Space that names it by its store id read it first.
  auto by_id = [&]() -> Result<store::Space> {
    std::optional<int64_t> n = ParseInt(id);
    if (!n) return Status::InvalidArgument("bad space id " + id);
    return store_->GetSpaceById(*n);
  };
  Status s;
  if (op == "created" || op == "push" || op == "rename") {
    Result<store::Space> space = by_id();
    if (!space.ok()) {
      s = space.status();
    } else if (op == "created") {
      local_->OnCreated(*space);
    } else if (op == "push") {
      local_->OnPush(*space, arg);
    } else {
      s = local_->Rename(arg, *space);
    }
  } else if (op == "restart" || op == "factory-restart") {
    s = local_->Restart(id, op == "factory-restart");
  } else if (op == "pause") {
    s = local_->Pause(id);
  } else if (op == "remove") {
    s = local_->Remove(id);
  } else if (op == "storage-restart") {
    s = local_->RestartForStorage(id, arg == "delete");
  } else if (op == "sleep-time") {
    local_->OnSleepTimeChanged(id, ParseInt(arg).value_or(0));
  }
  if (!s.ok()) {
    SP_LOG(kWarn) << "a front node's " << op << " of " << id << ": " << s.message();
  }
}

// ---- FrontRoutes ----

void FrontRoutes::PublishLocked(const store::Space& space) {
  AppRoute route;
  route.space_id = space.full_id();
  route.subdomain = space.subdomain;
  route.stage = Stage::kRunning;
  route.upstream_host = host_;
  route.upstream_port = port_;
  route.forwarded = true;
  routes_->Publish(std::move(route));
  forwarded_.insert(space.full_id());
}

Status FrontRoutes::ForwardAll(const std::string& host, int port) {
  std::lock_guard lock(mu_);
  host_ = host;
  port_ = port;
  store::SpaceQuery q;  // every Space: the runtime node's edge decides who sees it
  q.include_all_private = true;
  return store::ForEachSpace(*store_, q, [this](const store::Space& space) {
    PublishLocked(space);
    return Status::Ok();
  });
}

void FrontRoutes::Clear() {
  std::lock_guard lock(mu_);
  host_.clear();
  for (const std::string& id : forwarded_) routes_->Remove(id);
  forwarded_.clear();
}

void FrontRoutes::Forward(const store::Space& space) {
  std::lock_guard lock(mu_);
  if (!host_.empty()) PublishLocked(space);
}

void FrontRoutes::Forget(const std::string& space_id) {
  std::lock_guard lock(mu_);
  if (host_.empty() || forwarded_.erase(space_id) == 0) return;
  routes_->Remove(space_id);
}

void FrontRoutes::Apply(const store::Change& change) {
  if (change.kind == "forget") {
    Forget(change.key);
  } else if (change.kind == "space") {
    std::optional<int64_t> id = ParseInt(change.key);
    if (!id) return;
    if (Result<store::Space> space = store_->GetSpaceById(*id); space.ok()) Forward(*space);
  }
}

}  // namespace spaceport::runtime
