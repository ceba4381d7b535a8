#include "edge/client_connection.h"

#include <sys/socket.h>

#include <cerrno>

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
  bool started() const override { return inner_.started(); }
  bool ClientGone() override { return inner_.ClientGone(); }

 private:
  http::ResponseWriter& inner_;
  const std::string& policy_;
};

}  // namespace

ClientConnection::ClientConnection(LoopContext* ctx, http::UniqueFd fd, std::string peer)
    : ctx_(ctx), fd_(std::move(fd)), id_(ctx->next_id++), peer_(std::move(peer)),
      parser_(ctx->options->max_header_bytes) {}

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
  if (framing->kind == http::BodyFraming::kLength) http::SingleContentLength(r.headers, framing->length);
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
  if (req_framing_.kind == http::BodyFraming::kLength && req_framing_.length <= kPrebufferBody &&
      in_.size() < req_framing_.length && !req_.request.headers.HasToken("Expect", "100-continue")) {
    state_ = State::kLocalBody;
    deadline_ = ctx_->clock->Now() + kBodyGrace + Millis(1000 * req_framing_.length / kBodyMinRate);
    return Pump();
  }
  RunLocal();
}

// The body arrives on the loop; the worker gets it whole.
bool ClientConnection::StepLocalBody() {
  bool progress = ReadClient();
  if (in_.size() >= req_framing_.length) {
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
    if (!ctx_->local_clients->Admit(peer_)) {
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
  Millis timeout = ctx_->options->idle_timeout;
  auto request = std::make_shared<http::Request>(std::move(req_.request));
  http::Handler* hub = req_.kind == RouteKind::kHub ? ctx_->hub : nullptr;
  std::string root = req_.route ? req_.route->static_root : std::string();
  std::string csp = req_.route ? req_.route->content_security_policy : std::string();
  http::BodyFraming framing = req_framing_;
  bool keep_alive = keep_alive_;
  bool ok = ctx_->workers->Submit([=, buffered = std::move(buffered)]() mutable {
    LocalResult result = RunLocalExchange(fd, *request, framing, std::move(buffered), keep_alive, timeout,
                                          [&](http::BodyReader& body, http::ResponseWriter& out) {
                                            if (hub != nullptr) {
                                              hub->Handle(*request, body, out);
                                            } else {
                                              CspWriter framed(out, csp);
                                              ServeStaticFile(root, *request, framed);
                                            }
                                          });
    ctx->loop->Post([ctx, id, result = std::move(result)]() mutable {
      auto it = ctx->connections.find(id);
      if (it != ctx->connections.end()) {
        it->second->OnLocalDone(result.keep_alive, result.status, std::move(result.leftover));
      }
    });
  });
  if (!ok) Close();
}

void ClientConnection::ReleaseLocalSlot() {
  if (!holds_local_slot_) return;
  holds_local_slot_ = false;
  ctx_->local_clients->Release(peer_);
}

void ClientConnection::OnLocalDone(bool keep_alive, int status, std::string leftover) {
  ReleaseLocalSlot();
  keep_alive_ = keep_alive;
  state_ = State::kFiltering;  // not kLocal: EndRequest/Close may run normally now
  in_.Append(leftover);
  EndRequest(status == 0 ? 500 : status);
  if (close_after_flush_) return Close();
  if (!ctx_->loop->Add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this).ok()) return Close();
  readable_ = true;
  writable_ = true;
  Pump();
}

void ClientConnection::CheckTimeout(SteadyTime now) {
  if (state_ == State::kProxy) return CheckProxyTimeout(now);
  if (state_ == State::kLocalBody && now >= deadline_) {
    keep_alive_ = false;
    SendLocalReply(http::ProtocolErrorResponse(408, "the request body did not arrive in time"));
    FlushClient();
    if (state_ != State::kClosed) Close();
    return;
  }
  if (state_ != State::kReadHead || now < deadline_) return;
  if (!in_.empty() && out_.empty()) {
    // A head that never completed: tell the client why, then close.
    out_.Append("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    FlushClient();
  }
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
  req_.activity.Reset();  // the request is no longer in flight
  req_.pending.reset();   // a paused filter's late answer must not reach this connection
  if (!was_local) ctx_->loop->Remove(fd_.get());
  fd_.reset();
  ctx_->metrics->ConnectionClosed();
  if (ctx_->clients != nullptr) ctx_->clients->Release(peer_);
  ReleaseLocalSlot();
  ctx_->connections.erase(id_);
  ctx_->loop->Defer([self = this] { delete self; });
}

}  // namespace spaceport::edge
