// ClientConnection: one client's TCP connection to the edge, driven by its
// event loop (edge-triggered epoll; every event runs Pump(), which moves
// bytes until nothing more can move).
//
// Per request: read and parse the head (header timeout against slowloris),
// run the filter chain, then either proxy (non-blocking, streaming both ways
// with bounded buffers and backpressure, WebSocket tunnel on 101) or hand the
// socket to a worker for a local Handler and take it back afterwards. A
// local request's body of up to kPrebufferBody bytes is read here first
// (kLocalBody), so a client that sends it slowly holds a connection, not a
// worker; it has kBodyGrace plus a second per kBodyMinRate bytes, then 408.
// The worker hands back the answer's unsent tail (at most 256 KiB) and a
// body it left to the loop (a file or git blob; local_exchange.h), which the
// loop sends at the client's pace (kLocalStream) while the client keeps its
// per-address worker slot; a client that takes nothing for
// client_stall_timeout is dropped.
// Timeouts are checked by the loop's periodic sweep (CheckTimeout): the I/O
// paths only bump progress counters, so they never read the clock; a side
// of a proxy exchange times out when its counter has not moved for the
// configured time while the exchange waits on that side.
// Ownership: owned by LoopContext::connections; deletes itself (deferred)
// on close. Thread safety: loop thread only; ContinueDecoding and
// SendLocalReply post to the loop when called from elsewhere.
#pragma once

#include <optional>
#include <string>

#include "edge/buffer.h"
#include "edge/filter.h"
#include "edge/local_exchange.h"
#include "edge/loop_context.h"
#include "edge/upstream_pool.h"
#include "http/parser.h"

namespace spaceport::edge {

class ClientConnection : public http::IoHandler, public FilterCallbacks, public UpstreamOwner {
 public:
  static constexpr size_t kMaxBuffered = 256 * 1024;
  static constexpr size_t kReadChunk = 64 * 1024;
  static constexpr size_t kStreamBuffered = 64 * 1024;  // kLocalStream: read ahead of the client
  static constexpr uint64_t kPrebufferBody = 256 * 1024;
  static constexpr Millis kBodyGrace{30000};
  static constexpr uint64_t kBodyMinRate = 16 * 1024;

  ClientConnection(LoopContext* ctx, http::UniqueFd fd, std::string peer);
  ~ClientConnection() override;
  void Start();
  uint64_t id() const { return id_; }

  void OnIo(uint32_t events) override;
  void OnUpstreamIo() override { Pump(); }
  void ContinueDecoding() override;
  void ContinueDecodingWith(std::function<FilterStatus(RequestContext&)> resume) override;
  void SendLocalReply(http::Response response) override;
  // Closes an idle or stuck connection past its deadline.
  void CheckTimeout(SteadyTime now);
  // Server shutdown: unblocks a worker using the socket.
  void ShutdownSocket();
  void Close();

 private:
  enum class State { kReadHead, kFiltering, kProxy, kLocalBody, kLocal, kLocalStream, kTunnel, kClosed };

  // Wakes the connection when its body source (a pipe) has more.
  class BodyWatch : public http::IoHandler {
   public:
    explicit BodyWatch(ClientConnection* conn) : conn_(conn) {}
    void OnIo(uint32_t) override { conn_->Pump(); }

   private:
    ClientConnection* conn_;
  };

  void Pump();
  bool StepReadHead();
  bool ReadClient();
  bool FlushClient();
  void BeginRequest(size_t head_size);
  void RunFilters();
  void Dispatch();
  void StartLocal();
  bool StepLocalBody();
  void ReleaseLocalSlot();
  void RunLocal();
  void OnLocalDone(LocalResult result);
  bool StepLocalStream();
  void FinishLocalStream();
  void DropBody();
  void EndRequest(int status);
  void RequestTimedOut(std::string_view why);  // 408, then close
  void ResetForNextRequest();

