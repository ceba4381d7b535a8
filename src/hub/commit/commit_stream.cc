#include "hub/commit/commit_stream.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "core/strings.h"
#include "hub/commit/commit_ndjson.h"

namespace spaceport::hub {
namespace {

constexpr size_t kChunk = 64 << 10;

// Undoes JSON string escapes a byte at a time (state kept across chunks),
// and checks the raw bytes are UTF-8 as JSON requires (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF).
class Unescaper {
 public:
  // True while a '"' would still belong to the string (after a backslash,
  // inside \uXXXX).
  bool mid_escape() const { return escaped_ || hex_left_ > 0; }
  bool done() const { return !mid_escape() && high_ == 0 && utf8_left_ == 0; }
  // False for what JSON does not allow in a string.
  bool Push(char c, std::string& out) {
    if (hex_left_ > 0) {
      int v = HexValue(c);
      if (v < 0) return false;
      code_ = code_ * 16 + static_cast<uint32_t>(v);
      if (--hex_left_ == 0) return EndCodeUnit(out);
      return true;
    }
    if (escaped_) {
      escaped_ = false;
      if (high_ != 0 && c != 'u') return false;
      switch (c) {
        case '"': case '\\': case '/': out += c; return true;
        case 'b': out += '\b'; return true;
        case 'f': out += '\f'; return true;
        case 'n': out += '\n'; return true;
        case 'r': out += '\r'; return true;
        case 't': out += '\t'; return true;
        case 'u': hex_left_ = 4; code_ = 0; return true;
        default: return false;
      }
    }
    const auto b = static_cast<unsigned char>(c);
    if (utf8_left_ > 0) {
      if (b < utf8_low_ || b > utf8_high_) return false;
      --utf8_left_;
      utf8_low_ = 0x80;
      utf8_high_ = 0xBF;
      out += c;
      return true;
    }
    if (c == '\\') {
      escaped_ = true;
      return true;
    }
    if (b < 0x20 || high_ != 0) return false;
    if (b >= 0x80 && !StartUtf8(b)) return false;
    out += c;
    return true;
  }

 private:
  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // The lead byte of a multi-byte sequence: how many continuation bytes
  // follow and the range of the first one.
  bool StartUtf8(unsigned char b) {
    utf8_low_ = 0x80;
    utf8_high_ = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      utf8_left_ = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      utf8_left_ = 2;
      if (b == 0xE0) utf8_low_ = 0xA0;
      if (b == 0xED) utf8_high_ = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      utf8_left_ = 3;
      if (b == 0xF0) utf8_low_ = 0x90;
      if (b == 0xF4) utf8_high_ = 0x8F;
    } else {
      return false;
    }
    return true;
  }

  bool EndCodeUnit(std::string& out) {
    uint32_t cp = code_;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (high_ != 0) return false;
      high_ = cp;  // a low surrogate must follow
      return true;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      if (high_ == 0) return false;
      cp = 0x10000 + ((high_ - 0xD800) << 10) + (cp - 0xDC00);
      high_ = 0;
    } else if (high_ != 0) {
      return false;
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
  }

  bool escaped_ = false;
  int utf8_left_ = 0;
  unsigned char utf8_low_ = 0x80, utf8_high_ = 0xBF;
  int hex_left_ = 0;
  uint32_t code_ = 0;
  uint32_t high_ = 0;
};

Status WriteAll(std::ofstream& out, std::string_view bytes, const std::string& path) {
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out || !out.flush()) return Status::Internal("writing " + path);
  return Status::Ok();
}

// Base64 text in a file to its bytes in another, a chunk at a time, with
// what Base64Decode accepts (the URL-safe alphabet, line breaks, missing
// padding). False when it is no base64.
Result<bool> DecodeBase64File(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) return Status::Internal("opening " + from + " or " + to);
  std::string pending;
  bool padded = false;
  std::vector<char> buf(kChunk);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    for (std::streamsize i = 0; i < n; ++i) {
      char c = buf[static_cast<size_t>(i)];
      if (c == '\n' || c == '\r' || c == ' ') continue;
      if (padded && c != '=') return false;  // '=' only at the end
      if (c == '=') padded = true;
      pending += c;
    }
    if (!padded && pending.size() >= kChunk) {
      size_t whole = pending.size() / 4 * 4;
      std::optional<std::string> bytes = Base64Decode(std::string_view(pending).substr(0, whole));
      if (!bytes) return false;
      RETURN_IF_ERROR(WriteAll(out, *bytes, to));
      pending.erase(0, whole);
    }
  }
  std::optional<std::string> rest = Base64Decode(pending);
  if (!rest) return false;
  RETURN_IF_ERROR(WriteAll(out, *rest, to));
  return true;
}

// A line too long to hold: scanned as it streams. Its value.content string
// goes, unescaped, to a spill file; everything else (the skeleton, with
// "content": "") is kept and parsed when the line ends.
class LongLine {
 public:
  LongLine(SpillFiles& spill, int line_no, size_t max_skeleton)
      : spill_(spill), line_no_(line_no), max_skeleton_(max_skeleton) {
    keys_.resize(1);
  }

