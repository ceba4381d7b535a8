// LoopbackForwarder: how the edge reaches an app that lives in a network
// namespace of its own.
//
// The app listens on 127.0.0.1:PORT inside its namespace, where nothing else
// exists (only its own loopback: no route to the host, other apps or the
// hub). The forwarder listens on the host's 127.0.0.1:PORT, where the edge
// already connects for process-driver apps, and copies each accepted
// connection to a socket it opens inside the app's namespace. Bytes are
// copied as they come, both ways, half-closes included.
//
// The egress direction (Egress) is the mirror image: it listens on
// 127.0.0.1:PORT inside the app's namespace and connects to the host's
// 127.0.0.1:PORT. Spaceport opens exactly one of these per app, to the edge's
// own port, so an app reaches the hub (JWKS, OIDC token exchange) as any
// visitor would, and nothing else on the host.
//
// Ownership: owns the listening socket, the namespace fd, its accept thread
// and one thread per connection. Stop (or the destructor) closes everything
// and joins the threads.
// Thread safety: Start (or StartDialing) once, then Stop from any thread.
// Failure: Listen returns Unavailable when the port is taken; a connection
// the app refuses (not listening yet) is closed at once, which the edge and
// the health check see as "not ready".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/status.h"
#include "runtime/thread_set.h"

namespace spaceport::runtime::native {

// Copies bytes both ways between two connected sockets, passing half-closes
// on, until both directions ended or one failed. Closes neither.
void PumpBetween(int a, int b);
// send()s all of `data` (MSG_NOSIGNAL); false when the peer is gone.
bool WriteAll(int fd, const char* data, size_t size);

class LoopbackForwarder {
 public:
  // Host -> app: listens on the host's loopback now; connects to
  // `inner_port` inside the namespace (0: the same port).
  static Result<std::unique_ptr<LoopbackForwarder>> Listen(int port, int inner_port = 0);
  // App -> host: listens inside the namespace once started.
  static Result<std::unique_ptr<LoopbackForwarder>> Egress(int port);
  ~LoopbackForwarder();
  LoopbackForwarder(const LoopbackForwarder&) = delete;
  LoopbackForwarder& operator=(const LoopbackForwarder&) = delete;

  // Starts forwarding into the network namespace `netns_fd` (taken).
  void Start(int netns_fd);
  // Listen's other use: forwards each accepted connection to the socket
  // `dial` returns (connected; -1 drops the connection). dial runs on the
  // connection's own thread and may block while the app wakes up (the
  // Kubernetes driver's pods); Stop does not interrupt it, the caller's
  // dial must return when it is told to stop.
  void StartDialing(std::function<int()> dial);
  void Stop();
  // Egress: waits until the listener inside the namespace is bound; false
  // when it could not be or `timeout` passed. (Listen's is bound at once.)
  bool WaitListening(std::chrono::milliseconds timeout);

 private:
  LoopbackForwarder(int listen_fd, int wake_read, int wake_write, int port, int inner_port);
  void AcceptLoop(int netns_fd);
  // Egress: binds listen_fd_ inside `netns_fd`, then returns this thread to
  // the host's namespace, so connections it opens reach the host.
  bool ListenInside(int netns_fd);
  void ServeConnections();
  void Pump(int client, int upstream);
  bool Track(int fd);
  void Untrack(int fd);

  std::function<int()> dial_;  // set by StartDialing before the accept thread starts
  int listen_fd_;  // -1 for Egress until started
  const int wake_read_, wake_write_, port_, inner_port_;
  std::thread accept_thread_;
  ThreadSet pumps_;
  std::mutex mu_;
  std::condition_variable listening_cv_;
  int listening_ = 0;      // guarded by mu_: 0 not yet, 1 bound, -1 failed
  bool stopping_ = false;  // guarded by mu_
  std::set<int> open_;     // connection fds, shut down by Stop
};

}  // namespace spaceport::runtime::native
