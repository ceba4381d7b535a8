#include "runtime/image_router.h"

#include <map>
#include <mutex>
#include <utility>

namespace spaceport::runtime {
namespace {

class ImageRouterDriver : public RuntimeDriver {
 public:
  ImageRouterDriver(std::unique_ptr<RuntimeDriver> apps, std::unique_ptr<RuntimeDriver> images)
      : apps_(std::move(apps)), images_(std::move(images)) {}

  Result<InstanceId> Start(const InstanceSpec& spec, ExitCallback on_exit) override {
    RuntimeDriver* driver = spec.image.empty() ? apps_.get() : images_.get();
    InstanceId id;
    {
      std::lock_guard lock(mu_);
      id = next_id_++;
    }
    auto callback = [this, id, on_exit = std::move(on_exit)](InstanceId, const ExitStatus& status) {
      if (on_exit) on_exit(id, status);
      std::lock_guard lock(mu_);
      routes_.erase(id);
    };
    // Registered before the start: an instance may exit before Start returns.
    {
      std::lock_guard lock(mu_);
      routes_[id] = {driver, 0};
    }
    Result<InstanceId> inner = driver->Start(spec, std::move(callback));
    std::lock_guard lock(mu_);
    if (!inner.ok()) {
      routes_.erase(id);
      return inner.status();
    }
    if (auto it = routes_.find(id); it != routes_.end()) it->second.second = *inner;
    return id;
  }

  Status Stop(InstanceId id, Millis grace) override {
    auto [driver, inner] = Lookup(id);
    return driver == nullptr ? Status::Ok() : driver->Stop(inner, grace);
  }
  DriverCapabilities Capabilities() const override {
    DriverCapabilities c = apps_->Capabilities();
    c.freeze = c.freeze || images_->Capabilities().freeze;
    return c;
  }
  Status Freeze(InstanceId id) override {
    auto [driver, inner] = Lookup(id);
    return driver == nullptr ? Status::NotFound("no running instance " + std::to_string(id)) : driver->Freeze(inner);
  }
  Status Thaw(InstanceId id) override {
    auto [driver, inner] = Lookup(id);
    return driver == nullptr ? Status::NotFound("no running instance " + std::to_string(id)) : driver->Thaw(inner);
  }
  Result<int64_t> MemoryBytes(InstanceId id) override {
    auto [driver, inner] = Lookup(id);
    if (driver == nullptr) return Status::NotFound("no running instance " + std::to_string(id));
    return driver->MemoryBytes(inner);
  }
  Status Discard(const std::string& space_id) override {
    Status a = apps_->Discard(space_id);
    Status b = images_->Discard(space_id);
    return a.ok() ? b : a;
  }
  void Detach() override {
    apps_->Detach();
    images_->Detach();
  }

 private:
  // (driver, its id); the driver is null for unknown or exited instances
  // and for one whose Start has not returned yet.
  std::pair<RuntimeDriver*, InstanceId> Lookup(InstanceId id) {
    std::lock_guard lock(mu_);
    auto it = routes_.find(id);
    if (it == routes_.end() || it->second.second == 0) return {nullptr, 0};
    return it->second;
  }

  std::unique_ptr<RuntimeDriver> apps_;
  std::unique_ptr<RuntimeDriver> images_;
  std::mutex mu_;
  std::map<InstanceId, std::pair<RuntimeDriver*, InstanceId>> routes_;
  InstanceId next_id_ = 1;
};

}  // namespace

std::unique_ptr<RuntimeDriver> MakeImageRouterDriver(std::unique_ptr<RuntimeDriver> apps,
                                                     std::unique_ptr<RuntimeDriver> images) {
  return std::make_unique<ImageRouterDriver>(std::move(apps), std::move(images));
}

}  // namespace spaceport::runtime
