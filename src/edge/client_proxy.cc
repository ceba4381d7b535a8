// The proxy half of ClientConnection: non-blocking forwarding to an app.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/strings.h"
#include "edge/client_connection.h"
#include "edge/filters.h"
#include "http/error_response.h"

namespace spaceport::edge {
namespace {

bool Idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE" ||
         method == "TRACE";
}

}  // namespace

void ClientConnection::StartProxy(bool fresh) {
  state_ = State::kProxy;
  req_.reached_app = true;
  if (!px_) {
    px_.emplace();
    http::Request& r = req_.request;
    std::string upgrade;
    if (r.headers.HasToken("Connection", "upgrade")) {
      if (auto u = r.headers.Get("Upgrade")) upgrade = std::string(*u);
    }
    http::StripHopByHop(r.headers);
    if (req_framing_.kind == http::BodyFraming::kChunked) r.headers.Add("Transfer-Encoding", "chunked");
    if (!upgrade.empty()) {
      px_->upgrade = true;
      r.headers.Add("Connection", "Upgrade");
      r.headers.Add("Upgrade", upgrade);
    }
    int minor = r.version_minor;
    r.version_minor = 1;
    up_head_.clear();
    http::AppendRequestHead(r, &up_head_);
    r.version_minor = minor;
    px_->req_remaining = req_framing_.length;
    px_->req_done = req_framing_.kind == http::BodyFraming::kNone ||
                    (req_framing_.kind == http::BodyFraming::kLength && req_framing_.length == 0);
    px_->up_since = px_->client_since = started_at_;
  }
  auto up = ctx_->pool->Acquire(*req_.route, this, fresh);
  if (!up.ok()) return UpstreamFailed(up.status().message());
  px_->up = *up;
  up_out_.Append(up_head_);
  if (px_->up->reused) {
    px_->up->connected = true;
    px_->up->writable = true;  // try at once; EAGAIN tells otherwise
  } else {
    px_->connect_started = ctx_->clock->Now();  // only new connections pay for a clock read
  }
}

bool ClientConnection::StepProxy() {
  bool progress = false;
  if (!px_->req_done) {
    if (in_.size() < kMaxBuffered) progress |= ReadClient();
    progress |= ForwardRequestBody();
    if (state_ != State::kProxy) return true;
    if (client_eof_ && !px_->req_done && in_.empty()) {
      Close();  // client gave up mid-body
      return false;
    }
  } else if (!client_eof_ && in_.size() < kMaxBuffered) {
    progress |= ReadClient();  // notices a client that hangs up on a stream
    if (client_eof_ && in_.empty() && !px_->resp_head_done) {
      // Half-closed after a complete request: keep going, then close.
      keep_alive_ = false;
    }
  }
  progress |= WriteUpstream();
  if (state_ != State::kProxy) return true;
  progress |= ReadUpstream();
  progress |= ProcessUpstreamIn();
  if (state_ != State::kProxy) return true;
  // (A head waiting for its charge is passed on first.)
  if (px_->upstream_eof && !px_->resp_done && !px_->head_parsed) {
    HandleUpstreamEof();
    return true;
  }
  if (px_->resp_done && (px_->req_done || !keep_alive_)) {
    FinishExchange();
    return true;
  }
  if (px_->resp_done && !px_->req_done) {
    keep_alive_ = false;  // app answered before the body ended: finish and close
    FinishExchange();
    return true;
  }
  return progress;
}

bool ClientConnection::ForwardRequestBody() {
  if (px_->req_done || in_.empty() || up_out_.size() >= kMaxBuffered) return false;
  std::string_view data = in_.view();
  size_t n = 0;
  if (req_framing_.kind == http::BodyFraming::kLength) {
    n = std::min<uint64_t>(px_->req_remaining, data.size());
    px_->req_remaining -= n;
    px_->req_done = px_->req_remaining == 0;
  } else {
    auto used = px_->req_chunks.Feed(data, nullptr);
    if (!used.ok()) {
      keep_alive_ = false;
      if (!px_->sent_to_client && !px_->resp_head_done) {
        ctx_->pool->Close(px_->up);
        px_.reset();
        up_out_.Clear();
        SendLocalReply(http::ErrorResponse(Status::InvalidArgument(used.status().message())));
        return true;
      }
      Close();
      return false;
    }
    n = *used;
    px_->req_done = px_->req_chunks.done();
  }
  up_out_.Append(data.substr(0, n));
  in_.Consume(n);
  return n > 0;
}

