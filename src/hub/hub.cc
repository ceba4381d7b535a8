#include "hub/hub.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <exception>

#include "core/log.h"
#include "core/strings.h"
#include "hub/api/space_search.h"
#include "hub/api/space_signals.h"
#include "hub/hub_core.h"
#include "hub/web/directory_pages.h"

namespace spaceport::hub {
namespace {

// Remembers the status a handler sent, for the request counters.
class StatusRecordingWriter : public http::ResponseWriter {
 public:
  explicit StatusRecordingWriter(http::ResponseWriter& inner) : inner_(inner) {}
  Status Start(int status, const http::Headers& headers) override {
    status_ = status;
    // No hub URL (which may carry a Space's private name or a one-time
    // secret) leaks to other sites through Referer.
    if (headers.Has("Referrer-Policy")) return inner_.Start(status, headers);
    http::Headers with_policy = headers;
    with_policy.Set("Referrer-Policy", "same-origin");
    return inner_.Start(status, with_policy);
  }
  Status Write(std::string_view data) override { return inner_.Write(data); }
  Status Finish() override { return inner_.Finish(); }
  Status SendBody(std::unique_ptr<http::BodySource> source) override { return inner_.SendBody(std::move(source)); }
  bool started() const override { return inner_.started(); }
  bool ClientGone() override { return inner_.ClientGone(); }
  int status() const { return status_; }

 private:
  http::ResponseWriter& inner_;
  int status_ = 0;
};

bool WantsHtml(const http::Request& request) {
  if (StartsWith(request.path, "/api/")) return false;
  auto accept = request.headers.Get("Accept");
  return accept && accept->find("text/html") != std::string_view::npos;
}

std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

Hub::Hub(HubDeps deps, HubOptions options) : core_(std::make_unique<HubCore>(deps, std::move(options))) {}
Hub::~Hub() = default;

void Hub::Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) {
  core_->Handle(request, body, out);
}

void Hub::AddMetricsSource(std::function<void(std::string*)> source) { core_->AddMetricsSource(std::move(source)); }

Status Hub::PublishAllAccess() { return core_->PublishAllAccess(); }
void Hub::ApplyChange(const store::Change& change) { core_->ApplyChange(change); }
Status Hub::ResyncEdge() {
  if (core_->deps().callers != nullptr) core_->deps().callers->ForgetAll();
  return core_->PublishAllAccess();
}

void Hub::PublishAccess(const store::Space& space) { core_->PublishAccess(space); }

Result<int64_t> Hub::IndexUnindexed() {
  const HubDeps& d = core_->deps();
  if (d.directory == nullptr) return 0;
  int64_t done = 0, after = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, d.directory->store()->Unindexed(after, 200));
    if (ids.empty()) return done;
    for (int64_t id : ids) {
      after = id;
      Result<store::Space> space = d.store->GetSpaceById(id);
      if (!space.ok()) continue;  // deleted meanwhile
      IndexForDirectory(*core_, *space, space->sha);
      ++done;
    }
  }
}

