// A test fixture: the directory over the real SQLite store in a temp dir,
// with a user "alice" and a fake clock at kT0.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/testing/temp_dir.h"
#include "directory/directory.h"
#include "store/directory_store.h"
#include "store/store.h"

namespace spaceport::directory {

using spaceport::testing::TempDir;

inline constexpr int64_t kT0 = 1'700'000'000'000;

class DirectoryFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    const std::string url = "sqlite:" + dir_.path() + "/spaceport.db";
    auto store = store::Store::Open({.url = url, .secrets_key = std::string(32, 'k')});
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    auto directory_store = store::OpenDirectoryStore({.url = url});
    ASSERT_TRUE(directory_store.ok()) << directory_store.status().message();
    directory_store_ = std::move(directory_store).value();
    directory_ = std::make_unique<Directory>(directory_store_.get(), &fake_clock_);
    auto alice = store_->CreateUser("alice", false, kT0);
    ASSERT_TRUE(alice.ok());
    alice_ = *alice;
  }

  // A Space with a card and a README, indexed.
  store::Space Add(const std::string& owner, const std::string& name, const std::string& card_json,
                   const std::string& readme, const std::string& sdk = "gradio", bool is_private = false) {
    store::Space s;
    s.owner = owner;
    s.name = name;
    s.sdk = sdk;
    s.card_json = card_json;
    s.is_private = is_private;
    s.visibility = is_private ? store::Visibility::kPrivate : store::Visibility::kPublic;
    s.stage = "RUNNING";
    auto created = store_->CreateSpace(s, kT0 + (++clock_));
    EXPECT_TRUE(created.ok()) << created.status().message();
    Status st = directory_->IndexSpace(*created, readme);
    EXPECT_TRUE(st.ok()) << st.message();
    return *created;
  }

  std::vector<std::string> Names(const DirectoryQuery& q) {
    Result<SearchPage> page = directory_->Search(q);
    EXPECT_TRUE(page.ok()) << page.status().message();
    std::vector<std::string> names;
    if (!page.ok()) return names;
    for (int64_t id : page->space_ids) names.push_back(store_->GetSpaceById(id)->name);
    return names;
  }
  std::vector<std::string> Names(const std::string& search) { return Names(DirectoryQuery{.search = search}); }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::DirectoryStore> directory_store_;
  std::unique_ptr<Directory> directory_;
  store::User alice_;
  int64_t clock_ = 0;
  FakeClock fake_clock_;
};

}  // namespace spaceport::directory
