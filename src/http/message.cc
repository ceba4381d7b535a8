#include "http/message.h"

#include <algorithm>

#include "core/strings.h"

namespace spaceport::http {

void Headers::Set(std::string_view name, std::string value) {
  Remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return NameEquals(f.first, name); });
}

void Headers::RemoveAnySpelling(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return SpellsName(f.first, name); });
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (NameEquals(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

namespace {
bool ListHasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    if (NameEquals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}
}  // namespace

bool Headers::HasToken(std::string_view name, std::string_view token) const {
  for (const auto& f : fields_) {
    if (NameEquals(f.first, name) && ListHasToken(f.second, token)) return true;
  }
  return false;
}

std::string Request::host() const {
  auto h = headers.Get("Host");
  if (!h) return "";
  std::string_view v = Trim(*h);
  if (!v.empty() && v.front() == '[') {  // IPv6 literal: keep the brackets, drop the port
    size_t close = v.find(']');
    if (close != std::string_view::npos) v = v.substr(0, close + 1);
  } else if (size_t colon = v.rfind(':'); colon != std::string_view::npos) {
    v = v.substr(0, colon);
  }
  return ToLower(v);
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.Add("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::Json(int status, std::string json_body) {
  return Text(status, std::move(json_body), "application/json");
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void StripHopByHop(Headers& headers) {
  static constexpr std::string_view kHopByHop[] = {"Connection", "Keep-Alive", "Proxy-Connection", "TE",
                                                   "Trailer",    "Transfer-Encoding", "Upgrade"};
  // Names listed in Connection are views into that field's value, so they
  // are collected first and the fields removed in one pass afterwards.
  constexpr size_t kMaxListed = 16;
  std::string_view listed[kMaxListed];
  size_t n_listed = 0;
  bool listed_overflow = false;
  for (const auto& f : headers.fields()) {
    if (!NameEquals(f.first, "Connection")) continue;
    std::string_view list = f.second;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view t = Trim(list.substr(0, comma));
      if (!t.empty()) {
        if (n_listed < kMaxListed) {
          listed[n_listed++] = t;
        } else {
          listed_overflow = true;
        }
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  std::vector<std::string> more;  // only for absurd Connection lists
  if (listed_overflow) {
    for (const auto& f : headers.fields()) {
      if (!NameEquals(f.first, "Connection")) continue;
      for (auto& token : Split(f.second, ',')) more.emplace_back(Trim(token));
    }
  }
  auto hop = [&](const Headers::Field& f) {
    for (auto name : kHopByHop) {
      if (NameEquals(f.first, name)) return true;
    }
    for (size_t i = 0; i < n_listed; ++i) {
      if (NameEquals(f.first, listed[i])) return true;
    }
    for (const auto& name : more) {
      if (NameEquals(f.first, name)) return true;
    }
    return false;
  };
  auto& fields = headers.mutable_fields();
  // Most heads carry no hop-by-hop field: leave the vector untouched then.
  auto first = std::find_if(fields.begin(), fields.end(), hop);
  if (first == fields.end()) return;
  // The Connection value backing `listed` moves while erasing: copy it first.
  std::vector<std::string> keep(listed, listed + n_listed);
  n_listed = 0;
  for (auto& k : keep) more.push_back(std::move(k));
  std::erase_if(fields, hop);
}

}  // namespace spaceport::http
