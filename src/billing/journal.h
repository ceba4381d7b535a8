// Journal: the ledger's charges on disk before the store has them
// (docs/billing.md, "Durability"). The edge's hot path writes each group of
// charges here, one append and one fdatasync, and answers; the ledger folds
// the journal into the store (store::BillingStore::Apply) in large
// transactions in the background, and replays what is left at the next
// start. A charge is durable once Append returns.
//
// Files: <dir>/ledger-<n>.journal, appended to until sealed (zero-filled a
// few MB ahead of the last record, the zeros trimmed when sealed); sealed segments
// are folded oldest first and removed once the store has them. Each Append is
// one record: a header line "R <payload bytes> <FNV-1a 64 hex>" and the
// payload (one line per posted hold, voided hold and transfer, "E" after each
// batch). A record cut short by a crash, or whose checksum does not match,
// ends the segment: it was never acknowledged. So do zeros where a header
// should be (the filled space ahead, in a segment left by a crash).
//
// One process at a time (a lock file; Open fails while another holds it).
// A record whose append or sync fails is cut off again before Append
// returns the error (the process stops if that fails too), so a charge
// reported as not made never reaches the store.
// Thread safety: Append and Seal may be called from different threads (a
// mutex); ReadSegment and Remove touch sealed segments only.
// Failure: Internal/Unavailable with the file and errno for I/O errors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "store/billing_store.h"

namespace spaceport::billing {

class Journal {
 public:
  // Creates `dir` if needed; the segments left by an earlier run are sealed
  // (see Seal) and a new one is started.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // One record holding `batches`, on disk (fdatasync) when this returns.
  Status Append(const std::vector<const store::LedgerBatch*>& batches);
  // Seals the segment being appended to if anything was written to it, and
  // returns every sealed segment not yet removed, oldest first.
  Result<std::vector<std::string>> Seal();
  // Bytes appended and not yet removed (all segments).
  int64_t unfolded_bytes() const;
  int64_t appended_bytes_in_current() const;

  // The batches of a sealed segment, in order, whole records only.
  static Status ReadSegment(const std::string& path, const std::function<Status(store::LedgerBatch)>& each);
  Status Remove(const std::string& path);
  // Sets a batch the store refuses for good aside (<dir>/quarantine.journal,
  // in the journal's format) and logs it, so it does not block the rest.
  Status Quarantine(const store::LedgerBatch& batch, const std::string& why);

  // Encoding, for tests.
  static std::string EncodeRecord(const std::vector<const store::LedgerBatch*>& batches);

 private:
  explicit Journal(std::string dir) : dir_(std::move(dir)) {}
  Status StartSegment() SP_REQUIRES(mu_);
  Status WriteAt(std::string_view data, int64_t offset) SP_REQUIRES(mu_);

  const std::string dir_;
  int lock_fd_ = -1;  // flock held while open: one process per journal
  mutable Mutex mu_;
  int fd_ SP_GUARDED_BY(mu_) = -1;
  std::string current_ SP_GUARDED_BY(mu_);
  int64_t current_bytes_ SP_GUARDED_BY(mu_) = 0;
  int64_t allocated_bytes_ SP_GUARDED_BY(mu_) = 0;  // zero-filled so far
  uint64_t next_segment_ SP_GUARDED_BY(mu_) = 1;
  std::vector<std::string> sealed_ SP_GUARDED_BY(mu_);
  std::vector<int64_t> sealed_bytes_ SP_GUARDED_BY(mu_);
  int64_t unfolded_bytes_ SP_GUARDED_BY(mu_) = 0;
};

}  // namespace spaceport::billing
