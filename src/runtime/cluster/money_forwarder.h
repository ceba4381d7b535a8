// MoneyForwarder: on a front node, the hub requests that read or move money
// (wallets, grants, webhooks, plans, payouts, usage) go to the runtime node,
// whose ledger meters the apps: one node holds the wallets in memory
// (billing/ledger.h), so a top-up through any node is spendable at once
// and no wallet is spent twice. Other requests go to the local hub.
//
// An http::Handler in front of the hub. A forwarded request's body is read
// whole (at most 1 MB), sent with its headers (credentials and signatures
// included; Host becomes X-Forwarded-Host) to the runtime node's advertised
// address, and its answer returned as it came.
// Thread safety: as the hub's Handle (any worker thread).
// Failure: 503 when the runtime node does not answer.
#pragma once

#include <string_view>

#include "http/handler.h"
#include "runtime/cluster/runtime_lease.h"

namespace spaceport::runtime {

// Whether a hub request reads or moves money.
bool IsMoneyPath(std::string_view path);

class MoneyForwarder : public http::Handler {
 public:
  MoneyForwarder(http::Handler* local, const RuntimeLease* lease) : local_(local), lease_(lease) {}
  void Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) override;

 private:
  http::Handler* const local_;
  const RuntimeLease* const lease_;
};

}  // namespace spaceport::runtime
