#include "edge/edge_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include "core/log.h"
#include "edge/activation_filter.h"
#include "edge/admission.h"
#include "edge/app_sign_in_filter.h"
#include "edge/client_connection.h"
#include "edge/filters.h"
#include "edge/loop_context.h"
#include "http/socket.h"

namespace spaceport::edge {
namespace {

constexpr Millis kSweepInterval{250};

constexpr Millis kPauseOutOfFds{100};

// Accepts connections and admits them (admission.h): a client past its cap
// gets 429, and out of descriptors the waiting connection gets 503 through
// the reserve rather than waking this listener again and again.
class Listener : public http::IoHandler {
 public:
  Listener(LoopContext* ctx, http::UniqueFd fd) : ctx_(ctx), fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }

  void OnIo(uint32_t) override {
    while (true) {
      int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) ShedOne();
        return;  // EAGAIN: all taken
      }
      std::string peer = http::PeerAddress(c);
      // A trusted proxy's connections carry many clients: not capped here.
      if (!ctx_->options->trusted_proxies.Contains(peer) && !ctx_->clients->Admit(peer)) {
        ctx_->metrics->ConnectionRefused(/*out_of_fds=*/false);
        RefuseConnection(c, 429, "too many connections from this address");
        continue;
      }
      http::SetNoDelay(c);
      auto* conn = new ClientConnection(ctx_, http::UniqueFd(c), std::move(peer));
      conn->Start();
    }
  }

 private:
  void ShedOne() {
    if (reserve_.held()) {
      reserve_.Release();
      int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0) {
        ctx_->metrics->ConnectionRefused(/*out_of_fds=*/true);
        RefuseConnection(c, 503, "the server is out of file descriptors; try again shortly");
      }
      if (reserve_.Retake()) return;
    }
    // No reserve to spend: stop listening for a moment instead of spinning.
    if (paused_) return;
    paused_ = true;
    (void)ctx_->loop->Modify(fd_.get(), 0, this);
    ctx_->loop->RunAfter(kPauseOutOfFds, [this] {
      paused_ = false;
      reserve_.Retake();
      (void)ctx_->loop->Modify(fd_.get(), EPOLLIN, this);
    });
  }

  LoopContext* ctx_;
  http::UniqueFd fd_;
  FdReserve reserve_;
  bool paused_ = false;
};

struct LoopThread {
  std::unique_ptr<http::EventLoop> loop;
  LoopContext ctx;
  std::unique_ptr<Listener> listener;
  std::thread thread;
};

void Sweep(LoopContext* ctx) {
  SteadyTime now = ctx->clock->Now();
  std::vector<ClientConnection*> conns;
  conns.reserve(ctx->connections.size());
  for (auto& [id, c] : ctx->connections) conns.push_back(c);
  for (auto* c : conns) c->CheckTimeout(now);
  ctx->pool->Sweep();
  ctx->loop->RunAfter(kSweepInterval, [ctx] { Sweep(ctx); });
}

}  // namespace

struct EdgeServer::Impl {
  EdgeOptions options;
  const Clock* clock = nullptr;
  EdgeMetrics metrics;
  std::unique_ptr<runtime::ThreadScheduler> wake_timers;  // outlives the filters (declared first)
  std::vector<std::unique_ptr<Filter>> filters;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<ClientCounts> clients;
  std::unique_ptr<ClientCounts> local_clients;
  std::vector<std::unique_ptr<LoopThread>> loops;
  int port = 0;
  bool stopped = false;
};

EdgeServer::EdgeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EdgeServer::~EdgeServer() { Stop(); }

int EdgeServer::port() const { return impl_->port; }

