#include "edge/client_connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <future>

#include "core/log.h"
#include "edge/filters.h"
#include "http/error_response.h"
#include "edge/local_exchange.h"
#include "edge/static_files.h"

namespace spaceport::edge {
namespace {

// Adds the Space's Content-Security-Policy (if any) to a static app's answers.
class CspWriter : public http::ResponseWriter {
 public:
  CspWriter(http::ResponseWriter& inner, const std::string& policy) : inner_(inner), policy_(policy) {}
  Status Start(int status, const http::Headers& headers) override {
    if (policy_.empty()) return inner_.Start(status, headers);
    http::Headers h = headers;
    h.Add("Content-Security-Policy", policy_);
    return inner_.Start(status, h);
  }
  Status Write(std::string_view data) override { return inner_.Write(data); }
  Status Finish() override { return inner_.Finish(); }
  Status SendBody(std::unique_ptr<http::BodySource> source) override { return inner_.SendBody(std::move(source)); }
  bool started() const override { return inner_.started(); }
  bool ClientGone() override { return inner_.ClientGone(); }

 private:
  http::ResponseWriter& inner_;
  const std::string& policy_;
};

// A static Space's answer, charged (billing/meter.h) before its head is
// sent: a status below 500 posts the route's price and waits (on this
// worker thread) until the charge is on disk, then says so in
// X-Spaceport-Charged/-Balance; 500 and above voids the hold. A charge that
// cannot be recorded answers 503 instead, and the file is not sent.
class ChargingWriter : public http::ResponseWriter {
 public:
  ChargingWriter(http::ResponseWriter& inner, billing::Ticket& ticket) : inner_(inner), ticket_(ticket) {}
  Status Start(int status, const http::Headers& headers) override {
    if (status >= 500) {
      ticket_.Void();
      return inner_.Start(status, headers);
    }
    std::promise<Result<billing::Charge>> done;
    ticket_.Post(ticket_.price(), [&done](Result<billing::Charge> c) { done.set_value(std::move(c)); });
    Result<billing::Charge> charge = done.get_future().get();
    if (!charge.ok()) {
      refused_ = true;
      (void)inner_.Send(http::ErrorResponse(
          Status::Unavailable("the charge for this request could not be recorded, so it was not charged; try again")));
      return Status::Unavailable("not charged: not sent");
    }
    http::Headers h = headers;
    h.Set("X-Spaceport-Charged", std::to_string(charge->cost));
    h.Set("X-Spaceport-Balance", std::to_string(charge->balance));
    return inner_.Start(status, h);
  }
  Status Write(std::string_view data) override {
    return refused_ ? Status::Unavailable("not charged: not sent") : inner_.Write(data);
  }
  Status Finish() override { return refused_ ? Status::Ok() : inner_.Finish(); }
  Status SendBody(std::unique_ptr<http::BodySource> source) override {
    return refused_ ? Status::Unavailable("not charged: not sent") : inner_.SendBody(std::move(source));
  }
  bool started() const override { return refused_ || inner_.started(); }
  bool ClientGone() override { return inner_.ClientGone(); }

 private:
  http::ResponseWriter& inner_;
  billing::Ticket& ticket_;
  bool refused_ = false;
};

}  // namespace

ClientConnection::ClientConnection(LoopContext* ctx, http::UniqueFd fd, std::string peer)
    : ctx_(ctx), fd_(std::move(fd)), id_(ctx->next_id++), peer_(std::move(peer)),
      peer_is_proxy_(ctx->options->trusted_proxies.Contains(peer_)), parser_(ctx->options->max_header_bytes) {}

ClientConnection::~ClientConnection() = default;

void ClientConnection::Start() {
  ctx_->connections.emplace(id_, this);
  ctx_->metrics->ConnectionOpened();
  deadline_ = ctx_->clock->Now() + ctx_->options->idle_timeout;
  if (!ctx_->loop->Add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this).ok()) return Close();
  readable_ = true;  // data may already be waiting
  Pump();
}

void ClientConnection::OnIo(uint32_t events) {
  if (state_ == State::kClosed || state_ == State::kLocal) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) hangup_ = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable_ = true;
  Pump();
}

