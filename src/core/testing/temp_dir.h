// Test-only: a fresh directory under /tmp, removed with everything in it on
// destruction. path() is empty if it could not be made (tests assert on it).
// Thread safety: single-threaded use; the path itself may be shared.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace spaceport::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "sp_test") {
    std::string templ = "/tmp/" + std::string(prefix) + ".XXXXXX";
    char* made = ::mkdtemp(templ.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace spaceport::testing
