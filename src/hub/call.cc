#include "hub/call.h"

#include "core/strings.h"
#include "access/sessions.h"

namespace spaceport::hub {

const std::string& Call::Param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::optional<std::string> Call::Query(std::string_view key) const { return QueryParam(request.query, key); }

Result<int64_t> Call::IntQuery(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  std::optional<std::string> text = Query(key);
  if (!text) return fallback;
  std::optional<int64_t> n = ParseInt(*text);
  if (!n || *n < min || *n > max) {
    return Status::InvalidArgument("'" + std::string(key) + "' must be an integer " +
                                   (max == std::numeric_limits<int64_t>::max()
                                        ? "of at least " + std::to_string(min)
                                        : "from " + std::to_string(min) + " to " + std::to_string(max)));
  }
  return *n;
}

Result<std::optional<access::Principal>> Call::Caller() {
  if (!caller_resolved_) {
    caller_resolved_ = true;
    if (auth_ != nullptr) {
      caller_ = auth_->Authenticate(request.headers);
    }
    bool safe = request.method == "GET" || request.method == "HEAD" || request.method == "OPTIONS";
    if (caller_.ok() && caller_->has_value() && (*caller_)->via_session && !safe && !form_route) {
      std::optional<std::string_view> sent = request.headers.Get("X-CSRF-Token");
      if (!sent || !access::CsrfTokenMatches((*caller_)->csrf_secret, *sent)) {
        caller_ = std::optional<access::Principal>();
      }
    }
  }
  return caller_;
}

Result<access::Principal> Call::RequireCaller() {
  ASSIGN_OR_RETURN(std::optional<access::Principal> who, Caller());
  if (!who) return Status::Unauthenticated("authentication required: send a token (Authorization: Bearer ...)");
  return std::move(*who);
}

Result<Json> Call::ReadJsonObject(size_t limit) {
  ASSIGN_OR_RETURN(std::string text, body.ReadAll(limit));
  if (Trim(text).empty()) return Json::object();
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return j;
}

Status Call::SendJson(int status, const Json& j) {
  http::Response r = http::Response::Json(status, DumpJson(j));
  r.headers.Set("Cache-Control", "no-store");
  return out.Send(r);
}

Status Call::SendHtml(int status, std::string html) {
  http::Response r = http::Response::Text(status, std::move(html), "text/html; charset=utf-8");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  r.headers.Set("Cache-Control", "no-store");
  return out.Send(r);
}

std::string DumpJson(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

namespace {
const Json* Field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

Result<std::optional<std::string>> OptString(const Json& obj, std::string_view key) {
  const Json* f = Field(obj, key);
  if (f == nullptr) return std::optional<std::string>();
  if (!f->is_string()) return Status::InvalidArgument("'" + std::string(key) + "' must be a string");
  return std::optional<std::string>(f->get_ref<const std::string&>());
}

Result<std::optional<bool>> OptBool(const Json& obj, std::string_view key) {
  const Json* f = Field(obj, key);
  if (f == nullptr) return std::optional<bool>();
  if (!f->is_boolean()) return Status::InvalidArgument("'" + std::string(key) + "' must be true or false");
  return std::optional<bool>(f->get<bool>());
}

Result<std::optional<int64_t>> OptInt(const Json& obj, std::string_view key) {
  const Json* f = Field(obj, key);
  if (f == nullptr) return std::optional<int64_t>();
  if (!f->is_number_integer()) return Status::InvalidArgument("'" + std::string(key) + "' must be an integer");
  return std::optional<int64_t>(f->get<int64_t>());
}

Json ParseStoredJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Json::object();
  return j;
}

}  // namespace spaceport::hub
