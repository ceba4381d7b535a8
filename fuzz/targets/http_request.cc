// Fuzz target: HTTP/1.1 heads as the edge reads them (http/parser.h). The first
// byte picks where the rest is cut into 1-3 pieces fed to ParseRequest as
// growing prefixes; a parsed head goes to RequestFraming and the bytes after it
// to a ChunkedDecoder (pass-through and de-chunking). The same bytes also go to
// ParseResponse + ResponseFraming. Checks: pieces give the one-shot outcome and
// head size, request errors are 400/431/501/505, nothing is read past the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/parser.h"

namespace spaceport::http {
namespace {

// Small enough that the 431 path is reachable under libFuzzer's default -max_len.
constexpr size_t kMaxHead = 2048;

void DecodeBody(std::string_view body) {
  ChunkedDecoder pass_through;
  Result<size_t> passed = pass_through.Feed(body, nullptr);
  SP_FUZZ_CHECK(!passed.ok() || *passed <= body.size());
  ChunkedDecoder dechunk;
  std::string data;
  Result<size_t> decoded = dechunk.Feed(body, &data);
  SP_FUZZ_CHECK(!decoded.ok() || (*decoded <= body.size() && data.size() <= *decoded));
}

void FuzzRequest(std::string_view bytes, uint8_t selector) {
  HeadParser parser(kMaxHead);
  Request request;
  ParseOutcome outcome = ParseOutcome::kNeedMore;
  for (size_t end : fuzz::PieceEnds(selector, bytes.size())) {
    outcome = parser.ParseRequest(bytes.substr(0, end), &request);
    if (outcome != ParseOutcome::kNeedMore) break;
  }
  HeadParser one_shot(kMaxHead);
  Request same;
  SP_FUZZ_CHECK(one_shot.ParseRequest(bytes, &same) == outcome);
  if (outcome == ParseOutcome::kError) {
    int s = parser.error_status();
    SP_FUZZ_CHECK(s == 400 || s == 431 || s == 501 || s == 505);
    return;
  }
  if (outcome != ParseOutcome::kDone) return;
  SP_FUZZ_CHECK(parser.head_size() == one_shot.head_size() && parser.head_size() <= bytes.size());
  static_cast<void>(RequestFraming(request));
  DecodeBody(bytes.substr(parser.head_size()));
}

void FuzzResponse(std::string_view bytes) {
  HeadParser parser(kMaxHead);
  ResponseHead head;
  if (parser.ParseResponse(bytes, &head) != ParseOutcome::kDone) return;
  SP_FUZZ_CHECK(parser.head_size() <= bytes.size());
  static_cast<void>(ResponseFraming("GET", head));
  static_cast<void>(ResponseFraming("HEAD", head));
}

}  // namespace
}  // namespace spaceport::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  spaceport::http::FuzzRequest(bytes, data[0]);
  spaceport::http::FuzzResponse(bytes);
  return 0;
}
