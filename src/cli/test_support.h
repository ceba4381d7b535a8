// Test helpers (tests only): run the client in-process and capture output.
#pragma once

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/fake_hub.h"
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

// A fixture for client commands against a FakeHub, with a private config dir.
class FakeHubTest : public ::testing::Test {
 protected:
  // The client's environment: the hub's URL, the config file and (unless
  // told otherwise) a token.
  std::map<std::string, std::string> Env(bool with_token = true) {
    std::map<std::string, std::string> env = {{"SPACEPORT_URL", hub_.url()},
                                              {"SPACEPORT_CONFIG", dir_.path() + "/config.json"}};
    if (with_token) env["SPACEPORT_TOKEN"] = "sp_test";
    return env;
  }

  FakeHub hub_;
  TempDir dir_;
};

}  // namespace spaceport::cli::testing
