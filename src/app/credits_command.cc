// `spaceport credits grant USER AMOUNT [--note TEXT] [--id ID] --data-dir DIR`:
// gives a user credits (micro-units, from external:grants) offline, through
// the ledger, idempotent by --id. Run it while the server is stopped: a
// running server keeps wallets in memory and sees the grant only at its next
// start (with the server running, use POST /api/billing/grants).
#include <iostream>

#include "app/commands.h"
#include "app/data_dir.h"
#include "app/flags.h"
#include "billing/ledger.h"
#include "core/strings.h"

namespace spaceport::app {

int RunCreditsCommand(const std::vector<std::string>& args, const Clock& clock) {
  auto flags = ParseFlags(args, {"data-dir", "note", "id", "store"}, {});
  bool grant = flags.ok() && flags->positional.size() == 3 && flags->positional[0] == "grant";
  std::optional<int64_t> amount = grant ? ParseInt(flags->positional[2]) : std::nullopt;
  if (!grant || !amount || *amount <= 0 || *amount > billing::kMaxPrice) {
    std::cerr << "usage: spaceport credits grant USER AMOUNT [--note TEXT] [--id ID] --data-dir DIR [--store URL]\n"
                 "  AMOUNT in micro-units (1000000 = 1 unit of the currency); run while the server is stopped\n";
    if (!flags.ok()) std::cerr << "error: " << flags.status().message() << "\n";
    return 2;
  }
  DataDir dir(flags->Get("data-dir", ".data"), flags->Get("store"));
  auto store = dir.OpenStore();
  auto billing_store = store.ok() ? dir.OpenBillingStore() : Result<std::unique_ptr<store::BillingStore>>(store.status());
  if (!billing_store.ok()) {
    std::cerr << "error: " << billing_store.status().message() << "\n";
    return 1;
  }
  auto user = (*store)->GetUserByName(flags->positional[1]);
  auto ledger = user.ok() ? billing::Ledger::Open(billing_store->get(), &clock,
                                                  {.journal_dir = dir.Path("ledger-journal")})
                          : Result<std::unique_ptr<billing::Ledger>>(user.status());
  if (!ledger.ok()) {
    std::cerr << "error: " << ledger.status().message() << "\n";
    return 1;
  }
  store::LedgerTransfer t;
  t.id = "grant:" + flags->Get("id", RandomHex(12));
  t.debit = std::string(billing::kGrantsAccount);
  t.credit = billing::WalletAccount(user->id);
  t.amount = *amount;
  t.kind = "grant";
  t.ref = flags->Get("note", "granted with spaceport credits grant").substr(0, 200);
  auto fresh = (*ledger)->Transfer(t);
  if (!fresh.ok()) {
    std::cerr << "error: " << fresh.status().message() << "\n";
    return 1;
  }
  std::cout << (*fresh ? "Granted " : "Already granted (same id) ") << billing::FormatMicros(*amount) << " to "
            << user->name << "; balance " << billing::FormatMicros((*ledger)->Wallet(user->id).balance) << "\n";
  return 0;
}

}  // namespace spaceport::app