bool ClientConnection::WriteUpstream() {
  UpstreamConn* up = px_->up;
  if (up == nullptr || !up->writable) return false;
  if (!up->connected) {
    if (int err = http::SocketError(up->fd.get()); err != 0) {
      UpstreamFailed(std::string("connect: ") + std::strerror(err));
      return true;
    }
    up->connected = true;
  }
  bool progress = false;
  while (!up_out_.empty()) {
    ssize_t n = up_out_.WriteTo(up->fd.get());
    if (n > 0) {
      progress = true;
      ++px_->up_io;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      up->writable = false;
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    // The upstream is gone; a response may still be readable.
    up_out_.Clear();
    px_->upstream_eof = px_->upstream_eof || !px_->resp_head_done;
    break;
  }
  return progress;
}

bool ClientConnection::ReadUpstream() {
  UpstreamConn* up = px_->up;
  if (up == nullptr || !up->readable || px_->upstream_eof || out_.size() >= kMaxBuffered ||
      up->in.size() >= kMaxBuffered) {
    return false;
  }
  if (!up->connected) return false;
  bool drained = false;
  ssize_t n = up->in.ReadFrom(up->fd.get(), kReadChunk, &drained);
  if (n > 0) {
    if (drained && !up->hangup) up->readable = false;  // the next byte brings a new edge
    px_->any_response_byte = true;
    ++px_->up_io;
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    up->readable = false;
    return false;
  }
  if (n < 0 && errno == EINTR) return true;
  px_->upstream_eof = true;
  return true;
}

bool ClientConnection::ProcessUpstreamIn() {
  bool progress = false;
  while (state_ == State::kProxy && !px_->resp_done && px_->up && (!px_->up->in.empty() || px_->head_parsed)) {
    if (!px_->resp_head_done) {
      if (!ProcessResponseHead()) return progress;
      progress = true;
      continue;
    }
    if (out_.size() >= kMaxBuffered) return progress;
    if (!ForwardResponseBody()) return progress;
    progress = true;
  }
  if (state_ == State::kProxy && px_->resp_head_done && px_->resp_framing.kind == http::BodyFraming::kNone) {
    px_->resp_done = true;
  }
  return progress;
}

bool ClientConnection::ProcessResponseHead() {
  UpstreamConn* up = px_->up;
  if (!px_->head_parsed) {
    auto outcome = px_->resp_parser.ParseResponse(up->in.view(), &px_->resp);
    if (outcome == http::ParseOutcome::kNeedMore) return false;
    if (outcome == http::ParseOutcome::kError) {
      UpstreamFailed("bad response head: " + px_->resp_parser.error());
      return false;
    }
    up->in.Consume(px_->resp_parser.head_size());
    px_->resp_parser.Reset();
    px_->head_parsed = true;
  }
  http::ResponseHead& resp = px_->resp;
  bool client11 = req_.request.version_minor >= 1;
  // A charged request is settled before the client hears of the answer:
  // the charge is on disk before the head leaves (SettleCharge).
  if (req_.meter && (resp.status >= 200 || (resp.status == 101 && px_->upgrade)) && !SettleCharge()) return false;
  px_->head_parsed = false;
  if (resp.status == 101 && px_->upgrade) {
    AddChargeHeaders(resp.headers);
    std::string head;
    http::AppendResponseHead(101, resp.headers, &head);
    out_.Append(head);
    out_.Append(up->in.view());
    up->in.Clear();
    px_->sent_to_client = true;
    tunnel_activity_ = std::move(req_.activity);  // a WebSocket keeps its app awake until it closes
    EndRequest(101);
    state_ = State::kTunnel;
    return true;
  }
  if (resp.status < 200) {
    if (client11 && resp.status != 101) {
      http::StripHopByHop(resp.headers);
      std::string head;
      http::AppendResponseHead(resp.status, resp.headers, &head);
      out_.Append(head);
    }
    resp = http::ResponseHead();
    return true;
  }
  auto framing = http::ResponseFraming(req_.request.method, resp);
  if (!framing.ok()) {
    UpstreamFailed(framing.status().message());
    return false;
  }
  px_->resp_framing = *framing;
  px_->resp_remaining = framing->length;
  px_->upstream_close = resp.version_minor == 0 ? !resp.headers.HasToken("Connection", "keep-alive")
                                                 : resp.headers.HasToken("Connection", "close");
  http::Headers& h = resp.headers;
  http::StripHopByHop(h);
  AddChargeHeaders(h);
  if (!req_.route->content_security_policy.empty()) {
    h.Add("Content-Security-Policy", req_.route->content_security_policy);  // besides the app's own
  }
  if (framing->kind == http::BodyFraming::kChunked) {
    if (client11) {
      h.Add("Transfer-Encoding", "chunked");
    } else {
      px_->dechunk = true;
      keep_alive_ = false;
    }
  } else if (framing->kind == http::BodyFraming::kUntilClose) {
    keep_alive_ = false;
  }
  if (!keep_alive_) {
    h.Add("Connection", "close");
  } else if (!client11) {
    h.Add("Connection", "keep-alive");
  }
  resp_head_.clear();
  http::AppendResponseHead(resp.status, h, &resp_head_);
  out_.Append(resp_head_);
  px_->sent_to_client = true;
  px_->resp_head_done = true;
  if (framing->kind == http::BodyFraming::kNone ||
      (framing->kind == http::BodyFraming::kLength && framing->length == 0)) {
    px_->resp_done = true;
  }
  return true;
}

// True once the request's charge is settled: voided for a status >= 500,
// else posted (the app's X-Spaceport-Cost, capped at the hold, or the
// price) and on disk. Until then false: the ledger's answer comes back
// through OnCharged, which pumps again.
bool ClientConnection::SettleCharge() {
  if (px_->charge_state == Proxy::kCharged) return true;
  if (px_->charge_state == Proxy::kCharging) return false;
  http::ResponseHead& resp = px_->resp;
  std::optional<std::string> reported;
  for (const auto& [name, value] : resp.headers.fields()) {
    if (http::NameEquals(name, "X-Spaceport-Cost")) {
      reported = value;
      break;
    }
  }
  resp.headers.RemoveAnySpelling("X-Spaceport-Cost");  // between the app and the edge
  if (resp.status >= 500) {
    req_.meter->Void();
    px_->charge_state = Proxy::kCharged;
    return true;
  }
  billing::Ticket& ticket = *req_.meter;
  billing::Micros cost = ticket.CostFor(reported ? std::optional<std::string_view>(*reported) : std::nullopt);
  px_->charge_state = Proxy::kCharging;
  LoopContext* ctx = ctx_;
  uint64_t id = id_;
  ticket.Post(cost, [ctx, handle = ctx_->handle, id](Result<billing::Charge> charge) {
    handle->Post([ctx, id, charge = std::move(charge)]() mutable {
      auto it = ctx->connections.find(id);
      if (it != ctx->connections.end()) it->second->OnCharged(std::move(charge));
    });
  });
  return false;
}

void ClientConnection::OnCharged(Result<billing::Charge> charge) {
  if (state_ != State::kProxy || !px_ || px_->charge_state != Proxy::kCharging) return;
  if (!charge.ok()) {
    // Not provably paid: the answer is not delivered, and nothing was charged.
    ReleaseUpstream(false);
    px_.reset();
    up_out_.Clear();
    keep_alive_ = false;
    SendLocalReply(http::ErrorResponse(
        Status::Unavailable("the charge for this request could not be recorded, so it was not charged; try again")));
    Pump();
    return;
  }
  px_->charge = *charge;
  px_->charge_state = Proxy::kCharged;
  Pump();
}

// The edge's word on money, never the app's: what the app sent under these
// names (any spelling) is dropped from every answer, charged or not.
void ClientConnection::AddChargeHeaders(http::Headers& h) {
  // Through a forwarded route the answer comes from the edge that runs the
  // app and metered it (runtime/cluster/): its word stands.
  if (req_.route && req_.route->forwarded) return;
  h.RemoveAnySpelling("X-Spaceport-Charged");
  h.RemoveAnySpelling("X-Spaceport-Balance");
  h.RemoveAnySpelling("X-Spaceport-Cost");
  if (!px_->charge) return;
  h.Set("X-Spaceport-Charged", std::to_string(px_->charge->cost));
  h.Set("X-Spaceport-Balance", std::to_string(px_->charge->balance));
}

bool ClientConnection::ForwardResponseBody() {
  Buffer& in = px_->up->in;
  std::string_view data = in.view();
  switch (px_->resp_framing.kind) {
    case http::BodyFraming::kLength: {
      size_t n = std::min<uint64_t>(px_->resp_remaining, data.size());
      out_.Append(data.substr(0, n));
      in.Consume(n);
      px_->resp_remaining -= n;
      if (px_->resp_remaining == 0) px_->resp_done = true;
      return n > 0;
    }
    case http::BodyFraming::kChunked: {
      px_->scratch.clear();
      auto used = px_->resp_chunks.Feed(data, px_->dechunk ? &px_->scratch : nullptr);
      if (!used.ok()) {
        Close();  // the head is out: all we can do is cut the response
        return false;
      }
      out_.Append(px_->dechunk ? std::string_view(px_->scratch) : data.substr(0, *used));
      in.Consume(*used);
      if (px_->resp_chunks.done()) px_->resp_done = true;
      return *used > 0;
    }
    case http::BodyFraming::kUntilClose:
      out_.Append(data);
      in.Clear();
      return !data.empty();
    case http::BodyFraming::kNone:
      px_->resp_done = true;
      return false;
  }
  return false;
}

void ClientConnection::HandleUpstreamEof() {
  if (px_->resp_head_done) {
    if (px_->resp_framing.kind == http::BodyFraming::kUntilClose) {
      px_->resp_done = true;
      keep_alive_ = false;
      FinishExchange();
    } else {
      Close();  // truncated response: the client must not mistake it for complete
    }
    return;
  }
  UpstreamFailed("upstream closed the connection before responding");
}

void ClientConnection::UpstreamFailed(std::string_view why) {
  bool can_retry = px_ && px_->up && px_->up->reused && !px_->retried && !px_->any_response_byte &&
                   Idempotent(req_.request.method) && req_framing_.kind == http::BodyFraming::kNone;
  if (px_ && px_->up) {
    ctx_->pool->Close(px_->up);
    px_->up = nullptr;
  }
  if (can_retry) {
    px_->retried = true;
    up_out_.Clear();
    px_->upstream_eof = false;
    return StartProxy(true);
  }
  if (px_ && px_->sent_to_client) return Close();
  bool body_pending = px_ && !px_->req_done;
  px_.reset();
  up_out_.Clear();
  if (body_pending) keep_alive_ = false;
  SendLocalReply(
      http::ErrorResponse(Status::BadGateway("Space " + req_.route->space_id + " is not reachable: " + std::string(why))));
}

void ClientConnection::FinishExchange() {
  http::ResponseHead& resp = px_->resp;
  bool reusable = px_->req_done && px_->up && px_->up->in.empty() && !px_->upstream_eof &&
                  up_out_.empty() && !px_->upstream_close &&
                  px_->resp_framing.kind != http::BodyFraming::kUntilClose;
  ReleaseUpstream(reusable);
  up_out_.Clear();
  int status = resp.status;
  px_.reset();
  EndRequest(status);
}

void ClientConnection::ReleaseUpstream(bool reusable) {
  if (!px_->up) return;
  if (reusable) {
    ctx_->pool->Release(px_->up);
  } else {
    ctx_->pool->Close(px_->up);
  }
  px_->up = nullptr;
}

bool ClientConnection::StepTunnel() {
  UpstreamConn* up = px_->up;
  bool progress = false;
  if (up_out_.size() < kMaxBuffered) progress |= ReadClient();
  if (!in_.empty()) {
    up_out_.Append(in_.view());
    in_.Clear();
    progress = true;
  }
  progress |= WriteUpstream();
  if (state_ != State::kTunnel) return true;
  if (up->readable && !px_->upstream_eof && out_.size() < kMaxBuffered) {
    ssize_t n = up->in.ReadFrom(up->fd.get(), kReadChunk);
    if (n > 0) {
      out_.Append(up->in.view());
      up->in.Clear();
      progress = true;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      px_->upstream_eof = true;
      progress = true;
    } else if (errno != EINTR) {
      up->readable = false;
    }
  }
  bool client_done = client_eof_ && up_out_.empty();
  bool upstream_done = px_->upstream_eof && out_.empty();
  if (client_done || upstream_done) {
    Close();
    return false;
  }
  return progress;
}

}  // namespace spaceport::edge
