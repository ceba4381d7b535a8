#include "app/flags.h"

namespace spaceport::app {

Result<Flags> ParseFlags(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                         const std::set<std::string>& switch_names) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      flags.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    bool has_inline = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    if (with_value.count(name)) {
      if (!has_inline) {
        if (i + 1 >= args.size()) return Status::InvalidArgument("--" + name + " needs a value");
        value = args[++i];
      }
      flags.values[name] = value;
    } else if (switch_names.count(name) && !has_inline) {
      flags.switches.insert(name);
    } else {
      return Status::InvalidArgument("unknown flag --" + name);
    }
  }
  return flags;
}

}  // namespace spaceport::app