void ClientConnection::Pump() {
  while (state_ != State::kClosed && state_ != State::kLocal) {
    bool progress = false;
    switch (state_) {
      case State::kReadHead: progress = StepReadHead(); break;
      case State::kProxy: progress = StepProxy(); break;
      case State::kTunnel: progress = StepTunnel(); break;
      case State::kLocalBody: progress = StepLocalBody(); break;
      case State::kLocalStream: progress = StepLocalStream(); break;
      default: break;
    }
    if (state_ == State::kClosed || state_ == State::kLocal) return;
    progress |= FlushClient();
    if (state_ == State::kClosed) return;
    if (close_after_flush_ && out_.empty() && state_ == State::kReadHead) return Close();
    if (!progress) return;
  }
}

bool ClientConnection::ReadClient() {
  if (!readable_ || client_eof_) return false;
  bool drained = false;
  ssize_t n = in_.ReadFrom(fd_.get(), kReadChunk, &drained);
  if (n > 0) {
    ++client_io_;
    if (drained && !hangup_) readable_ = false;
    return true;
  }
  if (n == 0) {
    client_eof_ = true;
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    readable_ = false;
  } else if (errno != EINTR) {
    client_eof_ = true;
    return true;
  }
  return false;
}

bool ClientConnection::FlushClient() {
  bool progress = false;
  while (!out_.empty() && writable_) {
    ssize_t n = out_.WriteTo(fd_.get());
    if (n > 0) {
      progress = true;
      ++client_io_;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      writable_ = false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      Close();  // client gone
      return false;
    }
  }
  if (out_.empty()) out_.ShrinkIfEmpty();
  return progress;
}

bool ClientConnection::StepReadHead() {
  if (close_after_flush_) return false;
  bool progress = false;
  if (in_.size() < ctx_->options->max_header_bytes + 1) progress = ReadClient();
  if (in_.empty()) {
    if (client_eof_) Close();
    return progress;
  }
  if (!head_started_) {
    head_started_ = true;
    deadline_ = ctx_->clock->Now() + ctx_->options->header_timeout;
  }
  req_ = RequestContext();
  switch (parser_.ParseRequest(in_.view(), &req_.request)) {
    case http::ParseOutcome::kNeedMore:
      if (client_eof_) Close();
      return progress;
    case http::ParseOutcome::kError:
      keep_alive_ = false;
      req_.kind = RouteKind::kEdge;
      started_at_ = ctx_->clock->Now();
      SendLocalReply(http::ProtocolErrorResponse(parser_.error_status(), parser_.error()));
      return true;
    case http::ParseOutcome::kDone:
      BeginRequest(parser_.head_size());
      return true;
  }
  return progress;
}

void ClientConnection::BeginRequest(size_t head_size) {
  in_.Consume(head_size);
  started_at_ = ctx_->clock->Now();
  http::Request& r = req_.request;
  r.remote_addr = peer_;
  if (peer_is_proxy_) {
    r.remote_addr = ctx_->options->trusted_proxies.ClientOf(peer_, r.headers);
    req_.proxy_addr = peer_;
  }
  keep_alive_ = r.version_minor >= 1 ? !r.headers.HasToken("Connection", "close")
                                     : r.headers.HasToken("Connection", "keep-alive");
  req_.callbacks = this;
  auto framing = http::RequestFraming(r);
  if (!framing.ok()) {
    keep_alive_ = false;
    req_.kind = RouteKind::kEdge;
    return SendLocalReply(http::ErrorResponse(Status::InvalidArgument(framing.status().message())));
  }
  req_framing_ = *framing;
  http::SingleContentLength(r.headers, *framing);
  state_ = State::kFiltering;
  next_filter_ = 0;
  RunFilters();
}

void ClientConnection::RunFilters() {
  const auto& filters = *ctx_->filters;
  while (state_ == State::kFiltering && next_filter_ < filters.size()) {
    FilterStatus s = filters[next_filter_++]->OnRequestHeaders(req_);
    if (s == FilterStatus::kStop) return;  // replied, or paused until ContinueDecoding
  }
  if (state_ == State::kFiltering) Dispatch();
}