  Status Feed(std::string_view bytes) {
    for (char c : bytes) RETURN_IF_ERROR(Step(c));
    return FlushCaptured(false);
  }

  // Adds the operation to `lines`, its bytes in a file.
  Status Finish(CommitLines& lines) {
    const std::string where = "line " + std::to_string(line_no_);
    RETURN_IF_ERROR(FlushCaptured(true));
    if (!captured_) return Status::InvalidArgument(where + " is too long (only a file's content may be big)");
    if (capturing_ || !unescape_.done()) return Status::InvalidArgument(where + ": not a JSON object (truncated?)");
    if (value_keys_ != 1 || content_keys_ != 1) return Status::InvalidArgument(where + ": a key given twice");
    Json j = Json::parse(skeleton_, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(where + ": not a JSON object (truncated?)");
    if (j.value("key", Json()) != "file") {
      return Status::InvalidArgument(where + " is too long (only a file's content may be big)");
    }
    const size_t ops_before = lines.request().ops.size();
    RETURN_IF_ERROR(lines.Add(skeleton_, line_no_));
    if (lines.request().ops.size() != ops_before + 1) return Status::Internal(where + ": no operation came of it");
    repo::CommitOp& op = lines.request().ops.back();
    if (op.path == ".gitattributes") return Status::InvalidArgument(where + ": .gitattributes is too large");
    const Json& value = j["value"];
    const bool base64 = value.contains("encoding") && value["encoding"] == "base64";
    if (!base64) {
      op.content_file = raw_path_;
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(std::string decoded, spill_.Create());
    ASSIGN_OR_RETURN(bool valid, DecodeBase64File(raw_path_, decoded));
    spill_.Forget(raw_path_);
    if (!valid) return Status::InvalidArgument(where + ": 'content' of '" + op.path + "' is not valid base64");
    op.content_file = decoded;
    return Status::Ok();
  }

 private:
  Status TooLong() const {
    return Status::InvalidArgument("line " + std::to_string(line_no_) +
                                   " is too long (only a file's content may be big)");
  }

  Status Step(char c) {
    if (capturing_) {
      if (c == '"' && !unescape_.mid_escape()) {
        capturing_ = false;
        skeleton_ += '"';
        after_colon_ = false;
        return Status::Ok();
      }
      if (!unescape_.Push(c, captured_bytes_)) {
        return Status::InvalidArgument("line " + std::to_string(line_no_) + ": bad escape or control byte in 'content'");
      }
      return captured_bytes_.size() >= kChunk ? FlushCaptured(false) : Status::Ok();
    }
    if (skeleton_.size() >= max_skeleton_) return TooLong();
    if (in_string_) {
      skeleton_ += c;
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
        string_escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
        key_candidate_ = true;
      } else if (string_.size() < 64) {
        string_ += c;
      } else {
        string_.clear();
        string_too_long_ = true;
      }
      return Status::Ok();
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      skeleton_ += c;
      return Status::Ok();
    }
    if (c == '"') {
      const bool is_content = after_colon_ && depth_ == 2 && keys_[1] == "value" && keys_[2] == "content";
      skeleton_ += c;
      key_candidate_ = false;
      if (is_content && !captured_) {
        ASSIGN_OR_RETURN(raw_path_, spill_.Create());
        out_.open(raw_path_, std::ios::binary | std::ios::trunc);
        if (!out_) return Status::Internal("opening " + raw_path_);
        capturing_ = true;
        captured_ = true;
        return Status::Ok();
      }
      in_string_ = true;
      string_.clear();
      string_too_long_ = false;
      string_escaped_ = false;
      after_colon_ = false;
      return Status::Ok();
    }
    skeleton_ += c;
    if (c == ':') {
      if (key_candidate_ && depth_ > 0) {
        // Keys are compared as written: one spelled with escapes could mean
        // "content" to the JSON parser and not to this scan.
        if (string_escaped_) return Status::InvalidArgument("line " + std::to_string(line_no_) + ": escaped keys are not supported in a line this long");
        std::string& key = keys_[static_cast<size_t>(depth_)];
        key = string_too_long_ ? "" : string_;
        if (depth_ == 1 && key == "value") ++value_keys_;
        if (depth_ == 2 && keys_[1] == "value" && key == "content") ++content_keys_;
      }
      after_colon_ = true;
    } else {
      after_colon_ = false;
      if (c == '{' || c == '[') {
        ++depth_;
        if (keys_.size() <= static_cast<size_t>(depth_)) keys_.resize(static_cast<size_t>(depth_) + 1);
        keys_[static_cast<size_t>(depth_)].clear();
      } else if ((c == '}' || c == ']') && depth_ > 0) {
        --depth_;
      }
    }
    key_candidate_ = false;
    return Status::Ok();
  }

  Status FlushCaptured(bool close) {
    if (!captured_bytes_.empty()) {
      RETURN_IF_ERROR(spill_.Charge(captured_bytes_.size()));
      RETURN_IF_ERROR(WriteAll(out_, captured_bytes_, raw_path_));
      captured_bytes_.clear();
    }
    if (close && out_.is_open()) {
      out_.close();
      if (out_.fail()) return Status::Internal("writing " + raw_path_);
    }
    return Status::Ok();
  }

  SpillFiles& spill_;
  const int line_no_;
  const size_t max_skeleton_;
  std::string skeleton_;
  // Lexing outside the captured string.
  bool in_string_ = false, escaped_ = false, after_colon_ = false, key_candidate_ = false;
  std::string string_;  // the last string's text, while short (keys)
  bool string_too_long_ = false, string_escaped_ = false;
  int value_keys_ = 0, content_keys_ = 0;  // duplicates would make the parse differ
  int depth_ = 0;
  std::vector<std::string> keys_;  // the current key at each depth
  // The captured value.content.
  bool capturing_ = false, captured_ = false;
  Unescaper unescape_;
  std::string captured_bytes_;  // unescaped, not yet written
  std::string raw_path_;
  std::ofstream out_;
};

// Moves a short line's content to a spill file once the commit holds more
// than kInMemoryBytes in memory.
Status SpillIfOverBudget(repo::CommitOp& op, size_t& in_memory, size_t budget, SpillFiles& spill) {
  if (op.kind != repo::CommitOpKind::kAddFile || !op.content_file.empty()) return Status::Ok();
  in_memory += op.content.size();
  if (in_memory <= budget || op.path == ".gitattributes") return Status::Ok();
  RETURN_IF_ERROR(spill.Charge(op.content.size()));
  ASSIGN_OR_RETURN(std::string path, spill.Create());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  RETURN_IF_ERROR(WriteAll(out, op.content, path));
  in_memory -= op.content.size();
  op.content_file = path;
  std::string().swap(op.content);
  return Status::Ok();
}

}  // namespace

