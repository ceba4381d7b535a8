// Test helpers (tests only): run the client in-process and capture output.
#pragma once

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "core/testing/temp_dir.h"

namespace spaceport::cli::testing {

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliRun RunCli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                     const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  CliRun r;
  r.code = RunClientCommand(args, in, out, err, env);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline CliRun RunCliWith(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                         const ClientDeps& deps, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  CliRun r;
  r.code = RunClientCommandWith(args, in, out, err, env, deps);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A fresh directory under the system temp dir, removed on destruction.
using spaceport::testing::TempDir;

}  // namespace spaceport::cli::testing