void ClientConnection::ContinueDecoding() {
  if (!ctx_->loop->InLoopThread()) {
    LoopContext* ctx = ctx_;
    uint64_t id = id_;
    ctx_->loop->Post([ctx, id] {
      auto it = ctx->connections.find(id);
      if (it != ctx->connections.end()) it->second->ContinueDecoding();
    });
    return;
  }
  if (state_ != State::kFiltering) return;
  RunFilters();
  Pump();
}

void ClientConnection::ContinueDecodingWith(std::function<FilterStatus(RequestContext&)> resume) {
  if (!ctx_->loop->InLoopThread()) {
    LoopContext* ctx = ctx_;
    uint64_t id = id_;
    ctx_->loop->Post([ctx, id, resume = std::move(resume)]() mutable {
      auto it = ctx->connections.find(id);
      if (it != ctx->connections.end()) it->second->ContinueDecodingWith(std::move(resume));
    });
    return;
  }
  if (state_ != State::kFiltering) return;
  if (resume(req_) == FilterStatus::kContinue) RunFilters();
  Pump();
}

void ClientConnection::SendLocalReply(http::Response response) {
  if (!ctx_->loop->InLoopThread()) {
    LoopContext* ctx = ctx_;
    uint64_t id = id_;
    ctx_->loop->Post([ctx, id, r = std::move(response)]() mutable {
      auto it = ctx->connections.find(id);
      if (it != ctx->connections.end()) {
        it->second->SendLocalReply(std::move(r));
        it->second->Pump();
      }
    });
    return;
  }
  // The unread request body is not worth draining here: close after the reply.
  if (req_framing_.kind != http::BodyFraming::kNone) keep_alive_ = false;
  response.headers.Set("Content-Length", std::to_string(response.body.size()));
  response.headers.Remove("Transfer-Encoding");
  response.headers.Remove("Connection");
  if (!keep_alive_) {
    response.headers.Add("Connection", "close");
  } else if (req_.request.version_minor == 0) {
    response.headers.Add("Connection", "keep-alive");
  }
  std::string head;
  http::AppendResponseHead(response.status, response.headers, &head);
  out_.Append(head);
  if (req_.request.method != "HEAD") out_.Append(response.body);
  EndRequest(response.status);
}

void ClientConnection::EndRequest(int status) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(ctx_->clock->Now() - started_at_).count();
  ctx_->metrics->RecordRequest(req_.kind, status, micros);
  if (req_.reached_app && !req_.probe && ctx_->options->traffic != nullptr && req_.route) {
    ctx_->options->traffic->Answer(req_.route->space_key, status, ctx_->clock->UnixMillis());
  }
  if (!keep_alive_) close_after_flush_ = true;
  ResetForNextRequest();
}

void ClientConnection::ResetForNextRequest() {
  state_ = State::kReadHead;
  parser_.Reset();
  req_ = RequestContext();
  req_framing_ = http::BodyFraming();
  head_started_ = false;
  deadline_ = ctx_->clock->Now() + ctx_->options->idle_timeout;
  if (in_.empty()) in_.ShrinkIfEmpty();
}

void ClientConnection::Dispatch() {
  if (req_.kind == RouteKind::kAppProxy && req_.route) return StartProxy(false);
  if (req_.kind == RouteKind::kHub && ctx_->hub == nullptr) {
    return SendLocalReply(http::ErrorResponse(Status::NotFound("not found")));
  }
  StartLocal();
}

void ClientConnection::StartLocal() {
  // A client that waits for 100 Continue sends its body only once the
  // handler asks for it (then on the worker, within the per-address cap).
  local_body_needed_ = 0;
  if (req_framing_.kind == http::BodyFraming::kLength && req_framing_.length <= kPrebufferBody &&
      !req_.request.headers.HasToken("Expect", "100-continue")) {
    local_body_needed_ = req_framing_.length;
  }
  if (in_.size() >= local_body_needed_ && out_.empty()) return RunLocal();
  // Wait for the body, and for the previous answer's tail to leave: the
  // worker writes to the socket directly.
  state_ = State::kLocalBody;
  deadline_ = ctx_->clock->Now() + kBodyGrace + Millis(1000 * local_body_needed_ / kBodyMinRate);
  Pump();
}

