// `spaceport store migrate --from sqlite:PATH --to postgres://...`: copies a
// whole installation's store into an empty PostgreSQL database
// (store/store_copy.h), verified by row counts and the ledger's sums before
// it commits. Stop the server first. The repositories, logs and keys stay in
// the data dir; nodes on the new store use the same secrets.key.
#include <iostream>

#include "app/commands.h"
#include "app/flags.h"
#include "billing/pricing.h"
#include "store/store_copy.h"

namespace spaceport::app {

int RunStoreCommand(const std::vector<std::string>& args, const Clock& clock) {
  (void)clock;
  auto flags = ParseFlags(args, {"from", "to"}, {});
  bool migrate = flags.ok() && flags->positional.size() == 1 && flags->positional[0] == "migrate" &&
                 !flags->Get("from").empty() && !flags->Get("to").empty();
  if (!migrate) {
    std::cerr << "usage: spaceport store migrate --from sqlite:PATH --to postgres://USER@HOST:PORT/DB\n"
                 "  copies every table into an empty PostgreSQL database; stop the server first\n";
    if (!flags.ok()) std::cerr << "error: " << flags.status().message() << "\n";
    return 2;
  }
  auto report = store::CopyStore(flags->Get("from"), flags->Get("to"));
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  int64_t rows = 0;
  for (const auto& [table, count] : report->tables) {
    std::cout << "  " << table << ": " << count << "\n";
    rows += count;
  }
  std::cout << "Copied " << rows << " rows in " << report->tables.size() << " tables; the ledger's "
            << report->ledger_accounts << " accounts balance (transfers total "
            << billing::FormatMicros(report->ledger_total_micros) << ") on both sides.\n";
  return 0;
}

}  // namespace spaceport::app
