// FakeHub (tests only): a tiny HTTP/1.1 server on 127.0.0.1:0 answering
// canned responses and recording every request it gets.
//
// One thread, blocking loopback sockets, one request per connection
// ("Connection: close"). Routes match "METHOD target" exactly (target with
// its query). A route holds a sequence of responses: each request takes the
// next one and the last one repeats. Unknown routes get 404 {"error": ...}.
// Thread safety: Route/Requests may be called from the test thread while the
// server runs.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace spaceport::cli::testing {

struct CannedResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  int hold_ms = 0;  // keep the connection open this long after the body (streams)
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive, "" if absent
};

class FakeHub {
 public:
  FakeHub();
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Route(const std::string& method, const std::string& target, std::vector<CannedResponse> responses);
  void Route(const std::string& method, const std::string& target, int status, std::string body) {
    Route(method, target, std::vector<CannedResponse>{{status, std::move(body)}});
  }
  // The answer for routes not set (default: 404 {"error": "no route ..."}).
  void SetDefault(CannedResponse response);
  std::vector<RecordedRequest> Requests() const;
  // Requests whose "METHOD target" equals key.
  std::vector<RecordedRequest> RequestsTo(const std::string& method, const std::string& target) const;

 private:
  void Serve();
  void HandleConnection(int fd);
  CannedResponse Next(const std::string& method, const std::string& target);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<std::string, std::vector<CannedResponse>> routes_;
  std::map<std::string, size_t> served_;
  std::optional<CannedResponse> default_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

}  // namespace spaceport::cli::testing