// The body arrives on the loop; the worker gets it whole.
bool ClientConnection::StepLocalBody() {
  bool progress = in_.size() < local_body_needed_ && ReadClient();
  if (in_.size() >= local_body_needed_) {
    if (!out_.empty()) return progress;  // Pump flushes it
    RunLocal();
    return false;  // the worker owns the socket now
  }
  if (client_eof_) Close();
  return progress;
}

void ClientConnection::RunLocal() {
  // A worker writes the answer at the client's pace: one address gets only
  // so many of them at once.
  if (ctx_->local_clients != nullptr) {
    local_slot_addr_ = req_.request.remote_addr;
    if (!ctx_->local_clients->Admit(local_slot_addr_)) {
      keep_alive_ = false;
      return SendLocalReply(http::ErrorResponse(
          Status::ResourceExhausted("too many requests in progress from this address; try again shortly")));
    }
    holds_local_slot_ = true;
  }
  state_ = State::kLocal;
  ctx_->loop->Remove(fd_.get());
  std::string buffered(in_.view());
  in_.Clear();
  LoopContext* ctx = ctx_;
  uint64_t id = id_;
  int fd = fd_.get();
  SendPace pace{ctx_->options->idle_timeout, ctx_->options->send_grace, ctx_->options->min_send_rate};
  auto request = std::make_shared<http::Request>(std::move(req_.request));
  http::Handler* hub = req_.kind == RouteKind::kHub ? ctx_->hub : nullptr;
  std::string root = req_.route ? req_.route->static_root : std::string();
  std::string csp = req_.route ? req_.route->content_security_policy : std::string();
  http::BodyFraming framing = req_framing_;
  bool keep_alive = keep_alive_;
  std::shared_ptr<billing::Ticket> ticket(std::move(req_.meter));  // a priced static Space; voided unless charged
  bool ok = ctx_->workers->Submit([=, buffered = std::move(buffered)]() mutable {
    LocalResult result = RunLocalExchange(fd, *request, framing, std::move(buffered), keep_alive, pace,
                                          [&](http::BodyReader& body, http::ResponseWriter& out) {
                                            if (hub != nullptr) {
                                              hub->Handle(*request, body, out);
                                            } else if (ticket != nullptr) {
                                              CspWriter framed(out, csp);
                                              ChargingWriter charged(framed, *ticket);
                                              ServeStaticFile(root, *request, charged);
                                            } else {
                                              CspWriter framed(out, csp);
                                              ServeStaticFile(root, *request, framed);
                                            }
                                          });
    ticket.reset();  // here, not wherever the closure ends
    ctx->loop->Post([ctx, id, result = std::move(result)]() mutable {
      auto it = ctx->connections.find(id);
      if (it != ctx->connections.end()) {
        it->second->OnLocalDone(std::move(result));
      } else if (result.body) {
        ctx->workers->Submit([body = std::move(result.body)] {});  // its end may wait on a child process
      }
    });
  });
  if (!ok) Close();
}

void ClientConnection::ReleaseLocalSlot() {
  if (!holds_local_slot_) return;
  holds_local_slot_ = false;
  ctx_->local_clients->Release(local_slot_addr_);
}

void ClientConnection::OnLocalDone(LocalResult result) {
  keep_alive_ = result.keep_alive;
  state_ = State::kFiltering;  // not kLocal: EndRequest/Close may run normally now
  in_.Append(result.leftover);
  out_.Append(result.unsent);  // the answer's tail, sent at the client's pace from here
  if (!ctx_->loop->Add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this).ok()) return Close();
  readable_ = true;
  writable_ = true;
  if (result.body) {
    // The rest of the body comes from the source, read here as the client
    // takes it; the request (and its worker slot) ends when it is all out.
    body_ = std::move(result.body);
    body_status_ = result.status == 0 ? 500 : result.status;
    state_ = State::kLocalStream;
    stream_seen_ = client_io_ + body_io_ - 1;  // the sweep starts the clock
    if (body_->wait_fd() >= 0 && !ctx_->loop->Add(body_->wait_fd(), EPOLLIN | EPOLLET, &body_watch_).ok()) {
      return Close();
    }
    return Pump();
  }
  ReleaseLocalSlot();
  EndRequest(result.status == 0 ? 500 : result.status);
  if (close_after_flush_ && out_.empty()) return Close();
  Pump();
}

