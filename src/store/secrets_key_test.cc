#include "store/secrets_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "store/secret_box.h"
#include "store/testing/store_backends.h"

namespace spaceport::store {
namespace {

using testing::TempDir;

TEST(SecretsKeyTest, CreatesPrivateRandomKeyOnceAndReadsItBack) {
  TempDir dir;
  std::string path = dir.path() + "/secrets.key";
  auto first = LoadOrCreateSecretsKey(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), kSecretsKeyBytes);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);

  auto second = LoadOrCreateSecretsKey(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);

  TempDir other;
  auto fresh = LoadOrCreateSecretsKey(other.path() + "/secrets.key");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(*fresh, *first);
  EXPECT_NE(*first, std::string(32, '\0'));
}

TEST(SecretsKeyTest, WrongSizeIsAnErrorAndTheFileIsKept) {
  TempDir dir;
  std::string path = dir.path() + "/secrets.key";
  { std::ofstream(path) << "short"; }
  auto result = LoadOrCreateSecretsKey(path);
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find(path), std::string::npos);
  { std::ofstream(path) << std::string(33, 'x'); }
  EXPECT_EQ(LoadOrCreateSecretsKey(path).status().code(), StatusCode::kFailedPrecondition);
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, std::string(33, 'x'));
}

TEST(SecretsKeyTest, MissingDirectoryIsAnError) {
  TempDir dir;
  EXPECT_FALSE(LoadOrCreateSecretsKey(dir.path() + "/no/such/dir/key").ok());
}

TEST(SecretBoxTest, SealsAndOpens) {
  auto box = SecretBox::Create(std::string(32, 'k'));
  ASSERT_TRUE(box.ok());
  auto sealed = box->Seal("hello");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*box->Open(*sealed, "x"), "hello");
  EXPECT_NE(*sealed, *box->Seal("hello"));
}

TEST(SecretBoxTest, TamperingAndWrongKeyAreInternalErrors) {
  auto box = SecretBox::Create(std::string(32, 'k'));
  auto other = SecretBox::Create(std::string(32, 'o'));
  ASSERT_TRUE(box.ok() && other.ok());
  std::string sealed = *box->Seal("hello");
  auto wrong = other->Open(sealed, "secret 'X'");
  EXPECT_EQ(wrong.status().code(), StatusCode::kInternal);
  EXPECT_NE(wrong.status().message().find("secret 'X'"), std::string::npos);
  sealed.back() ^= 1;
  EXPECT_EQ(box->Open(sealed, "x").status().code(), StatusCode::kInternal);
  EXPECT_EQ(box->Open("short", "x").status().code(), StatusCode::kInternal);
}

TEST(SecretBoxTest, DisabledWithoutKeyAndRejectsBadSizes) {
  auto disabled = SecretBox::Create("");
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled->enabled());
  EXPECT_EQ(disabled->Seal("x").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(SecretBox::Create(std::string(16, 'k')).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spaceport::store
