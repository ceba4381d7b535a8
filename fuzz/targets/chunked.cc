// Fuzz target: chunked bodies (http::ChunkedDecoder::Feed, http/parser.h), cut
// into 1-3 pieces where the first byte says, decoded both passed through
// (out == nullptr) and de-chunked. Checks: Feed consumes a prefix of what it is
// given; both modes agree on the bytes consumed, errors and the body's end;
// de-chunked data never outgrows the bytes consumed (unless the body failed); and the input encoded with
// AppendChunk + kLastChunk decodes back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/parser.h"

namespace spaceport::http {
namespace {

struct Decoded {
  bool failed = false;
  bool done = false;
  size_t consumed = 0;
  std::string data;
};

Decoded Decode(std::string_view bytes, uint8_t selector, bool dechunk) {
  ChunkedDecoder decoder;
  Decoded result;
  for (size_t end : fuzz::PieceEnds(selector, bytes.size())) {
    std::string_view piece = bytes.substr(result.consumed, end - result.consumed);
    Result<size_t> n = decoder.Feed(piece, dechunk ? &result.data : nullptr);
    if (!n.ok()) {
      result.failed = true;
      break;
    }
    SP_FUZZ_CHECK(*n <= piece.size());
    result.consumed += *n;
    if (decoder.done()) break;
  }
  result.done = decoder.done();
  return result;
}

void RoundTrip(std::string_view bytes, uint8_t selector) {
  size_t cut = fuzz::PieceEnds(selector, bytes.size())[0];
  std::string encoded;
  AppendChunk(&encoded, bytes.substr(0, cut));
  AppendChunk(&encoded, bytes.substr(cut));
  encoded += kLastChunk;
  ChunkedDecoder decoder;
  std::string data;
  Result<size_t> n = decoder.Feed(encoded, &data);
  SP_FUZZ_CHECK(n.ok() && *n == encoded.size() && decoder.done() && data == bytes);
}

}  // namespace
}  // namespace spaceport::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  spaceport::http::Decoded passed = spaceport::http::Decode(bytes, data[0], /*dechunk=*/false);
  spaceport::http::Decoded dechunked = spaceport::http::Decode(bytes, data[0], /*dechunk=*/true);
  SP_FUZZ_CHECK(passed.failed == dechunked.failed && passed.done == dechunked.done &&
                passed.consumed == dechunked.consumed);
  // (After an error Feed may have appended data of a piece it did not report consumed.)
  SP_FUZZ_CHECK(dechunked.failed || dechunked.data.size() <= dechunked.consumed);
  spaceport::http::RoundTrip(bytes, data[0]);
  return 0;
}
