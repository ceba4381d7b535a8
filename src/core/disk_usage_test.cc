#include "core/disk_usage.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"

namespace spaceport {
namespace {

void WriteBytes(const std::string& path, size_t n) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::string chunk(n, 'x');
  ASSERT_EQ(write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(n));
  ASSERT_EQ(fsync(fd), 0);
  close(fd);
}

TEST(DiskBytesBelow, CountsAllocatedBlocksOnceWithoutFollowingLinks) {
  testing::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string root = tmp.path() + "/tree";
  std::filesystem::create_directories(root + "/a/b");
  const int64_t empty = DiskBytesBelow(root);
  WriteBytes(root + "/a/b/one", 1 << 20);
  const int64_t one = DiskBytesBelow(root);
  EXPECT_GE(one - empty, 1 << 20);
  EXPECT_LT(one - empty, (1 << 20) + (64 << 10));

  // A hard link is the same blocks; a symlink to a big file outside is not the tree's.
  std::filesystem::create_hard_link(root + "/a/b/one", root + "/a/again");
  WriteBytes(tmp.path() + "/outside", 4 << 20);
  std::filesystem::create_symlink(tmp.path() + "/outside", root + "/link");
  std::filesystem::create_directory_symlink(tmp.path(), root + "/loop");
  EXPECT_LT(DiskBytesBelow(root) - one, 64 << 10);

  // A sparse file counts what it holds, not its length.
  int fd = open((root + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, int64_t{1} << 30), 0);
  close(fd);
  EXPECT_LT(DiskBytesBelow(root) - one, 64 << 10);

  EXPECT_EQ(DiskBytesBelow(tmp.path() + "/missing"), 0);
  EXPECT_EQ(DiskBytesBelow(root + "/link"), 0);  // a symlink is no tree to walk
}

}  // namespace
}  // namespace spaceport
