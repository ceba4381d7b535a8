// `spaceport user add NAME [--admin] --data-dir DIR`: offline administration
// on the data dir. Prints the new user's API token as the last line.
#include "app/commands.h"

#include <iostream>

#include "access/tokens.h"
#include "app/data_dir.h"
#include "app/flags.h"
#include "store/store.h"

namespace spaceport::app {

int RunUserCommand(const std::vector<std::string>& args, const Clock& clock) {
  auto flags = ParseFlags(args, {"data-dir", "token-name"}, {"admin", "read-only"});
  if (!flags.ok() || flags->positional.size() != 2 || flags->positional[0] != "add") {
    std::cerr << "usage: spaceport user add NAME [--admin] [--read-only] --data-dir DIR\n";
    if (!flags.ok()) std::cerr << "error: " << flags.status().message() << "\n";
    return 2;
  }
  DataDir dir(flags->Get("data-dir", ".data"));
  auto store = dir.OpenStore();
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return 1;
  }
  const std::string& name = flags->positional[1];
  auto user = (*store)->CreateUser(name, flags->Has("admin"), clock.UnixMillis());
  if (!user.ok()) {
    std::cerr << "error: " << user.status().message() << "\n";
    return 1;
  }
  std::string token = access::GenerateToken();
  auto scope = flags->Has("read-only") ? store::TokenScope::kRead : store::TokenScope::kWrite;
  auto created = (*store)->CreateToken(user->id, flags->Get("token-name", "cli"), scope, access::HashToken(token),
                                       clock.UnixMillis());
  if (!created.ok()) {
    std::cerr << "error: " << created.status().message() << "\n";
    return 1;
  }
  std::cout << "Created user " << user->name << (user->is_admin ? " (admin)" : "") << " with a "
            << store::TokenScopeName(scope) << " token; keep it secret:\n"
            << token << "\n";
  return 0;
}

}  // namespace spaceport::app
