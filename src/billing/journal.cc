#include "billing/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.h"
#include "core/strings.h"

namespace spaceport::billing {
namespace {

namespace fs = std::filesystem;

constexpr char kPrefix[] = "ledger-";
constexpr char kSuffix[] = ".journal";
// The segment being appended to is zero-filled ahead of its records, a
// step at a time: a sync then flushes data only. Growing the file at every
// append made each fdatasync commit the file's new size too (measured here:
// 0.26 ms a sync appending, 0.15 ms writing into zero-filled blocks).
constexpr int64_t kPreallocateStep = 4LL << 20;

uint64_t Fnv1a(std::string_view data) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

// Text fields never hold tabs or newlines: the ref is escaped, the rest
// (ids, accounts, kinds) cannot contain them.
void AppendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

void Hold(std::string& out, char tag, const store::LedgerHold& h) {
  out += tag;
  out += '\t';
  AppendEscaped(out, h.id);
  out += '\t';
  AppendEscaped(out, h.account);
  out += '\t' + std::to_string(h.amount) + '\t' + std::to_string(h.at) + '\n';
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

bool Int(std::string_view s, int64_t* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

// One record's payload into batches; false when it does not parse (a bug
// or corruption the checksum missed: the record is not used).
bool DecodePayload(std::string_view payload, std::vector<store::LedgerBatch>* out) {
  store::LedgerBatch batch;
  while (!payload.empty()) {
    size_t nl = payload.find('\n');
    if (nl == std::string_view::npos) return false;
    std::string_view line = payload.substr(0, nl);
    payload.remove_prefix(nl + 1);
    std::vector<std::string_view> f = Fields(line);
    if (f[0] == "E" && f.size() == 1) {
      out->push_back(std::move(batch));
      batch = store::LedgerBatch();
    } else if ((f[0] == "P" || f[0] == "V") && f.size() == 5) {
      store::LedgerHold h{Unescape(f[1]), Unescape(f[2]), 0, 0};
      if (!Int(f[3], &h.amount) || !Int(f[4], &h.at)) return false;
      (f[0] == "P" ? batch.posted : batch.voided).push_back(std::move(h));
    } else if (f[0] == "T" && f.size() == 9) {
      store::LedgerTransfer t;
      t.id = Unescape(f[1]);
      t.debit = Unescape(f[2]);
      t.credit = Unescape(f[3]);
      t.kind = Unescape(f[5]);
      t.ref = Unescape(f[8]);
      if (!Int(f[4], &t.amount) || !Int(f[6], &t.space_id) || !Int(f[7], &t.at)) return false;
      batch.transfers.push_back(std::move(t));
    } else {
      return false;
    }
  }
  return batch.empty();
}

}  // namespace

std::string Journal::EncodeRecord(const std::vector<const store::LedgerBatch*>& batches) {
  std::string payload;
  for (const store::LedgerBatch* b : batches) {
    for (const store::LedgerHold& h : b->posted) Hold(payload, 'P', h);
    for (const store::LedgerHold& h : b->voided) Hold(payload, 'V', h);
    for (const store::LedgerTransfer& t : b->transfers) {
      payload += "T\t";
      AppendEscaped(payload, t.id);
      payload += '\t';
      AppendEscaped(payload, t.debit);
      payload += '\t';
      AppendEscaped(payload, t.credit);
      payload += '\t' + std::to_string(t.amount) + '\t';
      AppendEscaped(payload, t.kind);
      payload += '\t' + std::to_string(t.space_id) + '\t' + std::to_string(t.at) + '\t';
      AppendEscaped(payload, t.ref);
      payload += '\n';
    }
    payload += "E\n";
  }
  char head[64];
  std::snprintf(head, sizeof(head), "R %zu %016llx\n", payload.size(),
                static_cast<unsigned long long>(Fnv1a(payload)));
  return head + payload;
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("creating " + dir + ": " + ec.message());
  std::unique_ptr<Journal> j(new Journal(dir));
  // One process at a time: another one folding and removing segments this
  // one still appends to would lose acknowledged charges.
  const std::string lock_path = dir + "/lock";
  j->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (j->lock_fd_ < 0) return Errno("opening", lock_path);
  if (::flock(j->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::FailedPrecondition("the ledger's journal in " + dir +
                                      " is in use by another process (is the server running? stop it first)");
  }
  MutexLock lock(j->mu_);
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!StartsWith(name, kPrefix) || !EndsWith(name, kSuffix)) continue;
    std::string_view n(name);
    n.remove_prefix(sizeof(kPrefix) - 1);
    n.remove_suffix(sizeof(kSuffix) - 1);
    int64_t seq = 0;
    if (!Int(n, &seq) || seq <= 0) continue;
    found.emplace_back(static_cast<uint64_t>(seq), e.path().string());
  }
  if (ec) return Status::Unavailable("listing " + dir + ": " + ec.message());
  std::sort(found.begin(), found.end());
  for (const auto& [seq, path] : found) {
    j->next_segment_ = seq + 1;
    int64_t size = static_cast<int64_t>(fs::file_size(path, ec));
    if (!ec && size == 0) {
      ::unlink(path.c_str());  // started, never written
      continue;
    }
    j->sealed_.push_back(path);
    j->sealed_bytes_.push_back(ec ? 0 : size);
    j->unfolded_bytes_ += ec ? 0 : size;
  }
  RETURN_IF_ERROR(j->StartSegment());
  return j;
}

Journal::~Journal() {
  MutexLock lock(mu_);
  if (fd_ >= 0) {
    if (current_bytes_ == 0) {
      ::unlink(current_.c_str());
    } else if (::ftruncate(fd_, current_bytes_) != 0) {
      SP_LOG(kWarn) << "ledger journal: trimming " << current_ << ": " << std::strerror(errno);
    }
    ::close(fd_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

Status Journal::StartSegment() {
  current_ = dir_ + "/" + kPrefix + std::to_string(next_segment_++) + kSuffix;
  fd_ = ::open(current_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, 0600);
  if (fd_ < 0) return Errno("creating", current_);
  current_bytes_ = 0;
  allocated_bytes_ = 0;
  // The new file's name on disk before anything in it counts.
  int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Errno("opening", dir_);
  int rc = ::fsync(dir);
  ::close(dir);
  if (rc != 0) return Errno("syncing", dir_);
  return Status::Ok();
}

Status Journal::WriteAt(std::string_view data, int64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd_, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("appending to", current_);
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return Status::Ok();
}

Status Journal::Append(const std::vector<const store::LedgerBatch*>& batches) {
  const std::string record = EncodeRecord(batches);
  MutexLock lock(mu_);
  if (fd_ < 0) RETURN_IF_ERROR(StartSegment());
  Status failed;
  const int64_t end = current_bytes_ + static_cast<int64_t>(record.size());
  if (end > allocated_bytes_) {  // zeros ahead, synced with this record
    static const std::string kZeros(1 << 20, '\0');
    const int64_t to = (end / kPreallocateStep + 1) * kPreallocateStep;
    for (int64_t at = allocated_bytes_; failed.ok() && at < to; at += static_cast<int64_t>(kZeros.size())) {
      failed = WriteAt(std::string_view(kZeros).substr(0, static_cast<size_t>(std::min<int64_t>(to - at, kZeros.size()))), at);
    }
    if (failed.ok()) allocated_bytes_ = to;
  }
  if (failed.ok()) failed = WriteAt(record, current_bytes_);
  if (failed.ok() && ::fdatasync(fd_) != 0) failed = Errno("syncing", current_);
  if (failed.ok()) {
    current_bytes_ += static_cast<int64_t>(record.size());
    unfolded_bytes_ += static_cast<int64_t>(record.size());
    return Status::Ok();
  }
  // The caller reports these charges as not made, so the record must not
  // survive: cut the segment back to where it was, on disk, and start
  // another. If even that fails the record might be folded later although
  // its requests were refused; stopping is the only safe answer.
  if (::ftruncate(fd_, current_bytes_) != 0 || ::fdatasync(fd_) != 0) {
    SP_LOG(kError) << "ledger journal: " << failed.message() << ", and it cannot be cut back: "
                   << std::strerror(errno) << "; stopping";
    std::abort();
  }
  ::close(fd_);
  fd_ = -1;
  if (current_bytes_ > 0) {
    sealed_.push_back(current_);
    sealed_bytes_.push_back(current_bytes_);
  } else {
    ::unlink(current_.c_str());
  }
  return failed;
}

Result<std::vector<std::string>> Journal::Seal() {
  MutexLock lock(mu_);
  if (fd_ >= 0 && current_bytes_ > 0) {
    // The zeros ahead go (a segment left by a crash keeps them: read as
    // its end).
    if (::ftruncate(fd_, current_bytes_) != 0) return Errno("trimming", current_);
    ::close(fd_);
    fd_ = -1;
    sealed_.push_back(current_);
    sealed_bytes_.push_back(current_bytes_);
    RETURN_IF_ERROR(StartSegment());
  }
  return sealed_;
}

int64_t Journal::unfolded_bytes() const {
  MutexLock lock(mu_);
  return unfolded_bytes_;
}

int64_t Journal::appended_bytes_in_current() const {
  MutexLock lock(mu_);
  return current_bytes_;
}

Status Journal::ReadSegment(const std::string& path, const std::function<Status(store::LedgerBatch)>& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("reading " + path + ": " + std::strerror(errno));
  std::string line, payload;
  // A bad record at the end is a torn append (never acknowledged); one with
  // more after it is damage, and what follows is not read: said loudly.
  // The zeros filled ahead of the records are no damage.
  auto stop = [&](const char* why) {
    in.clear();
    const std::streampos at = in.tellg();
    bool zeros = true;
    for (int c; zeros && (c = in.get()) != EOF;) zeros = c == 0;
    in.clear();
    in.seekg(0, std::ios::end);
    if (!zeros) {
      SP_LOG(kError) << "ledger journal " << path << ": " << why << " before its end; "
                     << static_cast<int64_t>(in.tellg() - at) << " bytes after it are not read";
    }
    return Status::Ok();
  };
  while (std::getline(in, line)) {
    size_t size = 0;
    unsigned long long sum = 0;
    if (std::sscanf(line.c_str(), "R %zu %llx", &size, &sum) != 2 || size > (1u << 30)) return stop("a bad header");
    payload.resize(size);
    if (!in.read(payload.data(), static_cast<std::streamsize>(size))) return stop("a record cut short");
    if (Fnv1a(payload) != sum) return stop("a record that fails its checksum");
    std::vector<store::LedgerBatch> batches;
    if (!DecodePayload(payload, &batches)) return stop("a record that does not parse");
    for (store::LedgerBatch& b : batches) RETURN_IF_ERROR(each(std::move(b)));
  }
  return Status::Ok();
}

Status Journal::Quarantine(const store::LedgerBatch& batch, const std::string& why) {
  const std::string path = dir_ + "/quarantine.journal";
  SP_LOG(kError) << "ledger journal: a batch the store refuses (" << why << ") is set aside in " << path
                 << " for an operator; the rest is folded";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("opening", path);
  const std::string record = EncodeRecord({&batch});
  bool ok = ::write(fd, record.data(), record.size()) == static_cast<ssize_t>(record.size()) && ::fdatasync(fd) == 0;
  Status s = ok ? Status::Ok() : Errno("writing", path);
  ::close(fd);
  return s;
}

Status Journal::Remove(const std::string& path) {
  MutexLock lock(mu_);
  auto it = std::find(sealed_.begin(), sealed_.end(), path);
  if (it == sealed_.end()) return Status::NotFound("no sealed segment " + path);
  size_t i = static_cast<size_t>(it - sealed_.begin());
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("removing", path);
  unfolded_bytes_ -= sealed_bytes_[i];
  sealed_.erase(it);
  sealed_bytes_.erase(sealed_bytes_.begin() + static_cast<std::ptrdiff_t>(i));
  return Status::Ok();
}

}  // namespace spaceport::billing
