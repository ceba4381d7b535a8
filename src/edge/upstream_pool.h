// UpstreamPool: keep-alive connections to app upstreams, one pool per event
// loop (so no locks). Keyed by (host, port, generation); when a Space's
// generation moves on, its idle connections of older generations are closed.
//
// Ownership: the pool owns every UpstreamConn it created; a ClientConnection
// borrows one between Acquire and Release/Close. Thread safety: loop thread
// only. Failure: Acquire returns Unavailable when a socket cannot be created;
// connect errors surface later as events on the connection.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "edge/buffer.h"
#include "http/event_loop.h"
#include "runtime/routes.h"

namespace spaceport::edge {

class UpstreamPool;

// Which instance of an app a pooled connection talks to.
struct PoolKey {
  std::string host;
  int port = 0;
  uint64_t generation = 0;
};
// Orders PoolKeys and looks them up from a route without building one.
struct PoolKeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (Port(a) != Port(b)) return Port(a) < Port(b);
    if (Generation(a) != Generation(b)) return Generation(a) < Generation(b);
    return std::string_view(Host(a)) < std::string_view(Host(b));
  }
  static int Port(const PoolKey& k) { return k.port; }
  static int Port(const runtime::AppRoute& r) { return r.upstream_port; }
  static uint64_t Generation(const PoolKey& k) { return k.generation; }
  static uint64_t Generation(const runtime::AppRoute& r) { return r.generation; }
  static const std::string& Host(const PoolKey& k) { return k.host; }
  static const std::string& Host(const runtime::AppRoute& r) { return r.upstream_host; }
};

// Notified of I/O on a borrowed upstream connection.
class UpstreamOwner {
 public:
  virtual ~UpstreamOwner() = default;
  virtual void OnUpstreamIo() = 0;
};

class UpstreamConn : public http::IoHandler {
 public:
  void OnIo(uint32_t events) override;

  http::UniqueFd fd;
  Buffer in;
  PoolKey key;
  bool connected = false;
  bool reused = false;  // came from the idle pool
  bool readable = false;
  bool hangup = false;  // EPOLLRDHUP/HUP seen: read on until EOF
  bool writable = false;
  UpstreamOwner* owner = nullptr;
  UpstreamPool* pool = nullptr;
  SteadyTime idle_since{};
};

class UpstreamPool {
 public:
  static constexpr Millis kIdleTimeout{60000};
  static constexpr size_t kMaxIdlePerKey = 256;

  UpstreamPool(http::EventLoop* loop, const Clock* clock) : loop_(loop), clock_(clock) {}
  ~UpstreamPool();

  // An idle pooled connection, or a new one (connect in progress) when
  // `fresh` or none is idle.
  Result<UpstreamConn*> Acquire(const runtime::AppRoute& route, UpstreamOwner* owner, bool fresh);
  // Returns a healthy connection whose exchange completed.
  void Release(UpstreamConn* conn);
  // Closes a connection (broken, or its exchange did not complete).
  void Close(UpstreamConn* conn);
  void OnIdleEvent(UpstreamConn* conn) { Close(conn); }
  // Closes connections idle for longer than kIdleTimeout.
  void Sweep();
  size_t idle_count() const;

 private:
  void DropOlderGenerations(const runtime::AppRoute& route);
  void EraseIdle(UpstreamConn* conn);

  http::EventLoop* loop_;
  const Clock* clock_;
  std::map<PoolKey, std::vector<UpstreamConn*>, PoolKeyLess> idle_;
  std::unordered_map<std::string, uint64_t> generation_by_space_;
  std::unordered_map<std::string, std::vector<PoolKey>> keys_by_space_;
  std::unordered_map<UpstreamConn*, std::unique_ptr<UpstreamConn>> all_;
};

}  // namespace spaceport::edge
