// Test-only: the fixture the store's area suites share (accounts, gates,
// embed links, OAuth grants): a fresh store on each backend of
// AllBackends(), and helpers that create users and Spaces or fail the test.
// Thread safety: one test, one thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store.h"
#include "store/testing/store_backends.h"

namespace spaceport::store::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000;

class ConformanceTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    auto store = backend_->Open(std::string(32, 'k'));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  User MakeUser(const std::string& name) {
    auto user = store_->CreateUser(name, false, kT0);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? *user : User{};
  }

  Space MakeSpace(const std::string& owner, const std::string& name, Visibility v = Visibility::kPublic) {
    Space s;
    s.owner = owner;
    s.name = name;
    s.sdk = "static";
    s.SetVisibility(v);
    auto created = store_->CreateSpace(s, kT0);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Space{};
  }

  std::unique_ptr<StoreBackend> backend_;
  std::unique_ptr<Store> store_;
};

}  // namespace spaceport::store::testing
