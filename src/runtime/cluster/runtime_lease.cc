#include "runtime/cluster/runtime_lease.h"

#include "core/log.h"

namespace spaceport::runtime {
namespace {

constexpr char kLeaseName[] = "runtime";

}  // namespace

RuntimeLease::RuntimeLease(store::LeaseStore* leases, const Clock* clock, RuntimeLeaseOptions options)
    : leases_(leases), clock_(clock), options_(std::move(options)) {}

RuntimeLease::~RuntimeLease() { Stop(); }

void RuntimeLease::Start(std::function<void(const store::Lease&)> on_holder, std::function<void()> on_lost) {
  on_holder_ = std::move(on_holder);
  on_lost_ = std::move(on_lost);
  Tick();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.renew_every, [&] { return stopping_.load(); });
      if (stopping_) break;
      lock.unlock();
      Tick();
      lock.lock();
    }
  });
}

void RuntimeLease::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_.exchange(true)) return;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (held_.exchange(false)) {
    if (Status s = leases_->Release(kLeaseName, options_.node); !s.ok()) {
      SP_LOG(kWarn) << "releasing the runtime lease: " << s.message();
    }
  }
}

store::Lease RuntimeLease::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void RuntimeLease::Tick() {
  Result<store::Lease> lease = leases_->TryAcquire(kLeaseName, options_.node, options_.address,
                                                   options_.ttl.count(), clock_->UnixMillis());
  if (!lease.ok()) {
    // The database is away: a holder keeps running until its lease would
    // have run out anyway (others cannot take it before then either).
    SP_LOG(kWarn) << "runtime lease: " << lease.status().message();
    return;
  }
  const bool now_held = lease->holder == options_.node;
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = lease->holder != current_.holder || lease->address != current_.address || lease->epoch != current_.epoch;
    current_ = *lease;
  }
  // Every write of this node to the tables of singleton work now checks that
  // the lease is still its own at this epoch (store/cluster.h).
  if (now_held && changed && options_.fence != nullptr) options_.fence->Set(kLeaseName, options_.node, lease->epoch);
  const bool was_held = held_.exchange(now_held);
  if (was_held && !now_held) {
    SP_LOG(kError) << "the runtime lease went to " << lease->holder << " (epoch " << lease->epoch << ")";
    if (on_lost_) on_lost_();
  }
  if (changed && on_holder_) on_holder_(*lease);
}

}  // namespace spaceport::runtime