HubCore::HubCore(HubDeps deps, HubOptions options)
    : deps_(deps),
      options_(std::move(options)),
      lfs_(deps.repos),
      writer_(deps.repos, &lfs_),
      file_lists_(deps.repos),
      upload_key_(RandomHex(32)) {
  router_.Add("GET", "/healthz", [](Call& call) { return call.SendJson(200, {{"status", "ok"}}); });
  router_.Add("GET", "/metrics", [this](Call& call) {
    http::Response r = http::Response::Text(200, MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
    return call.out.Send(r);
  });
  RegisterSpacesApi(router_, *this);
  RegisterRuntimeApi(router_, *this);
  RegisterLogsApi(router_, *this);
  RegisterLikesApi(router_, *this);
  RegisterSignalsApi(router_, *this);
  RegisterModerationApi(router_, *this);
  RegisterCollectionsApi(router_, *this);
  RegisterGitRoutes(router_, *this);
  RegisterFilesApi(router_, *this);
  RegisterIdentityRoutes(router_, *this);
  RegisterOAuthRoutes(router_, *this);
  RegisterGatedApi(router_, *this);
  RegisterCommitApi(router_, *this);
  RegisterLfsRoutes(router_, *this);
  RegisterWebUi(router_, *this);
  RegisterDirectoryPages(router_, *this);
  RegisterMoveApi(router_, *this);
  RegisterAccountsWeb(router_, *this);
  RegisterSettingsWeb(router_, *this);
  RegisterGateWeb(router_, *this);
  RegisterTokensApi(router_, *this);
  RegisterEmbedLinksApi(router_, *this);
  RegisterConnectedAppsWeb(router_, *this);
  RegisterBillingApi(router_, *this);
  RegisterPaymentsApi(router_, *this);
  RegisterBillingWeb(router_, *this);
}

void HubCore::Handle(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out) {
  StatusRecordingWriter recorder(out);
  std::string route_name = "unmatched";
  Dispatch(request, body, recorder, &route_name);
  CountRequest(route_name, recorder.status());
}

void HubCore::Dispatch(const http::Request& request, http::BodyReader& body, http::ResponseWriter& out,
                       std::string* route_name) {
  ErrorFormat format = WantsHtml(request) ? ErrorFormat::kHtml : ErrorFormat::kJson;
  Result<std::vector<std::string>> segments = SplitPath(request.path);
  if (!segments.ok()) return SendError(out, segments.status(), format);
  RouteMatch match = router_.Find(request.method, *segments);
  if (match.route == nullptr) {
    std::string what = match.path_matched ? "method " + request.method + " not allowed on " : "no such page: ";
    return SendError(out, Status::NotFound(what + request.path), format);
  }
  *route_name = match.route->method + " " + match.route->pattern;
  Call call(request, body, out, deps_.auth);
  call.params = std::move(match.params);
  // Web forms check their own CSRF field; everything else that changes state
  // with a session cookie must send the session's X-CSRF-Token header.
  call.form_route = match.route->format == ErrorFormat::kHtml;
  Status status;
  try {
    status = match.route->handler(call);
  } catch (const std::exception& e) {  // a bug: keep the process alive and say so
    status = Status::Internal(std::string("unexpected error: ") + e.what());
  }
  if (status.code() == StatusCode::kInternal) {
    SP_LOG(kError) << *route_name << ": " << status.message();
  }
  if (!status.ok()) return SendError(out, status, match.route->format);
  if (!out.started()) SendError(out, Status::Internal("handler sent no response"), match.route->format);
}

void HubCore::CountRequest(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(metrics_mu_);
  ++requests_[{route, status}];
}

void HubCore::AddMetricsSource(std::function<void(std::string*)> source) {
  std::lock_guard<std::mutex> lock(metrics_mu_);
  metrics_sources_.push_back(std::move(source));
}

std::string HubCore::MetricsText() {
  std::string text =
      "# HELP spaceport_hub_requests_total Requests answered by the hub, by route and status.\n"
      "# TYPE spaceport_hub_requests_total counter\n";
  std::vector<std::function<void(std::string*)>> sources;
  {
    std::lock_guard<std::mutex> lock(metrics_mu_);
    for (const auto& [key, count] : requests_) {
      text += "spaceport_hub_requests_total{route=\"" + EscapeLabel(key.first) + "\",code=\"" +
              std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
    }
    sources = metrics_sources_;
  }
  for (const auto& source : sources) source(&text);  // outside the lock: sources may be slow
  return text;
}

std::string HubCore::PublicUrl() const {
  std::string url = options_.public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string HubCore::SpaceUrl(const store::Space& space) const {
  return PublicUrl() + "/spaces/" + space.owner + "/" + space.name;
}

std::string HubCore::AppHost(const store::Space& space) const {
  return space.subdomain + "." + options_.apps_domain;
}

std::string HubCore::AppUrl(const store::Space& space) const {
  std::string scheme = StartsWith(options_.public_url, "https://") ? "https://" : "http://";
  return scheme + AppHost(space) + options_.app_port_suffix;
}

void HubCore::RecordPush(int64_t space_id, const std::string& sha) {
  Result<store::Space> fresh = deps_.store->GetSpaceById(space_id);
  if (!fresh.ok()) {
    SP_LOG(kWarn) << "push to a Space that is gone: " << fresh.status().message();
    return;
  }
  fresh->sha = sha;
  fresh->last_modified = deps_.clock->UnixMillis();
  Status st = deps_.store->UpdateSpace(*fresh);
  if (!st.ok()) {
    SP_LOG(kWarn) << "recording push of " << fresh->full_id() << ": " << st.message();
  }
  IndexForDirectory(*this, *fresh, sha);
  deps_.control->OnPush(*fresh, sha);
  SignalsAfterPush(*this, *fresh, sha);
}

std::string HubCore::SignLfsUpload(const store::Space& space, const repo::LfsPointer& object,
                                   int64_t expires_ms) const {
  std::string data = std::to_string(space.id) + "\n" + object.oid + "\n" + std::to_string(object.size) + "\n" +
                     std::to_string(expires_ms);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), upload_key_.data(), static_cast<int>(upload_key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool HubCore::IsOwner(const std::optional<access::Principal>& who, const store::Space& space) {
  return who.has_value() && EqualsIgnoreCase(who->user.name, space.owner);
}

int64_t HubCore::RepoRoomLeft(const store::Space& space) const {
  if (options_.max_repo_bytes <= 0) return INT64_MAX;
  return std::max<int64_t>(0, options_.max_repo_bytes - deps_.repos->DiskBytes(space.owner, space.name));
}

Status HubCore::CheckRepoRoom(const store::Space& space, int64_t incoming) const {
  if (options_.max_repo_bytes <= 0) return Status::Ok();
  int64_t used = deps_.repos->DiskBytes(space.owner, space.name);
  if (incoming <= options_.max_repo_bytes - used) return Status::Ok();
  return Status::PayloadTooLarge("the repository of " + space.full_id() + " holds " + std::to_string(used >> 20) +
                                 " MB; " + std::to_string(incoming >> 20) + " MB more would pass its limit of " +
                                 std::to_string(options_.max_repo_bytes >> 20) + " MB");
}

Result<store::Space> HubCore::FindSpace(std::string_view owner, std::string_view name) {
  std::string id = std::string(owner) + "/" + std::string(name);
  if (!repo::IsValidRepoName(owner) || !repo::IsValidRepoName(name)) {
    return Status::NotFound("Space " + id + " not found");
  }
  Result<store::Space> space = deps_.store->GetSpace(owner, name);
  if (space.status().code() == StatusCode::kNotFound) return Status::NotFound("Space " + id + " not found");
  return space;
}

Result<std::vector<store::Space>> HubCore::ForksOf(const store::Space& space,
                                                   const std::optional<access::Principal>& who, int64_t limit) {
  store::SpaceQuery q;
  q.duplicated_from = space.id;
  q.limit = limit;
  if (who) {
    q.include_private_of_user = true;
    q.viewer_user_id = who->user.id;
  }
  return deps_.store->ListSpaces(q);
}

access::AccessLevel HubCore::LevelOn(const std::optional<access::Principal>& who, const store::Space& space) {
  std::optional<store::OrgRole> role;
  if (who && !EqualsIgnoreCase(who->user.name, space.owner)) {
    Result<store::OrgRole> r = deps_.store->GetOrgRole(space.owner, who->user.id);
    if (r.ok()) role = *r;
  }
  return access::LevelFor(who, space, role);
}

std::vector<std::string> HubCore::NamespacesOf(const std::optional<access::Principal>& who) {
  std::vector<std::string> out;
  if (!who) return out;
  out.push_back(who->user.name);
  if (auto memberships = deps_.store->ListMemberships(who->user.id); memberships.ok()) {
    for (const store::Membership& m : *memberships) out.push_back(m.org.name);
  }
  return out;
}

Result<store::Space> HubCore::VisibleSpace(Call& call, std::string_view owner, std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  ASSIGN_OR_RETURN(store::Space space, FindSpace(owner, name));
  if (!access::CanSee(LevelOn(who, space), space)) return Status::NotFound("Space " + space.full_id() + " not found");
  return space;
}

Result<store::Space> HubCore::ReadableSpace(Call& call, std::string_view owner, std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, call.Caller());
  ASSIGN_OR_RETURN(store::Space space, FindSpace(owner, name));
  if (!access::CanRead(LevelOn(who, space), space)) return Status::NotFound("Space " + space.full_id() + " not found");
  return space;
}

Result<OwnedSpace> HubCore::OwnedSpaceFor(Call& call, std::string_view owner, std::string_view name, bool need_write,
                                          access::AccessLevel needed) {
  ASSIGN_OR_RETURN(access::Principal who, call.RequireCaller());
  ASSIGN_OR_RETURN(store::Space space, VisibleSpace(call, owner, name));
  access::AccessLevel level = LevelOn(who, space);
  if (level < needed) {
    std::string role = needed == access::AccessLevel::kAdmin ? "admin" : "write";
    return Status::PermissionDenied("you need the " + role + " role on " + space.full_id() + " to do this");
  }
  if (need_write && !who.can_write()) return Status::PermissionDenied("this token is read-only; use a write token");
  return OwnedSpace{std::move(space), std::move(who)};
}

std::string HubCore::PublicOrigin() const {
  std::string url = PublicUrl();
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  size_t path = url.find('/', scheme_end + 3);
  return ToLower(path == std::string::npos ? url : url.substr(0, path));
}

bool HubCore::IsSameSiteRequest(const http::Request& request) const {
  if (auto site = request.headers.Get("Sec-Fetch-Site")) {
    if (*site != "same-origin" && *site != "none") return false;
  }
  std::optional<std::string_view> origin = request.headers.Get("Origin");
  if (!origin) return true;  // not sent by every browser for same-origin POSTs; the CSRF token decides
  std::string o = ToLower(*origin);
  if (o == PublicOrigin()) return true;
  // The origin the browser actually used (another name for this host).
  std::optional<std::string_view> host = request.headers.Get("Host");
  if (!host) return false;
  std::string h = ToLower(*host);
  return o == "http://" + h || o == "https://" + h;
}

}  // namespace spaceport::hub
