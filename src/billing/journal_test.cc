#include "billing/journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "billing/ledger.h"
#include "core/clock.h"
#include "core/testing/temp_dir.h"

namespace spaceport::billing {
namespace {

store::LedgerBatch Charge(const std::string& hold, int64_t cost, std::string ref = "") {
  store::LedgerBatch b;
  b.posted.push_back({hold, "wallet:1", cost, 1000});
  b.transfers.push_back({"charge:" + hold, "wallet:1", "earnings:bob", cost, "charge", 7, std::move(ref), 2000});
  return b;
}

std::vector<store::LedgerBatch> ReadAll(const std::string& path) {
  std::vector<store::LedgerBatch> out;
  EXPECT_TRUE(Journal::ReadSegment(path, [&](store::LedgerBatch b) {
                out.push_back(std::move(b));
                return Status::Ok();
              }).ok());
  return out;
}

TEST(JournalTest, RecordsComeBackWholeAndInOrder) {
  testing::TempDir dir;
  auto j = Journal::Open(dir.path() + "/j");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  store::LedgerBatch a = Charge("h1", 5), b = Charge("h2", 7, "odd\tref\nwith \\ escapes"), v;
  v.voided.push_back({"h3", "wallet:2", 9, 3000});
  ASSERT_TRUE((*j)->Append({&a, &b}).ok());
  ASSERT_TRUE((*j)->Append({&v}).ok());
  auto sealed = (*j)->Seal();
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 1u);
  std::vector<store::LedgerBatch> read = ReadAll(sealed->front());
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].posted[0].id, "h1");
  EXPECT_EQ(read[1].transfers[0].ref, "odd\tref\nwith \\ escapes");
  EXPECT_EQ(read[1].transfers[0].space_id, 7);
  EXPECT_EQ(read[1].transfers[0].at, 2000);
  EXPECT_EQ(read[2].voided[0].amount, 9);
  EXPECT_GT((*j)->unfolded_bytes(), 0);
  ASSERT_TRUE((*j)->Remove(sealed->front()).ok());
  EXPECT_EQ((*j)->unfolded_bytes(), 0);
  EXPECT_TRUE((*j)->Seal()->empty());  // nothing appended since
}

// A crash in the middle of an append leaves a torn record: it was never
// acknowledged, so reading stops before it; a reopened journal finds the
// segment sealed, and a damaged record is not used either.
TEST(JournalTest, ATornOrDamagedTailIsDropped) {
  testing::TempDir dir;
  std::string path;
  {
    auto j = Journal::Open(dir.path());
    ASSERT_TRUE(j.ok());
    store::LedgerBatch a = Charge("h1", 5), b = Charge("h2", 6);
    ASSERT_TRUE((*j)->Append({&a}).ok());
    ASSERT_TRUE((*j)->Append({&b}).ok());
    path = (*(*j)->Seal()).front();
  }
  std::string whole;
  {
    std::ifstream in(path, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string second = Journal::EncodeRecord({});  // an empty record's size, for reference
  ASSERT_GT(whole.size(), second.size());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << whole.substr(0, whole.size() - 10);  // the second record cut short
  }
  auto reopened = Journal::Open(dir.path());
  ASSERT_TRUE(reopened.ok());
  auto sealed = (*reopened)->Seal();
  ASSERT_EQ(sealed->size(), 1u);
  std::vector<store::LedgerBatch> read = ReadAll(sealed->front());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].posted[0].id, "h1");
  {
    std::string damaged = whole;
    damaged[damaged.size() - 5] ^= 1;  // a flipped bit in the second record
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << damaged;
  }
  EXPECT_EQ(ReadAll(path).size(), 1u);
}

// The segment being appended to is zero-filled ahead of its records. A
// crash leaves it so: reading stops at the zeros, a record torn over them
// is dropped, and a sealed segment holds its records only.
TEST(JournalTest, ZerosAheadOfTheRecordsAreItsEnd) {
  testing::TempDir dir;
  const std::string crashed = dir.path() + "/crashed/ledger-1.journal";
  std::string records;
  {
    auto j = Journal::Open(dir.path() + "/live");
    ASSERT_TRUE(j.ok());
    store::LedgerBatch a = Charge("h1", 5), b = Charge("h2", 6);
    ASSERT_TRUE((*j)->Append({&a}).ok());
    ASSERT_TRUE((*j)->Append({&b}).ok());
    records = Journal::EncodeRecord({&a}) + Journal::EncodeRecord({&b});
    const std::string live = dir.path() + "/live/ledger-1.journal";
    ASSERT_GT(std::filesystem::file_size(live), records.size());  // the zeros ahead, on disk
    std::filesystem::create_directories(dir.path() + "/crashed");
    std::filesystem::copy_file(live, crashed);  // as a crash leaves it
    auto sealed = (*j)->Seal();
    ASSERT_TRUE(sealed.ok());
    ASSERT_EQ(sealed->size(), 1u);
    EXPECT_EQ(std::filesystem::file_size(sealed->front()), records.size());  // trimmed
    EXPECT_EQ(ReadAll(sealed->front()).size(), 2u);
  }
  auto reopened = Journal::Open(dir.path() + "/crashed");
  ASSERT_TRUE(reopened.ok());
  auto sealed = (*reopened)->Seal();
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 1u);
  std::vector<store::LedgerBatch> read = ReadAll(sealed->front());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[1].posted[0].id, "h2");
  {  // the second record torn: its last bytes still zeros
    std::fstream f(crashed, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(records.size() - 8));
    f.write("\0\0\0\0\0\0\0\0", 8);
  }
  read = ReadAll(crashed);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].posted[0].id, "h1");
}

TEST(JournalTest, OneProcessAtATime) {
  testing::TempDir dir;
  auto first = Journal::Open(dir.path());
  ASSERT_TRUE(first.ok());
  // Another open of the same journal (the offline CLI while the server runs) is refused.
  auto second = Journal::Open(dir.path());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(Journal::Open(dir.path()).ok());
}

// A journal the last run left is folded at Open; a batch the store refuses
// for good is set aside (and logged) instead of keeping the server down.
TEST(JournalTest, TheLedgerReplaysItAtOpenAndSetsARefusedBatchAside) {
  testing::TempDir dir;
  auto store = store::OpenSqliteBillingStore(dir.path() + "/ledger.db");
  ASSERT_TRUE(store.ok());
  {
    store::LedgerBatch fund;
    fund.transfers.push_back({"fund", "external:funding", "wallet:1", 100, "topup", 0, "", 1});
    ASSERT_TRUE((*store)->Apply(fund, 1).ok());
  }
  {
    auto j = Journal::Open(dir.path() + "/journal");
    ASSERT_TRUE(j.ok());
    store::LedgerBatch good = Charge("h1", 30), bad;
    bad.transfers.push_back({"charge:h2", "wallet:1", "wallet:1", 5, "charge", 7, "", 2});  // to itself
    ASSERT_TRUE((*j)->Append({&good, &bad}).ok());
  }
  FakeClock clock;
  auto ledger = Ledger::Open(store->get(), &clock, {.journal_dir = dir.path() + "/journal"});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ((*ledger)->Wallet(1).balance, 70);
  EXPECT_EQ(*(*store)->Balance("wallet:1"), 70);
  EXPECT_TRUE((*store)->GetTransfer("charge:h1").ok());
  EXPECT_FALSE((*store)->GetTransfer("charge:h2").ok());
  std::vector<store::LedgerBatch> aside = ReadAll(dir.path() + "/journal/quarantine.journal");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(aside[0].transfers[0].id, "charge:h2");
}

}  // namespace
}  // namespace spaceport::billing