Result<std::unique_ptr<EdgeServer>> EdgeServer::Start(EdgeOptions options, runtime::RouteTable* routes,
                                                      http::Handler* hub, const Clock* clock, EdgeAccess access) {
  // Fail closed: an edge without its access rules would serve private apps open.
  if (!access.allow_all &&
      (access.table == nullptr || access.callers == nullptr || access.sessions == nullptr)) {
    return Status::FailedPrecondition(
        "the edge needs its access table, caller cache and app sessions (apps would be served unchecked)");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->clock = clock;
  impl->filters.push_back(std::make_unique<PathGuardFilter>());
  impl->filters.push_back(std::make_unique<RouteFilter>(routes, impl->options.apps_domain));
  impl->filters.push_back(std::make_unique<SanitizeFilter>(impl->options.probe_token));
  impl->workers = std::make_unique<WorkerPool>(impl->options.max_local_handler_threads);
  // DESIGN.md's order: route, authenticate/authorize, then activate.
  if (!access.allow_all) {
    impl->filters.push_back(std::make_unique<AppSignInFilter>(access));
    impl->filters.push_back(std::make_unique<AccessFilter>(access, impl->workers.get()));
  }
  if (impl->options.traffic != nullptr) {
    impl->filters.push_back(std::make_unique<TrafficFilter>(impl->options.traffic, clock));
  }
  impl->filters.push_back(std::make_unique<AppStateFilter>());
  if (impl->options.metering.meter != nullptr) {  // after access and the app's state, before a wake
    impl->filters.push_back(std::make_unique<MeteringFilter>(impl->options.metering));
  }
  if (impl->options.waker != nullptr) {
    impl->wake_timers = std::make_unique<runtime::ThreadScheduler>(clock);
    ActivationOptions activation;
    activation.wake_page_after = impl->options.wake_page_after;
    impl->filters.push_back(std::make_unique<ActivationFilter>(impl->options.waker, routes, impl->wake_timers.get(),
                                                               clock, activation));
  }
  impl->clients = std::make_unique<ClientCounts>(impl->options.max_connections_per_client);
  impl->local_clients = std::make_unique<ClientCounts>(impl->options.max_local_per_client);
  int threads = std::max(1, impl->options.threads);
  int port = impl->options.listen_port;
  for (int i = 0; i < threads; ++i) {
    auto lt = std::make_unique<LoopThread>();
    ASSIGN_OR_RETURN(lt->loop, http::EventLoop::Create(clock));
    ASSIGN_OR_RETURN(http::UniqueFd fd, http::ListenTcp(impl->options.listen_host, port, true));
    if (port == 0) port = http::LocalPort(fd.get());
    LoopContext& ctx = lt->ctx;
    ctx.loop = lt->loop.get();
    ctx.handle = std::make_shared<LoopHandle>(ctx.loop);
    ctx.options = &impl->options;
    ctx.clock = clock;
    ctx.metrics = &impl->metrics;
    ctx.filters = &impl->filters;
    ctx.hub = hub;
    ctx.workers = impl->workers.get();
    ctx.clients = impl->clients.get();
    ctx.local_clients = impl->local_clients.get();
    ctx.pool = std::make_unique<UpstreamPool>(lt->loop.get(), clock);
    lt->listener = std::make_unique<Listener>(&ctx, std::move(fd));
    RETURN_IF_ERROR(lt->loop->Add(lt->listener->fd(), EPOLLIN, lt->listener.get()));
    LoopContext* ctx_ptr = &ctx;
    lt->loop->RunAfter(kSweepInterval, [ctx_ptr] { Sweep(ctx_ptr); });
    impl->loops.push_back(std::move(lt));
  }
  impl->port = port;
  for (auto& lt : impl->loops) {
    http::EventLoop* loop = lt->loop.get();
    lt->thread = std::thread([loop] { loop->Run(); });
  }
  return std::unique_ptr<EdgeServer>(new EdgeServer(std::move(impl)));
}

void EdgeServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& lt : impl_->loops) lt->ctx.handle->Detach();  // late answers from the ledger are dropped
  // Unblock workers that hold client sockets, from each loop's own thread.
  for (auto& lt : impl_->loops) {
    LoopContext* ctx = &lt->ctx;
    lt->loop->Post([ctx] {
      for (auto& [id, c] : ctx->connections) c->ShutdownSocket();
    });
  }
  for (auto& lt : impl_->loops) lt->loop->Stop();
  for (auto& lt : impl_->loops) {
    if (lt->thread.joinable()) lt->thread.join();
  }
  impl_->workers->Stop();
  for (auto& lt : impl_->loops) {
    std::vector<ClientConnection*> conns;
    for (auto& [id, c] : lt->ctx.connections) conns.push_back(c);
    for (auto* c : conns) c->Close();
    lt->loop->RunPending();  // deletes the closed connections
    lt->ctx.pool.reset();
    lt->loop->RunPending();
  }
}

void EdgeServer::AppendMetrics(std::string* out) const { impl_->metrics.AppendTo(out); }

}  // namespace spaceport::edge
