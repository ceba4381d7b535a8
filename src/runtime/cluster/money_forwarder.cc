#include "runtime/cluster/money_forwarder.h"

#include "core/log.h"
#include "core/strings.h"
#include "http/client.h"

namespace spaceport::runtime {
namespace {

constexpr size_t kMaxForwardedBody = 1 << 20;

// "/x/{owner}/{name}/tail" (or a tail under it)?
bool SpacePath(std::string_view path, std::string_view prefix, std::string_view tail) {
  if (!StartsWith(path, prefix)) return false;
  std::string_view rest = path.substr(prefix.size());
  size_t owner = rest.find('/');
  if (owner == std::string_view::npos || owner == 0) return false;
  size_t name = rest.find('/', owner + 1);
  if (name == std::string_view::npos || name == owner + 1) return false;
  std::string_view after = rest.substr(name);
  return after == tail || StartsWith(after, std::string(tail) + "/");
}

}  // namespace

bool IsMoneyPath(std::string_view path) {
  return StartsWith(path, "/api/billing/") || path == "/settings/billing" || StartsWith(path, "/settings/billing/") ||
         SpacePath(path, "/api/spaces/", "/subscription") || SpacePath(path, "/api/spaces/", "/usage") ||
         SpacePath(path, "/spaces/", "/subscribe") || SpacePath(path, "/spaces/", "/settings/monetization");
}

void MoneyForwarder::Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) {
  if (lease_->held() || !IsMoneyPath(request.path)) return local_->Handle(request, body, out);
  const store::Lease holder = lease_->current();
  if (holder.address.empty()) {
    (void)out.Send(http::Response::Json(503, R"({"error":"no node runs the apps right now; try again shortly"})"));
    return;
  }
  Result<std::string> content = body.ReadAll(kMaxForwardedBody);
  if (!content.ok()) {
    (void)out.Send(http::Response::Json(content.status().code() == StatusCode::kPayloadTooLarge ? 413 : 400,
                                        R"({"error":"the request body could not be read"})"));
    return;
  }
  http::ClientRequest forwarded;
  forwarded.method = request.method;
  forwarded.url = "http://" + holder.address + request.target;
  forwarded.headers = request.headers;
  http::StripHopByHop(forwarded.headers);
  forwarded.headers.Remove("Content-Length");
  if (auto host = request.headers.Get("Host")) {
    forwarded.headers.Remove("X-Forwarded-Host");
    forwarded.headers.Add("X-Forwarded-Host", std::string(*host));
  }
  forwarded.headers.Remove("Host");
  forwarded.body = std::move(*content);
  Result<http::ClientResponse> answer = http::Fetch(forwarded);
  if (!answer.ok()) {
    SP_LOG(kWarn) << "forwarding " << request.method << " " << request.path << " to " << holder.holder << ": "
                  << answer.status().message();
    (void)out.Send(http::Response::Json(503, R"({"error":"the node that holds the wallets did not answer"})"));
    return;
  }
  http::Response r;
  r.status = answer->status;
  r.headers = std::move(answer->headers);
  http::StripHopByHop(r.headers);
  r.headers.Remove("Content-Length");
  r.body = std::move(answer->body);
  (void)out.Send(r);
}

}  // namespace spaceport::runtime
