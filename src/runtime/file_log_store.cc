// MakeFileLogStore (runtime/log_store.h): an in-memory ring of recent lines
// per (space, kind) for Tail/Wait, mirrored to plain-text files for operators.
//
// Files are opened per append (O_APPEND) so a thousand Spaces do not pin two
// thousand descriptors. Space ids that could escape `dir` are kept in memory
// only. File errors are logged and never reach the caller: logs are best effort.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/log.h"
#include "core/strings.h"
#include "runtime/log_store.h"

namespace spaceport::runtime {
namespace {

constexpr size_t kRingLines = 1000;
constexpr size_t kRingBytes = 256 << 10;
constexpr size_t kMaxLineBytes = 16 << 10;  // longer runs of bytes are cut into several lines

bool SafeSegment(std::string_view s) {
  if (s.empty() || s[0] == '.' || s.size() > 200) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}

struct Stream {
  std::deque<LogLine> ring;
  size_t ring_bytes = 0;
  uint64_t last_seq = 0;
  std::string partial;
  std::string path;        // empty: memory only
  int64_t file_bytes = -1; // -1: not yet looked at
  bool forgotten = false;  // wakes followers of a deleted Space
  std::condition_variable cv;
};

using Key = std::pair<std::string, LogKind>;

class FileLogStore : public LogStore {
 public:
  FileLogStore(std::string dir, const Clock* clock, size_t max_bytes)
      : dir_(std::move(dir)), clock_(clock), max_bytes_(max_bytes) {}

  void Append(std::string_view space_id, LogKind kind, std::string_view text) override;
  void Flush(std::string_view space_id, LogKind kind) override;
  void Reset(std::string_view space_id, LogKind kind) override;
  std::vector<LogLine> Tail(std::string_view space_id, LogKind kind, size_t max_lines) override;
  std::vector<LogLine> Wait(std::string_view space_id, LogKind kind, uint64_t after_seq, Millis wait) override;
  void Forget(std::string_view space_id) override;

 private:
  std::shared_ptr<Stream> StreamLocked(std::string_view space_id, LogKind kind);
  std::string PathFor(std::string_view space_id, LogKind kind) const;
  void EmitLocked(Stream& s, std::string text, std::string& file_out);
  void WriteFileLocked(Stream& s, const std::string& data);

  const std::string dir_;
  const Clock* clock_;
  const size_t max_bytes_;
  std::mutex mu_;
  std::map<Key, std::shared_ptr<Stream>> streams_;
};

std::string FileLogStore::PathFor(std::string_view space_id, LogKind kind) const {
  if (dir_.empty()) return "";
  std::vector<std::string> parts = Split(space_id, '/');
  if (parts.size() != 2 || !SafeSegment(parts[0]) || !SafeSegment(parts[1])) return "";
  return dir_ + "/" + parts[0] + "/" + parts[1] + (kind == LogKind::kBuild ? "/build.log" : "/run.log");
}

std::shared_ptr<Stream> FileLogStore::StreamLocked(std::string_view space_id, LogKind kind) {
  Key key(std::string(space_id), kind);
  auto it = streams_.find(key);
  if (it != streams_.end()) return it->second;
  auto s = std::make_shared<Stream>();
  s->path = PathFor(space_id, kind);
  streams_.emplace(std::move(key), s);
  return s;
}

void FileLogStore::EmitLocked(Stream& s, std::string text, std::string& file_out) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  file_out += text;
  file_out += '\n';
  s.ring_bytes += text.size();
  s.ring.push_back(LogLine{++s.last_seq, clock_->UnixMillis(), std::move(text)});
  while (s.ring.size() > kRingLines || (s.ring_bytes > kRingBytes && s.ring.size() > 1)) {
    s.ring_bytes -= s.ring.front().text.size();
    s.ring.pop_front();
  }
}

void FileLogStore::WriteFileLocked(Stream& s, const std::string& data) {
  if (s.path.empty() || data.empty()) return;
  std::error_code ec;
  if (s.file_bytes < 0) {
    std::filesystem::create_directories(std::filesystem::path(s.path).parent_path(), ec);
    auto size = std::filesystem::file_size(s.path, ec);
    s.file_bytes = ec ? 0 : static_cast<int64_t>(size);
  }
  if (s.file_bytes > 0 && static_cast<size_t>(s.file_bytes) + data.size() > max_bytes_) {
    std::filesystem::rename(s.path, s.path + ".1", ec);  // keeps one rotated file
    s.file_bytes = 0;
  }
  int fd = open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    SP_LOG(kWarn) << "log file " << s.path << ": " << strerror(errno);
    return;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  close(fd);
  s.file_bytes += static_cast<int64_t>(done);
}

void FileLogStore::Append(std::string_view space_id, LogKind kind, std::string_view text) {
  std::lock_guard lock(mu_);
  Stream& s = *StreamLocked(space_id, kind);
  std::string file_out;
  uint64_t before = s.last_seq;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    size_t room = kMaxLineBytes - std::min(kMaxLineBytes, s.partial.size());
    if (nl == std::string_view::npos && text.size() < room) {
      s.partial.append(text);
      break;
    }
    size_t take = std::min(nl == std::string_view::npos ? text.size() : nl, room);
    s.partial.append(text.substr(0, take));
    text.remove_prefix(take);
    if (!text.empty() && text[0] == '\n') text.remove_prefix(1);
    EmitLocked(s, std::move(s.partial), file_out);
    s.partial.clear();
  }
  WriteFileLocked(s, file_out);
  if (s.last_seq != before) s.cv.notify_all();
}