  // Proxy path (client_proxy.cc).
  void StartProxy(bool fresh);
  bool StepProxy();
  bool ForwardRequestBody();
  bool WriteUpstream();
  bool ReadUpstream();
  bool ProcessUpstreamIn();
  bool ProcessResponseHead();
  // Billing (client_proxy.cc): settles ctx.meter before the head is passed on.
  bool SettleCharge();
  void OnCharged(Result<billing::Charge> charge);
  void AddChargeHeaders(http::Headers& h);
  bool ForwardResponseBody();
  void HandleUpstreamEof();
  void UpstreamFailed(std::string_view why);
  void FinishExchange();
  void ReleaseUpstream(bool reusable);
  bool StepTunnel();
  // Timeouts of a proxy exchange (proxy_timeouts.cc).
  void CheckProxyTimeout(SteadyTime now);
  void UpstreamTimedOut(std::string_view what, Millis limit);
  // Drops the client with a reset (a client that stopped reading gets no FIN
  // queued behind data it will never read).
  void AbortClient();

  LoopContext* ctx_;
  http::UniqueFd fd_;
  uint64_t id_;
  std::string peer_;
  const bool peer_is_proxy_;     // a trusted proxy (admission.h): not counted per address
  std::string local_slot_addr_;  // the client address holding the worker slot
  State state_ = State::kReadHead;
  Buffer in_;
  Buffer out_;
  bool readable_ = false;
  bool writable_ = true;
  bool client_eof_ = false;
  bool hangup_ = false;  // EPOLLRDHUP/HUP seen: keep reading to find the EOF
  bool close_after_flush_ = false;
  bool head_started_ = false;
  bool holds_local_slot_ = false;  // counted in ctx_->local_clients
  SteadyTime deadline_{};
  uint64_t client_io_ = 0;  // bumped whenever bytes move to or from the client
  http::HeadParser parser_;

  // Current request.
  RequestContext req_;
  size_t next_filter_ = 0;
  http::BodyFraming req_framing_;
  uint64_t local_body_needed_ = 0;  // kLocalBody: body bytes to read on the loop first
  bool keep_alive_ = true;
  SteadyTime started_at_{};

  // Current proxy exchange.
  struct Proxy {
    Proxy() {}  // user-provided: clang 14 sees no default constructor for a nested class with member initializers
    UpstreamConn* up = nullptr;
    uint64_t req_remaining = 0;
    http::ChunkedDecoder req_chunks;
    bool req_done = false;
    bool upgrade = false;
    bool retried = false;
    bool head_parsed = false;  // resp holds a head not yet passed on (waiting for its charge)
    enum { kUncharged, kCharging, kCharged } charge_state = kUncharged;
    std::optional<billing::Charge> charge;  // what X-Spaceport-Charged/-Balance say
    http::HeadParser resp_parser;
    http::ResponseHead resp;
    bool resp_head_done = false;
    http::BodyFraming resp_framing;
    uint64_t resp_remaining = 0;
    http::ChunkedDecoder resp_chunks;
    bool dechunk = false;
    bool resp_done = false;
    bool upstream_eof = false;
    bool upstream_close = false;  // the app said it closes after this answer: not pooled
    bool any_response_byte = false;
    bool sent_to_client = false;
    std::string scratch;
    // Stall detection (see CheckProxyTimeout): progress counters as last
    // seen by the sweep, and since when each side has been the one waited on.
    uint64_t up_io = 0;
    uint64_t up_seen = 0;
    uint64_t client_seen = 0;
    SteadyTime up_since{};
    SteadyTime client_since{};
    SteadyTime connect_started{};
  };
  std::optional<Proxy> px_;
  Buffer up_out_;  // request bytes for the upstream; kept across requests to reuse memory
  // Serialized heads, kept across requests to reuse memory. up_head_ is
  // also what a retry on a fresh connection sends again.
  std::string up_head_;
  std::string resp_head_;
  runtime::ActivityMark tunnel_activity_;
  // kLocalStream: the rest of a local answer (local_exchange.h), sent from
  // here at the client's pace; the request ends when it is all out.
  std::shared_ptr<http::BodySource> body_;
  BodyWatch body_watch_{this};
  int body_status_ = 0;
  uint64_t body_io_ = 0;  // bumped when bytes come from the source
  uint64_t stream_seen_ = 0;
  SteadyTime stream_since_{};  // the upgraded request, in flight while tunnelling
};

}  // namespace spaceport::edge
