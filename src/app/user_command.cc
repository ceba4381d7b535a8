// `spaceport user add NAME [--admin] [--read-only] [--password] --data-dir DIR`
// and `spaceport user password NAME --data-dir DIR`:
// offline administration on the data dir. Prints the new user's API token as
// the last line. --password reads the web sign-in password from the first
// line of stdin (never from the command line, where `ps` would show it).
#include "app/commands.h"

#include <iostream>

#include "access/passwords.h"
#include "access/tokens.h"
#include "app/data_dir.h"
#include "app/flags.h"
#include "store/store.h"

namespace spaceport::app {

namespace {

// The sign-in password from the first line of stdin, hashed.
Result<std::string> ReadPasswordHash() {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  RETURN_IF_ERROR(access::CheckPasswordPolicy(password));
  return access::HashPassword(password);
}

// `spaceport user password NAME`: sets (or replaces) a user's password and
// signs their browser sessions out.
int SetPassword(store::Store& store, const std::string& name) {
  auto user = store.GetUserByName(name);
  auto hash = user.ok() ? ReadPasswordHash() : Result<std::string>(user.status());
  Status st = hash.ok() ? store.SetPasswordHash(user->id, *hash) : hash.status();
  if (st.ok()) st = store.DeleteUserSessions(user->id);
  if (!st.ok()) {
    std::cerr << "error: " << st.message() << "\n";
    return 1;
  }
  std::cout << "Password of " << user->name << " set\n";
  return 0;
}

}  // namespace

int RunUserCommand(const std::vector<std::string>& args, const Clock& clock) {
  auto flags = ParseFlags(args, {"data-dir", "token-name", "store"}, {"admin", "read-only", "password"});
  bool add = flags.ok() && flags->positional.size() == 2 && flags->positional[0] == "add";
  bool password = flags.ok() && flags->positional.size() == 2 && flags->positional[0] == "password";
  if (!add && !password) {
    std::cerr << "usage: spaceport user add NAME [--admin] [--read-only] [--password] --data-dir DIR [--store URL]\n"
                 "       spaceport user password NAME --data-dir DIR\n"
                 "  the password is read from the first line of stdin\n";
    if (!flags.ok()) std::cerr << "error: " << flags.status().message() << "\n";
    return 2;
  }
  DataDir dir(flags->Get("data-dir", ".data"), flags->Get("store"));
  auto store = dir.OpenStore();
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return 1;
  }
  const std::string& name = flags->positional[1];
  if (password) return SetPassword(**store, name);
  std::string password_hash;
  if (flags->Has("password")) {
    auto hash = ReadPasswordHash();
    if (!hash.ok()) {
      std::cerr << "error: " << hash.status().message() << "\n";
      return 1;
    }
    password_hash = *hash;
  }
  auto user = (*store)->CreateUser(name, flags->Has("admin"), clock.UnixMillis());
  if (!user.ok()) {
    std::cerr << "error: " << user.status().message() << "\n";
    return 1;
  }
  if (!password_hash.empty()) {
    Status set = (*store)->SetPasswordHash(user->id, password_hash);
    if (!set.ok()) {
      std::cerr << "error: " << set.message() << "\n";
      return 1;
    }
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