void FileLogStore::Flush(std::string_view space_id, LogKind kind) {
  std::lock_guard lock(mu_);
  Stream& s = *StreamLocked(space_id, kind);
  if (s.partial.empty()) return;
  std::string file_out;
  EmitLocked(s, std::move(s.partial), file_out);
  s.partial.clear();
  WriteFileLocked(s, file_out);
  s.cv.notify_all();
}

void FileLogStore::Reset(std::string_view space_id, LogKind kind) {
  std::lock_guard lock(mu_);
  Stream& s = *StreamLocked(space_id, kind);
  s.ring.clear();
  s.ring_bytes = 0;
  s.partial.clear();
  if (!s.path.empty()) {
    std::error_code ec;
    std::filesystem::remove(s.path, ec);
    std::filesystem::remove(s.path + ".1", ec);
    s.file_bytes = -1;  // looked at (and its directory made) again on the next write
  }
  s.cv.notify_all();
}

std::vector<LogLine> FileLogStore::Tail(std::string_view space_id, LogKind kind, size_t max_lines) {
  std::lock_guard lock(mu_);
  Stream& s = *StreamLocked(space_id, kind);
  size_t n = std::min(max_lines, s.ring.size());
  return std::vector<LogLine>(s.ring.end() - static_cast<std::ptrdiff_t>(n), s.ring.end());
}

std::vector<LogLine> FileLogStore::Wait(std::string_view space_id, LogKind kind, uint64_t after_seq, Millis wait) {
  std::unique_lock lock(mu_);
  // Holding the shared_ptr keeps the stream (and its cv) alive across Forget.
  std::shared_ptr<Stream> s = StreamLocked(space_id, kind);
  // Lines dropped by Reset do not count: wait for a line that can be returned.
  s->cv.wait_for(lock, wait, [&] { return s->forgotten || (!s->ring.empty() && s->ring.back().seq > after_seq); });
  std::vector<LogLine> out;
  for (const LogLine& line : s->ring) {
    if (line.seq > after_seq) out.push_back(line);
  }
  return out;
}

void FileLogStore::Forget(std::string_view space_id) {
  std::lock_guard lock(mu_);
  for (LogKind kind : {LogKind::kBuild, LogKind::kRun}) {
    auto it = streams_.find(Key(std::string(space_id), kind));
    if (it == streams_.end()) continue;
    it->second->forgotten = true;
    it->second->cv.notify_all();
    streams_.erase(it);
  }
  std::string build_path = PathFor(space_id, LogKind::kBuild);
  if (!build_path.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(build_path).parent_path(), ec);
  }
}

}  // namespace

std::unique_ptr<LogStore> MakeFileLogStore(std::string dir, const Clock* clock, size_t max_bytes) {
  return std::make_unique<FileLogStore>(std::move(dir), clock, max_bytes);
}

}  // namespace spaceport::runtime
