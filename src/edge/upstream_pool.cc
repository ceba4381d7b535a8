#include "edge/upstream_pool.h"

#include <algorithm>

namespace spaceport::edge {

void UpstreamConn::OnIo(uint32_t events) {
  if (!fd.valid()) return;  // closed earlier in this epoll batch
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) hangup = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
  if (owner != nullptr) {
    owner->OnUpstreamIo();
  } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    pool->OnIdleEvent(this);  // an idle upstream spoke or hung up: unusable
  }
}

UpstreamPool::~UpstreamPool() {
  for (auto& [ptr, conn] : all_) loop_->Remove(conn->fd.get());
}

void UpstreamPool::DropOlderGenerations(const runtime::AppRoute& route) {
  auto [it, inserted] = generation_by_space_.try_emplace(route.space_id, route.generation);
  if (inserted || it->second == route.generation) return;
  if (route.generation < it->second) return;
  it->second = route.generation;
  auto keys = keys_by_space_.find(route.space_id);
  if (keys == keys_by_space_.end()) return;
  for (const auto& key : keys->second) {
    auto idle = idle_.find(key);
    if (idle == idle_.end()) continue;
    auto conns = std::move(idle->second);
    idle_.erase(idle);
    for (auto* c : conns) Close(c);
  }
  keys->second.clear();
}

Result<UpstreamConn*> UpstreamPool::Acquire(const runtime::AppRoute& route, UpstreamOwner* owner, bool fresh) {
  DropOlderGenerations(route);
  if (!fresh) {
    auto it = idle_.find(route);
    if (it != idle_.end() && !it->second.empty()) {
      UpstreamConn* conn = it->second.back();
      it->second.pop_back();
      conn->owner = owner;
      conn->reused = true;
      return conn;
    }
  }
  ASSIGN_OR_RETURN(http::UniqueFd fd, http::ConnectTcpNonBlocking(route.upstream_host, route.upstream_port));
  auto conn = std::make_unique<UpstreamConn>();
  conn->fd = std::move(fd);
  conn->key = PoolKey{route.upstream_host, route.upstream_port, route.generation};
  conn->owner = owner;
  conn->pool = this;
  RETURN_IF_ERROR(loop_->Add(conn->fd.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, conn.get()));
  auto& keys = keys_by_space_[route.space_id];
  PoolKeyLess less;
  auto same = [&](const PoolKey& k) { return !less(k, conn->key) && !less(conn->key, k); };
  if (std::find_if(keys.begin(), keys.end(), same) == keys.end()) keys.push_back(conn->key);
  UpstreamConn* raw = conn.get();
  all_.emplace(raw, std::move(conn));
  return raw;
}

void UpstreamPool::Release(UpstreamConn* conn) {
  auto& idle = idle_[conn->key];
  if (idle.size() >= kMaxIdlePerKey) return Close(conn);
  conn->owner = nullptr;
  conn->idle_since = clock_->Now();
  conn->in.Clear();
  conn->in.ShrinkIfEmpty();
  idle.push_back(conn);
}

void UpstreamPool::EraseIdle(UpstreamConn* conn) {
  auto it = idle_.find(conn->key);
  if (it == idle_.end()) return;
  std::erase(it->second, conn);
}

void UpstreamPool::Close(UpstreamConn* conn) {
  auto it = all_.find(conn);
  if (it == all_.end()) return;
  if (conn->owner == nullptr) EraseIdle(conn);
  loop_->Remove(conn->fd.get());
  conn->fd.reset();
  // Other events of this epoll batch may still name it: delete after the batch.
  auto owned = std::make_shared<std::unique_ptr<UpstreamConn>>(std::move(it->second));
  all_.erase(it);
  loop_->Defer([owned] { owned->reset(); });
}

void UpstreamPool::Sweep() {
  SteadyTime now = clock_->Now();
  std::vector<UpstreamConn*> expired;
  for (auto& [key, conns] : idle_) {
    for (auto* c : conns) {
      if (now - c->idle_since > kIdleTimeout) expired.push_back(c);
    }
  }
  for (auto* c : expired) Close(c);
}

size_t UpstreamPool::idle_count() const {
  size_t n = 0;
  for (const auto& [key, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace spaceport::edge