bool ClientConnection::StepLocalStream() {
  bool progress = false;
  char chunk[kStreamBuffered];
  // At most kStreamBuffered waits here per connection: the socket's own
  // buffers hold the rest, so a slow download costs little memory.
  while (body_->remaining() > 0 && out_.size() < kStreamBuffered) {
    bool would_block = false;
    size_t room = std::min<uint64_t>(kStreamBuffered - out_.size(), body_->remaining());
    Result<size_t> n = body_->Read(chunk, room, &would_block);
    if (!n.ok() || (*n == 0 && !would_block)) {
      // Too late for an error status: the client sees the body cut short.
      SP_LOG(kWarn) << "a response body ended early: "
                    << (n.ok() ? std::string("the source ran dry") : n.status().message());
      Close();
      return false;
    }
    if (*n == 0) break;  // body_watch_ calls again when there is more
    out_.Append(std::string_view(chunk, *n));
    ++body_io_;
    progress = true;
  }
  if (body_->remaining() == 0 && out_.empty()) {
    FinishLocalStream();
    return true;
  }
  return progress;
}

void ClientConnection::FinishLocalStream() {
  DropBody();
  ReleaseLocalSlot();
  state_ = State::kFiltering;
  EndRequest(body_status_);
  if (close_after_flush_) Close();
}

void ClientConnection::DropBody() {
  if (!body_) return;
  if (body_->wait_fd() >= 0) ctx_->loop->Remove(body_->wait_fd());
  // Ending a git blob's source ends its git process: not on the loop.
  if (!ctx_->workers->Submit([body = std::move(body_)] {})) body_.reset();
}

void ClientConnection::CheckTimeout(SteadyTime now) {
  if (state_ == State::kProxy) return CheckProxyTimeout(now);
  if (state_ == State::kLocalStream) {
    uint64_t io = client_io_ + body_io_;
    if (io != stream_seen_) {
      stream_seen_ = io;
      stream_since_ = now;
    } else if (now - stream_since_ >= ctx_->options->client_stall_timeout) {
      AbortClient();  // neither the client nor the source moved
    }
    return;
  }
  if (now < deadline_) return;
  if (state_ == State::kLocalBody) {
    if (in_.size() >= local_body_needed_) return Close();  // the previous answer never left
    return RequestTimedOut("the request body did not arrive in time");
  }
  if (state_ != State::kReadHead) return;
  // A head that never completed: tell the client why, then close.
  if (!in_.empty() && out_.empty()) return RequestTimedOut("the request head did not arrive in time");
  Close();
}

void ClientConnection::RequestTimedOut(std::string_view why) {
  keep_alive_ = false;
  if (state_ == State::kReadHead) {  // no request yet
    req_.kind = RouteKind::kEdge;
    started_at_ = ctx_->clock->Now();
  }
  SendLocalReply(http::ProtocolErrorResponse(408, why));
  FlushClient();
  if (state_ != State::kClosed) Close();
}

void ClientConnection::ShutdownSocket() {
  if (fd_.valid()) ::shutdown(fd_.get(), SHUT_RDWR);
}

void ClientConnection::Close() {
  if (state_ == State::kClosed) return;
  bool was_local = state_ == State::kLocal;
  state_ = State::kClosed;
  if (px_ && px_->up) ctx_->pool->Close(px_->up);
  px_.reset();
  tunnel_activity_.Reset();
  DropBody();
  req_.activity.Reset();  // the request is no longer in flight
  req_.pending.reset();   // a paused filter's late answer must not reach this connection
  if (!was_local) ctx_->loop->Remove(fd_.get());
  fd_.reset();
  ctx_->metrics->ConnectionClosed();
  if (ctx_->clients != nullptr && !peer_is_proxy_) ctx_->clients->Release(peer_);
  ReleaseLocalSlot();
  ctx_->connections.erase(id_);
  ctx_->loop->Defer([self = this] { delete self; });
}

}  // namespace spaceport::edge