SpillFiles::~SpillFiles() {
  for (const std::string& p : paths_) unlink(p.c_str());
}

Result<std::string> SpillFiles::Create() {
  std::string path = dir_ + "/spaceport-commit-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) return Status::Internal("creating a file in " + dir_ + " for the commit's content");
  close(fd);
  paths_.push_back(path);
  return path;
}

Status SpillFiles::Charge(size_t n) {
  bytes_ += n;
  if (bytes_ <= max_bytes_) return Status::Ok();
  return Status::PayloadTooLarge(too_large_.empty() ? "the commit's contents are too large" : too_large_);
}

void SpillFiles::Forget(const std::string& path) {
  unlink(path.c_str());
  std::erase(paths_, path);
}

Result<repo::CommitRequest> ReadCommitNdjson(http::BodyReader& body, uint64_t max_body, SpillFiles& spill,
                                             size_t whole_line_bytes, size_t in_memory_bytes) {
  CommitLines lines;
  std::string line;                      // the current line while it is short
  std::unique_ptr<LongLine> long_line;   // once it is not
  int line_no = 1;
  uint64_t total = 0;
  size_t in_memory = 0;
  auto end_line = [&]() -> Status {
    if (long_line) {
      RETURN_IF_ERROR(long_line->Finish(lines));
      long_line.reset();
    } else {
      const size_t ops_before = lines.request().ops.size();
      RETURN_IF_ERROR(lines.Add(line, line_no));
      line.clear();
      if (lines.request().ops.size() > ops_before) {
        RETURN_IF_ERROR(SpillIfOverBudget(lines.request().ops.back(), in_memory, in_memory_bytes, spill));
      }
    }
    ++line_no;
    return Status::Ok();
  };
  std::vector<char> buf(kChunk);
  while (true) {
    ASSIGN_OR_RETURN(size_t n, body.Read(buf.data(), buf.size()));
    if (n == 0) break;
    total += n;
    if (total > max_body) {
      return Status::PayloadTooLarge("the commit is larger than " + std::to_string(max_body >> 20) + " MB");
    }
    std::string_view chunk(buf.data(), n);
    while (!chunk.empty()) {
      size_t nl = chunk.find('\n');
      std::string_view piece = chunk.substr(0, nl == std::string_view::npos ? chunk.size() : nl);
      if (long_line) {
        RETURN_IF_ERROR(long_line->Feed(piece));
      } else {
        line.append(piece);
        if (line.size() > whole_line_bytes) {
          long_line = std::make_unique<LongLine>(spill, line_no, kWholeLineBytes);
          RETURN_IF_ERROR(long_line->Feed(line));
          std::string().swap(line);
        }
      }
      if (nl == std::string_view::npos) break;
      RETURN_IF_ERROR(end_line());
      chunk.remove_prefix(nl + 1);
    }
  }
  RETURN_IF_ERROR(end_line());
  return lines.Finish();
}

}  // namespace spaceport::hub
